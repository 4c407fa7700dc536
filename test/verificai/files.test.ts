import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';
import { badFields, countQueries, files, MISSING_ID, userWithSession, worker } from './helpers.js';

const app = useTestApp();

/** The session's counters next to a recount of its files. */
async function counters(sessionId: string) {
  const { rows } = await app.sql(
    `select s.total_files, s.processed_files,
            (select count(*) from verificai.file_uploads f where f.analysis_session_id = s.id)::int as files,
            (select count(*) from verificai.file_uploads f where f.analysis_session_id = s.id and f.upload_status = 'processed')::int as processed
       from verificai.analysis_sessions s where s.id = $1`,
    [sessionId],
  );
  return rows[0] as { total_files: number; processed_files: number; files: number; processed: number };
}

describe('verificai.files.registerMany', () => {
  it('registers 10,000 files in one statement, as uploaded, and total_files follows', async () => {
    const { api, session } = await userWithSession(app);
    const upload = files(10_000);
    const { result, queries } = await countQueries(() => api.files.registerMany({ analysisSessionId: session.id, files: upload }));
    expect(result).toEqual({ analysisSessionId: session.id, inserted: 10_000 });
    expect(queries).toBe(1);
    expect(await counters(session.id)).toEqual({ total_files: 10_000, processed_files: 0, files: 10_000, processed: 0 });
    const first = (await api.files.list({ analysisSessionId: session.id, limit: 2 })).items;
    expect(first.map(({ fileName, filePath, fileSize, fileType, uploadStatus }) => ({ fileName, filePath, fileSize, fileType, uploadStatus }))).toEqual([
      { ...upload[0], fileSize: '1024', uploadStatus: 'uploaded' },
      { ...upload[1], fileSize: '1025', uploadStatus: 'uploaded' },
    ]);
    // More than 10,000 in one call is refused before the database.
    const err = await failure(api.files.registerMany({ analysisSessionId: session.id, files: files(10_001) }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(badFields(err)).toEqual(['files']);
  });

  it('file_size is a bigint: sizes past 2^31 are kept exactly', async () => {
    const { api, session } = await userWithSession(app);
    const [file] = files(1);
    await api.files.registerMany({ analysisSessionId: session.id, files: [{ ...file!, fileSize: 5_000_000_000_123 }] });
    expect((await api.files.list({ analysisSessionId: session.id })).items[0]!.fileSize).toBe('5000000000123');
  });

  it('bad fields are BAD_REQUEST naming them, and the table\'s CHECKs hold for any writer', async () => {
    const { api, session } = await userWithSession(app);
    const [good] = files(1);
    for (const [patch, field] of [
      [{ fileName: '' }, 'files.0.fileName'],
      [{ fileName: 'x'.repeat(256) }, 'files.0.fileName'],
      [{ filePath: 'x'.repeat(501) }, 'files.0.filePath'],
      [{ fileSize: 0 }, 'files.0.fileSize'],
      [{ fileSize: -5 }, 'files.0.fileSize'],
      [{ fileSize: 1.5 }, 'files.0.fileSize'],
      [{ fileType: 'x'.repeat(101) }, 'files.0.fileType'],
    ] as const) {
      const err = await failure(api.files.registerMany({ analysisSessionId: session.id, files: [{ ...good!, ...patch }] }));
      expect(err.code, field).toBe('BAD_REQUEST');
      expect(badFields(err), field).toEqual([field]);
    }
    await api.files.registerMany({ analysisSessionId: session.id, files: [good!] });
    const insert = (set: string) =>
      `insert into verificai.file_uploads (analysis_session_id, file_name, file_path, file_size, file_type) select $1, ${set}`;
    const cases: Array<[string, string]> = [
      [`'', '/p1', 1, 't'`, 'file_uploads_file_name_length'],
      [`repeat('n', 256), '/p2', 1, 't'`, 'file_uploads_file_name_length'],
      [`'n', '', 1, 't'`, 'file_uploads_file_path_length'],
      [`'n', repeat('p', 501), 1, 't'`, 'file_uploads_file_path_length'],
      [`'n', '/p3', 0, 't'`, 'file_uploads_file_size_positive'],
      [`'n', '/p4', -1, 't'`, 'file_uploads_file_size_positive'],
      [`'n', '/p5', 1, ''`, 'file_uploads_file_type_length'],
      [`'n', '/p6', 1, repeat('t', 101)`, 'file_uploads_file_type_length'],
    ];
    for (const [values, constraint] of cases) {
      expect(await app.sqlError(insert(values), [session.id]), values).toEqual({ code: '23514', constraint });
    }
    // The limits themselves are accepted.
    await app.sql(insert(`repeat('n', 255), repeat('p', 500), 1, repeat('t', 100)`), [session.id]);
    expect(await app.sqlError(`update verificai.file_uploads set upload_status = 'lost' where analysis_session_id = $1`, [session.id], { triggers: false })).toEqual({
      code: '23514',
      constraint: 'file_uploads_upload_status_check',
    });
  });

  it('a path appears once per session: a duplicate (in the call or already there) is CONFLICT and nothing of the call is kept', async () => {
    const { api, session } = await userWithSession(app);
    const upload = files(3);
    await api.files.registerMany({ analysisSessionId: session.id, files: upload });
    const again = await failure(api.files.registerMany({ analysisSessionId: session.id, files: [...files(2), upload[1]!] }));
    expect(again).toMatchObject({ code: 'CONFLICT', message: 'file_path is already registered in this session' });
    expect(badFields(again)).toEqual(['analysisSessionId', 'filePath']);
    const twice = files(1);
    expect(await codeOf(api.files.registerMany({ analysisSessionId: session.id, files: [twice[0]!, twice[0]!] }))).toBe('CONFLICT');
    expect(await counters(session.id)).toEqual({ total_files: 3, processed_files: 0, files: 3, processed: 0 });
    // The same path in another session is another file.
    const other = await api.sessions.create({ sessionName: 'second run' });
    expect((await api.files.registerMany({ analysisSessionId: other.id, files: upload })).inserted).toBe(3);
  });

  it('only the session\'s owner registers files; a stranger\'s or missing session is NOT_FOUND with nothing written', async () => {
    const { session } = await userWithSession(app);
    const stranger = app.caller({ token: (await app.newUser()).token }).verificai;
    expect(await codeOf(stranger.files.registerMany({ analysisSessionId: session.id, files: files(2) }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.files.registerMany({ analysisSessionId: MISSING_ID, files: files(2) }))).toBe('NOT_FOUND');
    // Even an admin (a worker) does not upload into a user's session: the insert policy is the owner's.
    const { api: admin } = await worker(app);
    expect(await codeOf(admin.files.registerMany({ analysisSessionId: session.id, files: files(2) }))).toBe('FORBIDDEN');
    expect(await counters(session.id)).toEqual({ total_files: 0, processed_files: 0, files: 0, processed: 0 });
  });

  it('files are taken only while the session is created or uploading', async () => {
    const { api, session } = await userWithSession(app);
    await api.files.registerMany({ analysisSessionId: session.id, files: files(1) });
    await api.sessions.setStatus({ id: session.id, status: 'uploading' });
    await api.files.registerMany({ analysisSessionId: session.id, files: files(1) });
    await api.sessions.setStatus({ id: session.id, status: 'analyzing' });
    const err = await failure(api.files.registerMany({ analysisSessionId: session.id, files: files(1) }));
    expect(err).toMatchObject({ code: 'BAD_REQUEST', message: 'files can be added only while the analysis session is created or uploading, not analyzing' });
    // Whoever writes: the owner role's insert is refused by the same trigger.
    expect(
      await app.sqlError(
        `insert into verificai.file_uploads (analysis_session_id, file_name, file_path, file_size, file_type) values ($1, 'late.py', '/late.py', 1, 't')`,
        [session.id],
      ),
    ).toEqual({ code: '23514', constraint: undefined });
    expect(await counters(session.id)).toEqual({ total_files: 2, processed_files: 0, files: 2, processed: 0 });
  });
});

describe('verificai.files.setStatus and the counters', () => {
  it('moves files uploaded -> processing -> processed or failed (failed may retry); processed_files follows; illegal moves are refused whole', async () => {
    const { api, session } = await userWithSession(app);
    await api.files.registerMany({ analysisSessionId: session.id, files: files(4) });
    const ids = (await api.files.list({ analysisSessionId: session.id })).items.map((f) => f.id);
    const move = (which: string[], uploadStatus: 'uploaded' | 'processing' | 'processed' | 'failed') =>
      api.files.setStatus({ analysisSessionId: session.id, ids: which, uploadStatus });

    expect(await move(ids.slice(0, 3), 'processing')).toEqual({ updated: 3 });
    expect(await move(ids.slice(0, 2), 'processed')).toEqual({ updated: 2 });
    expect(await counters(session.id)).toEqual({ total_files: 4, processed_files: 2, files: 4, processed: 2 });
    await move([ids[2]!], 'failed');
    await move([ids[3]!], 'failed'); // rejected before processing
    await move([ids[2]!], 'processing'); // a retry
    await move([ids[2]!], 'processed');
    expect(await counters(session.id)).toEqual({ total_files: 4, processed_files: 3, files: 4, processed: 3 });

    // processed is final; uploaded cannot be skipped to processed; nothing moves back to uploaded.
    for (const [which, to, from] of [
      [ids[0]!, 'processing', 'processed'],
      [ids[0]!, 'failed', 'processed'],
      [ids[3]!, 'processed', 'failed'],
      [ids[3]!, 'uploaded', 'failed'],
    ] as const) {
      const err = await failure(move([which], to));
      expect(err, `${from} -> ${to}`).toMatchObject({ code: 'BAD_REQUEST', message: `file_uploads upload_status cannot change from ${from} to ${to}` });
    }
    const fresh = await api.sessions.create({ sessionName: 'fresh' });
    await api.files.registerMany({ analysisSessionId: fresh.id, files: files(2) });
    const freshIds = (await api.files.list({ analysisSessionId: fresh.id })).items.map((f) => f.id);
    const skip = await failure(api.files.setStatus({ analysisSessionId: fresh.id, ids: freshIds, uploadStatus: 'processed' }));
    expect(skip.message).toBe('file_uploads upload_status cannot change from uploaded to processed');
    // All or nothing: one bad move keeps the others from moving too.
    await api.files.setStatus({ analysisSessionId: fresh.id, ids: [freshIds[0]!], uploadStatus: 'processing' });
    await api.files.setStatus({ analysisSessionId: fresh.id, ids: [freshIds[0]!], uploadStatus: 'processed' });
    expect(await codeOf(api.files.setStatus({ analysisSessionId: fresh.id, ids: freshIds, uploadStatus: 'processing' }))).toBe('BAD_REQUEST');
    expect((await api.files.list({ analysisSessionId: fresh.id, uploadStatus: 'uploaded' })).items.map((f) => f.id)).toEqual([freshIds[1]]);
    // An id of another session is NOT_FOUND, and nothing moves.
    const err = await failure(api.files.setStatus({ analysisSessionId: fresh.id, ids: [freshIds[1]!, ids[1]!], uploadStatus: 'processing' }));
    expect(err.code).toBe('NOT_FOUND');
    expect((await api.files.list({ analysisSessionId: fresh.id, uploadStatus: 'uploaded' })).items.map((f) => f.id)).toEqual([freshIds[1]]);
  });

  it('admins (the workers) move any session\'s files; strangers cannot', async () => {
    const { api, session } = await userWithSession(app);
    await api.files.registerMany({ analysisSessionId: session.id, files: files(2) });
    const ids = (await api.files.list({ analysisSessionId: session.id })).items.map((f) => f.id);
    const stranger = app.caller({ token: (await app.newUser()).token }).verificai;
    expect(await codeOf(stranger.files.setStatus({ analysisSessionId: session.id, ids, uploadStatus: 'processing' }))).toBe('NOT_FOUND');
    expect((await stranger.files.list({ analysisSessionId: session.id })).items).toEqual([]);
    const { api: admin } = await worker(app);
    expect(await admin.files.setStatus({ analysisSessionId: session.id, ids, uploadStatus: 'processing' })).toEqual({ updated: 2 });
    expect(await admin.files.setStatus({ analysisSessionId: session.id, ids, uploadStatus: 'processed' })).toEqual({ updated: 2 });
    expect((await api.sessions.get({ id: session.id })).processedFiles).toBe(2);
  });

  it('total_files and processed_files are the triggers\' alone: a direct change is FORBIDDEN, other columns stay writable', async () => {
    const { user, session } = await userWithSession(app);
    const probe = app.probe({ token: user.token });
    for (const [set, field] of [
      ['total_files = 5', 'totalFiles'],
      ['processed_files = 1', 'processedFiles'],
    ] as const) {
      const err = await failure(probe.sql([{ text: `update verificai.analysis_sessions set ${set} where id = $1`, values: [session.id] }]));
      expect(err.code, set).toBe('FORBIDDEN');
      expect(badFields(err), set).toEqual([field]);
    }
    // Unchanged values are no change: setting a counter to what it is passes.
    expect(await rowsAs(probe, `update verificai.analysis_sessions set session_name = 'renamed', total_files = 0 where id = $1 returning session_name`, [session.id])).toEqual([
      { sessionName: 'renamed' },
    ]);
  });

  it('deleting files (the owner role; the API has no such call) takes them off the counters', async () => {
    const { api, session } = await userWithSession(app);
    await api.files.registerMany({ analysisSessionId: session.id, files: files(5) });
    const ids = (await api.files.list({ analysisSessionId: session.id })).items.map((f) => f.id);
    await api.files.setStatus({ analysisSessionId: session.id, ids: ids.slice(0, 3), uploadStatus: 'processing' });
    await api.files.setStatus({ analysisSessionId: session.id, ids: ids.slice(0, 3), uploadStatus: 'processed' });
    await app.sql(`delete from verificai.file_uploads where id = any($1)`, [[ids[0], ids[4]]]);
    expect(await counters(session.id)).toEqual({ total_files: 3, processed_files: 2, files: 3, processed: 2 });
    // The request role may not delete files at all: they leave with their session.
    const probe = app.probe({ token: (await app.newAdmin()).token });
    expect(await codeOf(probe.sql([{ text: `delete from verificai.file_uploads where id = $1`, values: [ids[1]] }]))).toBe('FORBIDDEN');
  });

  it('concurrent registrations and status changes keep total_files and processed_files exact', async () => {
    const { user, api, session } = await userWithSession(app);
    await api.files.registerMany({ analysisSessionId: session.id, files: files(200) });
    const seeded: string[] = [];
    for (let cursor: string | undefined, more = true; more; ) {
      const pageOf = await api.files.list({ analysisSessionId: session.id, limit: 200, cursor });
      seeded.push(...pageOf.items.map((f) => f.id));
      cursor = pageOf.nextCursor ?? undefined;
      more = cursor !== undefined;
    }
    const { api: admin } = await worker(app);
    // 8 uploads of 50 files by the owner while 4 workers move the first 200 files in batches of 10.
    const owner = () => app.caller({ token: user.token }).verificai;
    const uploads = Array.from({ length: 8 }, () => owner().files.registerMany({ analysisSessionId: session.id, files: files(50) }));
    const batches = Array.from({ length: 20 }, (_, i) => seeded.slice(i * 10, i * 10 + 10));
    const moves = [0, 1, 2, 3].map(async (w) => {
      for (let b = w; b < batches.length; b += 4) {
        await admin.files.setStatus({ analysisSessionId: session.id, ids: batches[b]!, uploadStatus: 'processing' });
        await admin.files.setStatus({ analysisSessionId: session.id, ids: batches[b]!, uploadStatus: b % 2 ? 'failed' : 'processed' });
      }
    });
    await Promise.all([...uploads, ...moves]);
    expect(await counters(session.id)).toEqual({ total_files: 600, processed_files: 100, files: 600, processed: 100 });
  });

  it('lists a session\'s files in upload order, by status, keyset-paginated', async () => {
    const { api, session } = await userWithSession(app);
    const upload = files(5);
    await api.files.registerMany({ analysisSessionId: session.id, files: upload });
    const first = await api.files.list({ analysisSessionId: session.id, limit: 3 });
    const second = await api.files.list({ analysisSessionId: session.id, limit: 3, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((f) => f.filePath)).toEqual(upload.map((f) => f.filePath));
    expect(second.nextCursor).toBeNull();
    await api.files.setStatus({ analysisSessionId: session.id, ids: [first.items[1]!.id], uploadStatus: 'failed' });
    expect((await api.files.list({ analysisSessionId: session.id, uploadStatus: 'failed' })).items.map((f) => f.id)).toEqual([first.items[1]!.id]);
  });
});
