import { z } from 'zod';
import {
  socratesDocumentsStatusSchema,
  socratesMessagesMessageTypeSchema,
  socratesMessagesRoleSchema,
  socratesProjectsStatusSchema,
  socratesSessionsModeSchema,
  socratesSessionsStatusSchema,
} from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import {
  attachDocumentVector,
  deleteDocument,
  findDocument,
  listDocuments,
  listDocumentsByStatus,
  listDocumentsInProject,
  registerDocument,
  setDocumentStatus,
} from '../../../sql/socrates/documents.queries.js';
import { appendMessage, latestMessages, listMessages } from '../../../sql/socrates/messages.queries.js';
import {
  createProject,
  deleteProject,
  findProject,
  listProjects,
  listProjectsByStatus,
  setProjectStatus,
  updateProject,
} from '../../../sql/socrates/projects.queries.js';
import {
  deleteSession,
  findSession,
  listSessions,
  listSessionsByStatus,
  listSessionsInProject,
  renameSession,
  setSessionStatus,
  startSession,
} from '../../../sql/socrates/sessions.queries.js';
import { cursorInput, idKey, limitInput, page, timeKey, timePage } from '../../server/cursor.js';
import { JSON_SMALL_BYTES, jsonObjectInput } from '../../server/json-input.js';
import { authedProcedure, router } from '../../server/trpc.js';

// Inputs mirror the CHECK constraints; the database stays the authority.
const id = z.object({ id: z.uuid() });
const name = z.string().trim().min(1).max(255);
const technologyStack = z.array(z.string().trim().min(1).max(100)).max(100);
const metadata = jsonObjectInput(JSON_SMALL_BYTES); // 64 KiB, as messages_metadata_size

