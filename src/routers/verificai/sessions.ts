import { z } from 'zod';
import { verificaiAnalysisSessionsStatusSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import {
  countSessionRows,
  deleteSession,
  findSession,
  insertSession,
  listAllSessions,
  listAllSessionsByStatus,
  listSessions,
  listSessionsByStatus,
  renameSession,
  sessionScoreStats,
  setSessionStatus,
} from '../../../sql/verificai/analysis_sessions.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { idInput, textInput } from './inputs.js';

const sessionNameInput = textInput(255);
const isAdmin = (user: { role: string }) => user.role === 'admin';

type Counts = Record<string, number>;

export const sessionsRouter = router({
  /** Starts an analysis session for the caller, in status created. */
  create: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/verificai/sessions', tags: ['verificai'], summary: 'Start an analysis session' } })
    .input(z.object({ sessionName: sessionNameInput })).mutation(async ({ ctx, input }) => {
    return one(await insertSession.run({ userId: ctx.user.id, sessionName: input.sessionName }, ctx.db), 'analysis session');
  }),

  /** One session (the caller's own; admins: any). */
  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/verificai/sessions/{id}', tags: ['verificai'], summary: 'One analysis session' } })
    .input(idInput).query(async ({ ctx, input }) => {
    return one(await findSession.run({ id: input.id }, ctx.db), 'analysis session', input.id);
  }),

  /**
   * The caller's sessions newest first (admins: everyone's), optionally of one status,
   * keyset-paginated. A non-admin's reads name the user, so that their index leads with user_id.
   */
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/verificai/sessions', tags: ['verificai'], summary: "The caller's analysis sessions, newest first, keyset pages" } })
    .input(z.object({ status: verificaiAnalysisSessionsStatusSchema.optional(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const before = idKey(input.cursor);
      const { status, limit } = input;
      const rows = isAdmin(ctx.user)
        ? status
          ? await listAllSessionsByStatus.run({ status, before, limit }, ctx.db)
          : await listAllSessions.run({ before, limit }, ctx.db)
        : status
          ? await listSessionsByStatus.run({ userId: ctx.user.id, status, before, limit }, ctx.db)
          : await listSessions.run({ userId: ctx.user.id, before, limit }, ctx.db);
      return page(rows, limit, (row) => [row.id]);
    }),

  /** Renames a session. */
  rename: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: '/verificai/sessions/{id}', tags: ['verificai'], summary: 'Rename a session' } })
    .input(z.object({ id: z.uuid(), sessionName: sessionNameInput })).mutation(async ({ ctx, input }) => {
    return one(await renameSession.run(input, ctx.db), 'analysis session', input.id);
  }),

  /**
   * Moves a session along created -> uploading -> analyzing -> completed, to failed (from
   * uploading or analyzing) or to cancelled (from any unfinished state); completedAt is set
   * when it finishes. Any other move is BAD_REQUEST naming it.
   */
  setStatus: authedProcedure
    .input(z.object({ id: z.uuid(), status: verificaiAnalysisSessionsStatusSchema }))
    .mutation(async ({ ctx, input }) => {
      return one(await setSessionStatus.run(input, ctx.db), 'analysis session', input.id);
    }),

  /** Deletes a session with its files, results and tasks. */
  delete: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/verificai/sessions/{id}', tags: ['verificai'], summary: 'Delete a session with its files, results and tasks' } })
    .input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteSession.run({ id: input.id }, ctx.db), 'analysis session', input.id);
  }),

  /**
   * The session with its files, results and tasks counted by status and its scores
   * (min/avg/max, exact strings) per analysis type: three queries sent together, one round trip.
   */
  summary: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const [sessions, counts, scores] = await Promise.all([
      findSession.run({ id: input.id }, ctx.db),
      countSessionRows.run({ id: input.id }, ctx.db),
      sessionScoreStats.run({ id: input.id }, ctx.db),
    ]);
    const session = one(sessions, 'analysis session', input.id);
    const by = (kind: string): Counts => Object.fromEntries(counts.filter((c) => c.kind === kind).map((c) => [c.status, c.count]));
    return { session, files: by('files'), results: by('results'), tasks: by('tasks'), scores };
  }),
});
