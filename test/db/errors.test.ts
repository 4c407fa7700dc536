import { TRPCError } from '@trpc/server';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { RuleViolation, maybeOne, one, toTRPCError } from '../../src/db/errors.js';
import { createPool } from '../../src/db/pool.js';
import { createContext } from '../../src/server/context.js';
import { createCallerFactory } from '../../src/server/trpc.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { failure } from '../support/errors.js';
import { probeRouter } from '../support/probe.js';

const app = useTestApp();

/** What a procedure running these statements fails with. */
function procedureError(statements: Array<{ text: string; values?: unknown[] }>, token?: string): Promise<TRPCError> {
  return failure(app.probe({ token }).sql(statements.map((s) => ({ text: s.text, values: s.values ?? [] }))));
}

function fields(err: TRPCError): Record<string, string[]> | undefined {
  return err.cause instanceof RuleViolation ? err.cause.fieldErrors : undefined;
}

describe('Postgres errors become tRPC errors that name the field and the rule', () => {
  it('23505 unique violation -> CONFLICT with the field', async () => {
    const user = await app.newUser();
    const err = await failure(app.caller().auth.register({ username: unique('dup'), email: user.email, password: PASSWORD }));
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe('CONFLICT');
    expect((err as TRPCError).message).toBe('email is already registered');
    expect(fields(err as TRPCError)).toEqual({ email: ['email is already registered'] });
  });

  it('23505 on an index without wording names the table, never the index expression', async () => {
    const err = await procedureError([
      { text: `create temporary table t (e text)` },
      { text: `create unique index on t (lower(e))` },
      { text: `insert into t values ('A'), ('a')` },
    ]);
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toBe('t already exists');
    expect(fields(err)).toEqual({});
  });

  it('23503 foreign key violation -> BAD_REQUEST naming the reference', async () => {
    const admin = await app.newAdmin();
    const err = await procedureError(
      [{ text: `update core.auth_sessions set user_id = '01900000-0000-7000-8000-000000000000' where user_id = $1`, values: [admin.id] }],
      admin.token,
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('user_id must reference an existing user');
    expect(fields(err)).toEqual({ userId: ['user_id must reference an existing user'] });
  });

  it('23514 check violation -> BAD_REQUEST with the constraint comment', async () => {
    const user = await app.newUser();
    const err = await procedureError([{ text: `update core.users set avatar_url = 'ftp://x' where id = $1`, values: [user.id] }], user.token);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('avatar_url must be an http(s) URL of at most 500 characters');
    expect(fields(err)).toEqual({ avatarUrl: [err.message] });
  });

  it('a trigger that refuses a value names its column: the field, under its API name, with the trigger\'s message', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token });

    // core.guard_status_transition (23514, no constraint) through a real procedure: UPLOADING cannot skip to PROCESSED.
    const document = await api.socrates.documents.register({ filename: 'notes.pdf', filePath: `u/${unique('notes')}.pdf` });
    const skip = await failure(api.socrates.documents.setStatus({ id: document.id, status: 'PROCESSED' }));
    expect(skip.code).toBe('BAD_REQUEST');
    expect(skip.message).toBe('documents status cannot change from UPLOADING to PROCESSED');
    expect(fields(skip)).toEqual({ status: [skip.message] });
    expect((await api.socrates.documents.get({ id: document.id })).status).toBe('UPLOADING');

    // A two-word column comes back as the API field: upload_status -> uploadStatus.
    const session = await api.verificai.sessions.create({ sessionName: unique('errors') });
    await api.verificai.files.registerMany({
      analysisSessionId: session.id,
      files: [{ fileName: 'a.py', filePath: `/uploads/${unique('a')}/a.py`, fileSize: 10, fileType: 'text/x-python' }],
    });
    const [file] = (await api.verificai.files.list({ analysisSessionId: session.id })).items;
    const early = await failure(api.verificai.files.setStatus({ analysisSessionId: session.id, ids: [file!.id], uploadStatus: 'processed' }));
    expect(early.code).toBe('BAD_REQUEST');
    expect(early.message).toBe('file_uploads upload_status cannot change from uploaded to processed');
    expect(fields(early)).toEqual({ uploadStatus: [early.message] });

    // core.guard_counters (42501): a direct write of a counter no procedure offers, run as the row's owner.
    const { conversation } = await api.componentforge.conversations.start({ content: 'hello' });
    const counter = await procedureError(
      [{ text: `update componentforge.conversations set total_tokens_used = 99 where id = $1`, values: [conversation.id] }],
      user.token,
    );
    expect(counter.code).toBe('FORBIDDEN');
    expect(counter.message).toBe('total_tokens_used is kept by the database and cannot be set');
    expect(fields(counter)).toEqual({ totalTokensUsed: [counter.message] });
  });

  it('23502 not-null violation -> BAD_REQUEST naming the column', async () => {
    const user = await app.newUser();
    const err = await procedureError([{ text: `update core.users set email = null where id = $1`, values: [user.id] }], user.token);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('email is required');
  });

  it('22P02 invalid text representation -> BAD_REQUEST without echoing the value', async () => {
    const err = await procedureError([{ text: `select $1::uuid`, values: ['not-a-uuid'] }]);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('invalid uuid input');
  });

  it('22001 string too long -> BAD_REQUEST', async () => {
    const err = await procedureError([
      { text: `create temporary table t (code varchar(2))` },
      { text: `insert into t values ('abc')` },
    ]);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('a value is longer than character varying(2) allows');
  });

  it('42501 insufficient privilege and RLS refusals -> FORBIDDEN', async () => {
    const denied = await procedureError([{ text: `select * from public.pgmigrations` }]);
    expect(denied.code).toBe('FORBIDDEN');
    expect(denied.message).toBe('not allowed to do this');
    const rls = await procedureError([
      { text: `insert into core.users (username, email, password_hash) values ('zed', 'zed@example.com', '$argon2id$x')` },
    ]);
    expect(rls.code).toBe('FORBIDDEN');
    expect(rls.message).toBe('not allowed to write this user');
  });

  it('57014 statement timeout -> TIMEOUT', async () => {
    const err = await procedureError([{ text: `set local statement_timeout = 50` }, { text: `select pg_sleep(1)` }]);
    expect(err.code).toBe('TIMEOUT');
  });

  it('40001 serialization failure and 40P01 deadlock -> CONFLICT asking to retry', async () => {
    const err = await procedureError([{ text: `do $$ begin raise exception 'lost the race' using errcode = 'serialization_failure'; end $$` }]);
    // A RAISE from our own PL/pgSQL keeps its message; the code still maps.
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toBe('lost the race');
    const mapped = toTRPCError(Object.assign(new pg.DatabaseError('deadlock detected', 0, 'error'), { code: '40P01' }));
    expect(mapped.code).toBe('CONFLICT');
    expect(mapped.message).toBe('Another change got there first; try again');
  });

  it('connection failures -> SERVICE_UNAVAILABLE: refused, pool exhausted, server shutting down', async () => {
    const refused = createPool('postgresql://nobody:x@127.0.0.1:1/none', { DB_POOL_SIZE: 1, DB_POOL_TIMEOUT_MS: 1000, DB_STATEMENT_TIMEOUT_MS: 0 }, app.services.log);
    try {
      const err = await failure(createCallerFactory(probeRouter)(createContext({ ...app.services, pool: refused }))
        .sql([{ text: 'select 1' }]));
      expect((err as TRPCError).code).toBe('SERVICE_UNAVAILABLE');
      expect((err as TRPCError).message).toBe('The database is unavailable; try again shortly');
    } finally {
      await refused.end();
    }

    // The timeout also bounds opening the held connection (a SCRAM login), which takes longer than
    // 100 ms on a loaded CI machine: wide enough for that, short enough for the wait that follows.
    const tiny = createPool(app.url, { DB_POOL_SIZE: 1, DB_POOL_TIMEOUT_MS: 1500, DB_STATEMENT_TIMEOUT_MS: 0 }, app.services.log);
    const held = await tiny.connect();
    try {
      const err = await failure(createCallerFactory(probeRouter)(createContext({ ...app.services, pool: tiny }))
        .sql([{ text: 'select 1' }]));
      expect((err as TRPCError).code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      held.release();
      await tiny.end();
    }

    expect(toTRPCError(Object.assign(new pg.DatabaseError('terminating connection due to administrator command', 0, 'error'), { code: '57P01' })).code).toBe(
      'SERVICE_UNAVAILABLE',
    );
  });

  it('23514 without a comment names the row, never the constraint; a partition finds its parent\'s wording', async () => {
    const err = await procedureError([
      { text: `create temporary table t (n int constraint t_n_positive check (n > 0))` },
      { text: `insert into t values (-1)` },
    ]);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('the t breaks a data rule');

    // A row lands in a partition of core.audit_log: Postgres names the partition as the table.
    const raw = await app.sql(`insert into core.audit_log (action) values ('NOPE')`).catch((e: unknown) => e as pg.DatabaseError);
    expect(raw).toBeInstanceOf(pg.DatabaseError);
    expect((raw as pg.DatabaseError).table).not.toBe('audit_log');
    const mapped = toTRPCError(raw);
    expect(mapped.code).toBe('BAD_REQUEST');
    expect(mapped.message).toBe('action must be CREATE, UPDATE, DELETE or a named application event');
    expect(fields(mapped)).toEqual({ action: [mapped.message] });
  });

  it('54000/54001 program limits reached by a value -> BAD_REQUEST, not a 500', async () => {
    // An index entry over a btree page's third: 64,000 hex characters barely compress.
    const big = await procedureError([
      { text: `create temporary table t (v text)` },
      { text: `create index on t (v)` },
      { text: `insert into t select string_agg(md5(i::text), '') from generate_series(1, 2000) i` },
    ]);
    expect(big.code).toBe('BAD_REQUEST');
    expect(big.message).toBe('a value is too large or too deeply nested to store');
    expect((big.cause as RuleViolation).sqlState).toBe('54000');

    // jsonb nested past the server's stack (well-formed, so depth is the only thing wrong).
    const deep = await procedureError([{ text: `select ($1::text)::jsonb`, values: ['['.repeat(1_000_000) + ']'.repeat(1_000_000)] }]);
    expect(deep.code).toBe('BAD_REQUEST');
    expect(deep.message).toBe('a value is too large or too deeply nested to store');
    expect((deep.cause as RuleViolation).sqlState).toBe('54001');
  });

  it('53xxx the server out of a resource -> SERVICE_UNAVAILABLE', () => {
    for (const code of ['53100', '53200', '53300', '53400']) {
      const err = toTRPCError(Object.assign(new pg.DatabaseError('out of memory', 0, 'error'), { code }));
      expect(err.code, code).toBe('SERVICE_UNAVAILABLE');
      expect(err.message).toBe('The database is unavailable; try again shortly');
    }
  });

  it('anything else -> INTERNAL_SERVER_ERROR with a generic message', async () => {
    const err = await procedureError([{ text: `select * from core.no_such_table` }]);
    expect(err.code).toBe('INTERNAL_SERVER_ERROR');
    expect(err.message).toBe('Internal server error');
  });

  it('one() and maybeOne(): a missing row is NOT_FOUND naming the id', () => {
    expect(one([{ a: 1 }], 'user', 'x')).toEqual({ a: 1 });
    expect(() => one([], 'user', 'abc')).toThrowError(expect.objectContaining({ code: 'NOT_FOUND', message: 'user abc not found' }));
    expect(maybeOne([])).toBeUndefined();
  });
});