const projects = router({
  /** Creates a project for the caller. */
  create: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/socrates/projects', tags: ['socrates'], summary: 'Create a project' } })
    .input(
      z.object({
        name,
        description: z.string().max(10_000).optional(),
        status: socratesProjectsStatusSchema.optional(),
        technologyStack: technologyStack.nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await createProject.run(
        {
          ownerId: ctx.user.id,
          name: input.name,
          description: input.description ?? null,
          status: input.status ?? null,
          // Absent is SQL NULL (the column's [] default); null is JSON null, stored as SQL NULL.
          technologyStack: input.technologyStack === undefined ? null : JSON.stringify(input.technologyStack),
        },
        ctx.db,
      );
      return one(rows, 'project');
    }),

  /** One of the caller's projects. */
  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/socrates/projects/{id}', tags: ['socrates'], summary: "One of the caller's projects" } })
    .input(id).query(async ({ ctx, input }) => one(await findProject.run(input, ctx.db), 'project', input.id)),

  /** Changes name, description or technology stack (absent fields keep their value). */
  update: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: '/socrates/projects/{id}', tags: ['socrates'], summary: 'Change name, description or technology stack' } })
    .input(
      z.object({
        id: z.uuid(),
        name: name.optional(),
        description: z.string().max(10_000).nullable().optional(),
        technologyStack: technologyStack.nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { id: projectId, ...patch } = input;
      return one(await updateProject.run({ id: projectId, patch }, ctx.db), 'project', projectId);
    }),

  /** Moves a project to another stage (PLANNING .. COMPLETE). */
  setStatus: authedProcedure
    .input(z.object({ id: z.uuid(), status: socratesProjectsStatusSchema }))
    .mutation(async ({ ctx, input }) => one(await setProjectStatus.run(input, ctx.db), 'project', input.id)),

  /** Deletes a project; its sessions and documents are kept without a project. */
  delete: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/socrates/projects/{id}', tags: ['socrates'], summary: 'Delete a project (its sessions and documents are kept)' } })
    .input(id).mutation(async ({ ctx, input }) => {
    one(await deleteProject.run(input, ctx.db), 'project', input.id);
    return { deleted: true };
  }),

  /** The caller's projects, newest first, keyset-paginated, optionally in one status. */
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/socrates/projects', tags: ['socrates'], summary: "The caller's projects, newest first, keyset pages" } })
    .input(z.object({ status: socratesProjectsStatusSchema.optional(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      // One statement per filter shape, so that each generic plan keeps its index conditions.
      const params = { ownerId: ctx.user.id, before: idKey(input.cursor), limit: input.limit };
      const rows = input.status
        ? await listProjectsByStatus.run({ ...params, status: input.status }, ctx.db)
        : await listProjects.run(params, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),
});

const sessionStatus = (status: 'ACTIVE' | 'PAUSED' | 'ARCHIVED') =>
  authedProcedure.input(id).mutation(async ({ ctx, input }) => one(await setSessionStatus.run({ id: input.id, status }, ctx.db), 'session', input.id));

const sessions = router({
  /** Starts a session in a mode, optionally within one of the caller's projects. */
  start: authedProcedure
    .input(
      z.object({
        mode: socratesSessionsModeSchema.default('chat'),
        projectId: z.uuid().optional(),
        name: name.optional(),
        role: z.string().trim().min(1).max(100).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await startSession.run(
        { ownerId: ctx.user.id, projectId: input.projectId ?? null, name: input.name ?? null, mode: input.mode, role: input.role ?? null },
        ctx.db,
      );
      return one(rows, 'session');
    }),

  /** One of the caller's sessions. */
  get: authedProcedure.input(id).query(async ({ ctx, input }) => one(await findSession.run(input, ctx.db), 'session', input.id)),

  /** A session with its latest messages in reading order: two queries, whatever the count. */
  getWithMessages: authedProcedure
    .input(z.object({ id: z.uuid(), latest: z.number().int().min(1).max(500).default(50) }))
    .query(async ({ ctx, input }) => {
      const session = one(await findSession.run({ id: input.id }, ctx.db), 'session', input.id);
      const messages = await latestMessages.run({ sessionId: input.id, limit: input.latest }, ctx.db);
      return { ...session, messages: messages.reverse() };
    }),

  /** Renames a session or changes the tutor's role. */
  update: authedProcedure
    .input(z.object({ id: z.uuid(), name: name.nullable().optional(), role: z.string().trim().min(1).max(100).nullable().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { id: sessionId, ...patch } = input;
      return one(await renameSession.run({ id: sessionId, patch }, ctx.db), 'session', sessionId);
    }),

  /** ACTIVE -> PAUSED. */
  pause: sessionStatus('PAUSED'),
  /** PAUSED -> ACTIVE. */
  resume: sessionStatus('ACTIVE'),
  /** ACTIVE or PAUSED -> ARCHIVED (final; archived_at is set). */
  archive: sessionStatus('ARCHIVED'),

  /** Deletes a session and its messages. */
  delete: authedProcedure.input(id).mutation(async ({ ctx, input }) => {
    one(await deleteSession.run(input, ctx.db), 'session', input.id);
    return { deleted: true };
  }),

  /** The caller's sessions, newest first, keyset-paginated, by project and/or status. */
  list: authedProcedure
    .input(
      z.object({
        projectId: z.uuid().optional(),
        status: socratesSessionsStatusSchema.optional(),
        cursor: cursorInput,
        limit: limitInput,
      }),
    )
    .query(async ({ ctx, input }) => {
      // One statement per filter shape, so that each generic plan keeps its index conditions.
      const params = { ownerId: ctx.user.id, before: idKey(input.cursor), limit: input.limit };
      const rows = input.projectId
        ? await listSessionsInProject.run({ ...params, projectId: input.projectId, status: input.status ?? null }, ctx.db)
        : input.status
          ? await listSessionsByStatus.run({ ...params, status: input.status }, ctx.db)
          : await listSessions.run(params, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),
});

const messages = router({
  /** Adds a learner (user) or tutor (assistant) message of any type to one of the caller's ACTIVE sessions. */
  append: authedProcedure
    .input(
      z.object({
        sessionId: z.uuid(),
        role: socratesMessagesRoleSchema,
        content: z.string().min(1).max(200_000),
        messageType: socratesMessagesMessageTypeSchema.default('text'),
        metadata: metadata.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await appendMessage.run(
        {
          sessionId: input.sessionId,
          userId: ctx.user.id,
          role: input.role,
          content: input.content,
          messageType: input.messageType,
          metadata: input.metadata ?? null,
        },
        ctx.db,
      );
      return one(rows, 'message');
    }),

  /** A session's messages, oldest first, keyset-paginated. */
  list: authedProcedure
    .input(z.object({ sessionId: z.uuid(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const [afterAt, afterId] = timeKey(input.cursor);
      const rows = await listMessages.run({ sessionId: input.sessionId, afterAt, afterId, limit: input.limit }, ctx.db);
      return timePage(rows, input.limit);
    }),
});

const documents = router({
  /** Records an upload (status UPLOADING), optionally within one of the caller's projects. */
  register: authedProcedure
    .input(
      z.object({
        filename: z.string().trim().min(1).max(500),
        filePath: z.string().trim().min(1).max(500),
        fileType: z.string().trim().min(1).max(50).optional(),
        projectId: z.uuid().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await registerDocument.run(
        { ownerId: ctx.user.id, projectId: input.projectId ?? null, filename: input.filename, filePath: input.filePath, fileType: input.fileType ?? null },
        ctx.db,
      );
      return one(rows, 'document');
    }),

  /** One of the caller's documents. */
  get: authedProcedure.input(id).query(async ({ ctx, input }) => one(await findDocument.run(input, ctx.db), 'document', input.id)),

  /**
   * Moves a document along UPLOADING -> PROCESSING -> PROCESSED | ERROR (ERROR and PROCESSED may
   * go back to PROCESSING); any other move is BAD_REQUEST naming it.
   */
  setStatus: authedProcedure
    .input(z.object({ id: z.uuid(), status: socratesDocumentsStatusSchema }))
    .mutation(async ({ ctx, input }) => one(await setDocumentStatus.run(input, ctx.db), 'document', input.id)),

  /** Records the document's vector-store id and, optionally, its summary. */
  attachVector: authedProcedure
    .input(z.object({ id: z.uuid(), vectorId: z.string().trim().min(1).max(500), contentSummary: z.string().max(100_000).optional() }))
    .mutation(async ({ ctx, input }) => {
      const rows = await attachDocumentVector.run(
        { id: input.id, vectorId: input.vectorId, contentSummary: input.contentSummary ?? null },
        ctx.db,
      );
      return one(rows, 'document', input.id);
    }),

  /** Deletes a document. */
  delete: authedProcedure.input(id).mutation(async ({ ctx, input }) => {
    one(await deleteDocument.run(input, ctx.db), 'document', input.id);
    return { deleted: true };
  }),

  /** The caller's documents, newest first, keyset-paginated, by project and/or status. */
  list: authedProcedure
    .input(
      z.object({
        projectId: z.uuid().optional(),
        status: socratesDocumentsStatusSchema.optional(),
        cursor: cursorInput,
        limit: limitInput,
      }),
    )
    .query(async ({ ctx, input }) => {
      // One statement per filter shape, so that each generic plan keeps its index conditions.
      const params = { ownerId: ctx.user.id, before: idKey(input.cursor), limit: input.limit };
      const rows = input.projectId
        ? await listDocumentsInProject.run({ ...params, projectId: input.projectId, status: input.status ?? null }, ctx.db)
        : input.status
          ? await listDocumentsByStatus.run({ ...params, status: input.status }, ctx.db)
          : await listDocuments.run(params, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),
});

export const socratesRouter = router({ projects, sessions, messages, documents });
