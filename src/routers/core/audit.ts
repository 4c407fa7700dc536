import { z } from 'zod';
import { coreAuditLogActionSchema } from '../../db/generated/catalog.js';
import {
  listAuditEntries,
  listAuditEntriesByAction,
  listAuditEntriesByActor,
  listAuditEntriesForEntity,
  listAuditEntriesForTable,
} from '../../../sql/core/audit_log.queries.js';
import { cursorInput, limitInput, timeKey, timePage } from '../../server/cursor.js';
import { adminProcedure, router } from '../../server/trpc.js';

export const auditRouter = router({
  /**
   * Admins: the audit trail, newest first, keyset-paginated, filtered by actor, entity, action and
   * time range [from, to). One statement per filter shape with an index of its own (a generic
   * plan cannot choose between indexes by which parameters are null), the most selective first:
   * one row's history, one user's actions, one table's history, one action, or everything.
   */
  list: adminProcedure
    .input(
      z.object({
        actorId: z.uuid().optional(),
        entitySchema: z.string().max(63).optional(),
        entityTable: z.string().max(63).optional(),
        entityId: z.uuid().optional(),
        action: coreAuditLogActionSchema.optional(),
        from: z.date().optional(),
        to: z.date().optional(),
        cursor: cursorInput,
        limit: limitInput,
      }),
    )
    .query(async ({ ctx, input }) => {
      const [beforeAt, beforeId] = timeKey(input.cursor);
      const page = { from: input.from ?? null, to: input.to ?? null, beforeAt, beforeId, limit: input.limit };
      const { actorId, entitySchema, entityTable, entityId, action } = input;
      const rows = entityId
        ? await listAuditEntriesForEntity.run(
            { entityId, actorId: actorId ?? null, action: action ?? null, entitySchema: entitySchema ?? null, entityTable: entityTable ?? null, ...page },
            ctx.db,
          )
        : actorId
          ? await listAuditEntriesByActor.run(
              { actorId, action: action ?? null, entitySchema: entitySchema ?? null, entityTable: entityTable ?? null, ...page },
              ctx.db,
            )
          : entitySchema !== undefined && entityTable !== undefined
            ? await listAuditEntriesForTable.run({ entitySchema, entityTable, action: action ?? null, ...page }, ctx.db)
            : action
              ? await listAuditEntriesByAction.run({ action, entitySchema: entitySchema ?? null, entityTable: entityTable ?? null, ...page }, ctx.db)
              : await listAuditEntries.run({ entitySchema: entitySchema ?? null, entityTable: entityTable ?? null, ...page }, ctx.db);
      return timePage(rows, input.limit);
    }),
});
