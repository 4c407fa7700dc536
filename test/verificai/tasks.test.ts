import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';
import { badFields, userWithSession, worker } from './helpers.js';

// Its own file, so its own database: the queue holds only what these tests put in it.
const app = useTestApp();

/** Ends a task's lease as a worker's death would: time passes, no heartbeat comes. */
async function expire(id: string): Promise<void> {
  await app.sql(`update verificai.analysis_tasks set lease_expires_at = now() - interval '1 second' where id = $1`, [id]);
}

/** A user's session with one queued task, and a worker; each test leaves nothing claimable behind. */
async function queued(maxAttempts?: number) {
  const { api, session } = await userWithSession(app);
  const task = await api.tasks.enqueue({ analysisSessionId: session.id, taskId: unique('celery-'), taskType: 'code_analysis', maxAttempts });
  const { api: workerApi } = await worker(app);
  return { owner: api, session, task, worker: workerApi.tasks };
}

describe('the analysis task queue', () => {
  it('enqueue: a pending task under the worker system\'s unique task_id', async () => {
    const { api, session, user } = await userWithSession(app);
    const taskId = unique('3f2c1a9e-celery-');
    const task = await api.tasks.enqueue({ analysisSessionId: session.id, taskId, taskType: 'file_processing' });
    expect(task).toMatchObject({ analysisSessionId: session.id, taskId, taskType: 'file_processing', status: 'pending', progress: 0, attempts: 0, maxAttempts: 3, startedAt: null, completedAt: null, errorMessage: null });
    const again = await failure(api.tasks.enqueue({ analysisSessionId: session.id, taskId, taskType: 'code_analysis' }));
    expect(again).toMatchObject({ code: 'CONFLICT', message: 'task_id is already taken by another task' });
    expect(badFields(again)).toEqual(['taskId']);
    expect(badFields(await failure(api.tasks.enqueue({ analysisSessionId: session.id, taskId: 'x', taskType: 'lint' as never })))).toEqual(['taskType']);
    expect(badFields(await failure(api.tasks.enqueue({ analysisSessionId: session.id, taskId: 'x', taskType: 'code_analysis', maxAttempts: 0 })))).toEqual(['maxAttempts']);
    // A stranger queues nothing into the session, and sees none of its tasks; the owner does.
    const stranger = app.caller({ token: (await app.newUser()).token }).verificai;
    expect(await codeOf(stranger.tasks.enqueue({ analysisSessionId: session.id, taskId: unique('t'), taskType: 'code_analysis' }))).toBe('FORBIDDEN');
    expect((await stranger.tasks.list({ analysisSessionId: session.id })).items).toEqual([]);
    expect((await api.tasks.list({ analysisSessionId: session.id })).items.map((t) => t.taskId)).toEqual([taskId]);
    // Only admins run the queue.
    for (const call of [
      () => api.tasks.claim({ workerId: 'w' }),
      () => api.tasks.reclaimStale(),
      () => api.tasks.heartbeat({ id: task.id, leaseToken: task.id }),
      () => api.tasks.progress({ id: task.id, leaseToken: task.id, progress: 5 }),
      () => api.tasks.complete({ id: task.id, leaseToken: task.id }),
      () => api.tasks.fail({ id: task.id, leaseToken: task.id, error: 'x' }),
    ]) {
      expect(await codeOf(call())).toBe('FORBIDDEN');
    }
    const probe = app.probe({ token: (await app.newUser()).token });
    expect(await codeOf(probe.sql([{ text: `update verificai.analysis_tasks set progress = 5 where id = $1`, values: [task.id] }]))).toBe('OK');
    // Not even the owner writes task rows: the update policy is the workers' (admins') alone.
    expect(await rowsAs(app.probe({ token: user.token }), `update verificai.analysis_tasks set progress = 5 where id = $1 returning id`, [task.id])).toEqual([]);
    // (RLS hides the row from a stranger: the update above changed nothing.)
    expect((await api.tasks.list({ analysisSessionId: session.id })).items[0]!.progress).toBe(0);
    // Admins (the workers) may queue follow-up tasks into anyone's session.
    const { api: admin } = await worker(app);
    const followUp = await admin.tasks.enqueue({ analysisSessionId: session.id, taskId: unique('follow-up-'), taskType: 'report_generation' });
    expect((await api.tasks.list({ analysisSessionId: session.id })).items.map((t) => t.id)).toEqual([followUp.id, task.id]);
    // Drain them for the tests below.
    for (const claimed of await admin.tasks.claim({ workerId: 'drain' })) await admin.tasks.complete({ id: claimed.id, leaseToken: claimed.leaseToken });
  });

  it('8 concurrent workers claim 1,000 tasks, each exactly once, oldest first within each claim', async () => {
    const { user, session } = await userWithSession(app);
    await app.sql(
      `insert into verificai.analysis_tasks (analysis_session_id, task_id, task_type)
         select $1, 'bulk-' || $2 || '-' || i, 'code_analysis' from generate_series(1, 1000) i`,
      [session.id, user.id],
    );
    const { rows: created } = await app.sql<{ id: string }>(`select id from verificai.analysis_tasks where analysis_session_id = $1 order by id`, [session.id]);
    const order = new Map(created.map((row, i) => [row.id, i]));
    const admins = await Promise.all(Array.from({ length: 8 }, () => app.newAdmin()));
    const claims = await Promise.all(
      admins.map(async (admin) => {
        const api = app.caller({ token: admin.token }).verificai.tasks;
        const mine: string[] = [];
        for (;;) {
          const batch = await api.claim({ limit: 10, workerId: admin.username });
          if (!batch.length) return mine;
          expect(batch.every((t) => t.status === 'running' && t.lockedBy === admin.username && t.attempts === 1 && t.startedAt instanceof Date)).toBe(true);
          mine.push(...batch.map((t) => t.id));
        }
      }),
    );
    const all = claims.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    expect(claims.filter((c) => c.length > 0).length).toBeGreaterThan(1);
    for (const mine of claims) {
      const positions = mine.map((id) => order.get(id)!);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    const { rows } = await app.sql(
      `select status, count(*)::int as n, count(distinct lease_token)::int as tokens from verificai.analysis_tasks where analysis_session_id = $1 group by 1`,
      [session.id],
    );
    expect(rows).toEqual([{ status: 'running', n: 1000, tokens: 1000 }]);
    await app.sql(
      `update verificai.analysis_tasks set status = 'completed', progress = 100, completed_at = now(), locked_by = null, lease_token = null, lease_expires_at = null, heartbeat_at = null where analysis_session_id = $1`,
      [session.id],
    );
  });

  it('a claim may be limited to one session: other sessions\' older tasks stay pending', async () => {
    const older = await queued();
    const newer = await queued();
    const [claimed] = await newer.worker.claim({ workerId: 'dedicated', analysisSessionId: newer.session.id, limit: 5 });
    expect(claimed).toMatchObject({ id: newer.task.id, analysisSessionId: newer.session.id });
    expect(await newer.worker.claim({ workerId: 'dedicated', analysisSessionId: newer.session.id })).toEqual([]);
    expect((await older.owner.tasks.list({ analysisSessionId: older.session.id })).items[0]!.status).toBe('pending');
    await newer.worker.complete({ id: newer.task.id, leaseToken: claimed!.leaseToken });
    const [rest] = await older.worker.claim({ workerId: 'drain' });
    await older.worker.complete({ id: older.task.id, leaseToken: rest!.leaseToken });
  });

  it('a claim skips tasks another worker holds locked instead of waiting for them', async () => {
    const { task, worker: api } = await queued();
    const holder = new pg.Client({ connectionString: app.superUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select id from verificai.analysis_tasks where id = $1 for update`, [task.id]);
      const claim = api.claim({ workerId: 'w' });
      const waited = new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3000));
      expect(await Promise.race([claim, waited])).toEqual([]);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    const [claimed] = await api.claim({ workerId: 'w' });
    expect(claimed!.id).toBe(task.id);
    await api.complete({ id: task.id, leaseToken: claimed!.leaseToken });
  });
});

describe('leases: a crashed worker\'s task is reclaimed', () => {
  it('progress only moves forward; complete sets 100 and completedAt; the lease ends', async () => {
    const { task, worker: api, owner, session } = await queued();
    const [claimed] = await api.claim({ workerId: 'steady', leaseSeconds: 60 });
    expect(claimed!.leaseExpiresAt.getTime() - claimed!.heartbeatAt.getTime()).toBe(60_000);
    const lease = { id: task.id, leaseToken: claimed!.leaseToken };
    expect((await api.progress({ ...lease, progress: 10 })).progress).toBe(10);
    expect((await api.progress({ ...lease, progress: 10 })).progress).toBe(10);
    expect((await api.progress({ ...lease, progress: 55, leaseSeconds: 600 })).progress).toBe(55);
    const back = await failure(api.progress({ ...lease, progress: 30 }));
    expect(back).toMatchObject({ code: 'BAD_REQUEST', message: 'progress cannot go back from 55 to 30' });
    expect(badFields(await failure(api.progress({ ...lease, progress: 101 })))).toEqual(['progress']);
    const done = await api.complete(lease);
    expect(done).toMatchObject({ status: 'completed', progress: 100, attempts: 1, lockedBy: null, leaseExpiresAt: null });
    expect(done.completedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
    expect((await owner.tasks.list({ analysisSessionId: session.id })).items[0]).toMatchObject({ status: 'completed', progress: 100 });
    // Finished: the lease token is worth nothing now.
    expect(await codeOf(api.heartbeat(lease))).toBe('CONFLICT');
  });

  it('a crashed worker\'s task goes back to pending (attempt counted, progress 0, why kept) and the next worker gets it', async () => {
    const { task, worker: api } = await queued();
    const [claimed] = await api.claim({ workerId: 'host-a:41' });
    await api.progress({ id: task.id, leaseToken: claimed!.leaseToken, progress: 40 });
    expect(await api.reclaimStale()).toEqual([]);
    await expire(task.id);
    const [reclaimed] = await api.reclaimStale();
    expect(reclaimed).toMatchObject({ id: task.id, status: 'pending', attempts: 1, progress: 0, errorMessage: null });
    expect(reclaimed!.lastError).toMatch(/^attempt 1: worker host-a:41 sent its last heartbeat at .* and its lease expired$/);
    const { rows } = await app.sql(`select started_at, completed_at, locked_by, lease_token from verificai.analysis_tasks where id = $1`, [task.id]);
    expect(rows[0]).toEqual({ started_at: null, completed_at: null, locked_by: null, lease_token: null });
    // The next claim reclaims on its own too: no one has to call reclaimStale.
    const [again] = await api.claim({ workerId: 'host-b:7' });
    expect(again).toMatchObject({ id: task.id, attempts: 2, lockedBy: 'host-b:7', lastError: reclaimed!.lastError, progress: 0 });
    await expire(task.id);
    const [third] = await api.claim({ workerId: 'host-c:1' });
    expect(third).toMatchObject({ id: task.id, attempts: 3 });
    await api.complete({ id: task.id, leaseToken: third!.leaseToken });
  });

  it('after max_attempts expired leases the task fails, its error kept; max_attempts is the task\'s own', async () => {
    const { task, worker: api, owner, session } = await queued();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [claimed] = await api.claim({ workerId: `crashy-${attempt}` });
      expect(claimed).toMatchObject({ id: task.id, attempts: attempt });
      await expire(task.id);
    }
    const [failed] = await api.reclaimStale();
    expect(failed).toMatchObject({ id: task.id, status: 'failed', attempts: 3 });
    expect(failed!.errorMessage).toMatch(/^attempt 3: worker crashy-3 /);
    expect(failed!.lastError).toBe(failed!.errorMessage);
    const [listed] = (await owner.tasks.list({ analysisSessionId: session.id })).items;
    expect(listed).toMatchObject({ status: 'failed', errorMessage: failed!.errorMessage });
    expect(listed!.completedAt).toBeInstanceOf(Date);
    expect(await api.claim({ workerId: 'late' })).toEqual([]);

    const once = await queued(1);
    await once.worker.claim({ workerId: 'only-try' });
    await expire(once.task.id);
    expect(await once.worker.reclaimStale({ limit: 10 })).toMatchObject([{ id: once.task.id, status: 'failed', attempts: 1 }]);
  });

  it('a stale worker can neither heartbeat, report progress, complete nor fail a task once it was reclaimed', async () => {
    const { task, worker: api } = await queued();
    const [stale] = await api.claim({ workerId: 'paused-by-gc' });
    await expire(task.id);
    await api.reclaimStale();
    for (const moment of ['reclaimed', 'claimed by another'] as const) {
      if (moment === 'claimed by another') await api.claim({ workerId: 'fresh' });
      const lease = { id: task.id, leaseToken: stale!.leaseToken };
      const err = await failure(api.heartbeat(lease));
      expect(err.code, moment).toBe('CONFLICT');
      expect(err.message).toBe(`leaseToken: task ${task.id} is not leased with this token (it was reclaimed, finished, or never claimed so)`);
      expect(await codeOf(api.progress({ ...lease, progress: 90 })), moment).toBe('CONFLICT');
      expect(await codeOf(api.complete(lease)), moment).toBe('CONFLICT');
      expect(await codeOf(api.fail({ ...lease, error: 'stale failure' })), moment).toBe('CONFLICT');
    }
    const { rows } = await app.sql(`select status, locked_by, progress, attempts, lease_token from verificai.analysis_tasks where id = $1`, [task.id]);
    expect(rows[0]).toMatchObject({ status: 'running', locked_by: 'fresh', progress: 0, attempts: 2 });
    const failed = await api.fail({ id: task.id, leaseToken: rows[0]!.lease_token, error: 'parser crashed on main.py' });
    expect(failed).toMatchObject({ status: 'failed', errorMessage: 'parser crashed on main.py', lastError: 'parser crashed on main.py' });
    expect(failed.completedAt).toBeInstanceOf(Date);
  });

  it('a heartbeat extends the lease and keeps the task from being reclaimed', async () => {
    const { task, worker: api } = await queued();
    const [claimed] = await api.claim({ workerId: 'steady', leaseSeconds: 30 });
    await expire(task.id);
    const beat = await api.heartbeat({ id: task.id, leaseToken: claimed!.leaseToken, leaseSeconds: 120 });
    expect(beat.leaseExpiresAt.getTime() - beat.heartbeatAt.getTime()).toBe(120_000);
    expect(await api.reclaimStale()).toEqual([]);
    await api.complete({ id: task.id, leaseToken: claimed!.leaseToken });
  });
});

describe('task rules in the database', () => {
  it('each CHECK holds (triggers off, so the CHECK alone answers)', async () => {
    const { task } = await queued();
    const lease = `locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now()`;
    const running = `status = 'running', attempts = 1, started_at = now(), ${lease}`;
    const cases: Array<[string, string]> = [
      [`task_id = ''`, 'analysis_tasks_task_id_length'],
      [`task_id = repeat('t', 256)`, 'analysis_tasks_task_id_length'],
      [`task_type = 'lint'`, 'analysis_tasks_task_type_check'],
      [`status = 'queued', started_at = now()`, 'analysis_tasks_status_check'],
      [`progress = -1`, 'analysis_tasks_progress_range'],
      [`progress = 101`, 'analysis_tasks_progress_range'],
      [`status = 'completed', started_at = now(), completed_at = now(), progress = 99`, 'analysis_tasks_completed_at_full_progress'],
      [`status = 'failed', started_at = now(), completed_at = now(), error_message = ''`, 'analysis_tasks_error_message_length'],
      [`status = 'failed', started_at = now(), completed_at = now(), error_message = repeat('e', 2001)`, 'analysis_tasks_error_message_length'],
      [`error_message = 'boom'`, 'analysis_tasks_error_message_when_failed'],
      [`started_at = now()`, 'analysis_tasks_started_at_when_started'],
      [`${running.replace('started_at = now(), ', '')}`, 'analysis_tasks_started_at_when_started'],
      [`completed_at = now()`, 'analysis_tasks_completed_at_when_finished'],
      [`status = 'failed', started_at = now(), error_message = 'x'`, 'analysis_tasks_completed_at_when_finished'],
      [`status = 'completed', progress = 100, started_at = now(), completed_at = now() - interval '1 minute'`, 'analysis_tasks_completed_after_started'],
      [`attempts = -1`, 'analysis_tasks_attempts_nonnegative'],
      [`max_attempts = 0`, 'analysis_tasks_max_attempts_range'],
      [`max_attempts = 101`, 'analysis_tasks_max_attempts_range'],
      [`${running.replace(`locked_by = 'w'`, `locked_by = ''`)}`, 'analysis_tasks_locked_by_length'],
      [`last_error = ''`, 'analysis_tasks_last_error_length'],
      [`last_error = repeat('e', 2001)`, 'analysis_tasks_last_error_length'],
      [`lease_token = gen_random_uuid()`, 'analysis_tasks_lease_when_running'],
      [`${lease}, attempts = 1`, 'analysis_tasks_lease_when_running'],
      [`status = 'running', attempts = 1, started_at = now()`, 'analysis_tasks_lease_when_running'],
      [`${running.replace(', heartbeat_at = now()', '')}`, 'analysis_tasks_lease_when_running'],
      [`${running.replace('attempts = 1', 'attempts = 0')}`, 'analysis_tasks_attempt_counted'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(`update verificai.analysis_tasks set ${set} where id = $1`, [task.id], { triggers: false }), set).toEqual({ code: '23514', constraint });
    }
    // The well-formed rows are accepted: each case fails for its rule alone.
    const client = await app.superClient();
    try {
      await client.query('begin');
      await client.query('set local session_replication_role = replica');
      for (const set of [
        running,
        `status = 'completed', progress = 100, started_at = now() - interval '1 minute', completed_at = now()`,
        `status = 'failed', started_at = now(), completed_at = now(), error_message = repeat('e', 2000), last_error = repeat('e', 2000), max_attempts = 100`,
      ]) {
        await client.query('savepoint s');
        await client.query(`update verificai.analysis_tasks set ${set} where id = $1`, [task.id]);
        await client.query('rollback to savepoint s');
      }
    } finally {
      await client.query('rollback');
      client.release();
    }
    await app.sql(`delete from verificai.analysis_tasks where id = $1`, [task.id]);
  });

  it('the status guard allows pending -> running -> completed/failed and running -> pending, nothing else', async () => {
    const { task } = await queued();
    const release = `locked_by = null, lease_token = null, lease_expires_at = null, heartbeat_at = null`;
    const claim = `status = 'running', attempts = attempts + 1, started_at = now(), locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now()`;
    const refused = async (set: string) => expect(await app.sqlError(`update verificai.analysis_tasks set ${set} where id = $1`, [task.id]), set).toEqual({ code: '23514', constraint: undefined });
    await refused(`status = 'completed', progress = 100, started_at = now(), completed_at = now()`);
    await refused(`status = 'failed', started_at = now(), completed_at = now()`);
    await app.sql(`update verificai.analysis_tasks set ${claim} where id = $1`, [task.id]);
    await app.sql(`update verificai.analysis_tasks set status = 'pending', started_at = null, ${release} where id = $1`, [task.id]);
    await app.sql(`update verificai.analysis_tasks set ${claim} where id = $1`, [task.id]);
    await app.sql(`update verificai.analysis_tasks set status = 'completed', progress = 100, completed_at = now(), ${release} where id = $1`, [task.id]);
    await refused(`status = 'running', completed_at = null, ${claim.replace("status = 'running', ", '')}`);
    await refused(`status = 'pending', started_at = null, completed_at = null`);
  });

  it('progress never goes back, whoever writes, except a reclaim\'s return to pending', async () => {
    const { task } = await queued();
    await app.sql(`update verificai.analysis_tasks set status = 'running', attempts = 1, started_at = now(), locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now(), progress = 60 where id = $1`, [task.id]);
    expect(await app.sqlError(`update verificai.analysis_tasks set progress = 59 where id = $1`, [task.id])).toEqual({ code: '23514', constraint: undefined });
    await app.sql(`update verificai.analysis_tasks set status = 'pending', started_at = null, locked_by = null, lease_token = null, lease_expires_at = null, heartbeat_at = null, progress = 0 where id = $1`, [task.id]);
    expect((await app.sql(`select progress from verificai.analysis_tasks where id = $1`, [task.id])).rows[0]).toEqual({ progress: 0 });
    await app.sql(`delete from verificai.analysis_tasks where id = $1`, [task.id]);
  });
});
