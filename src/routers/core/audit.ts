import { z } from 'zod';
import { coreAuditLogActionSchema } from '../../db/generated/catalog.js';
import { listAuditEntries } from '../../../sql/core/audit_log.queries.js';
import { cursorInput, limitInput, timeKey, timePage } from '../../server/cursor.js';
import { adminProcedure, router } from '../../server/trpc.js';

export const auditRouter = router({
  /** Admins: the audit trail, newest first, keyset-paginated, filtered by actor, entity, action and time range [from, to). */
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
      const rows = await listAuditEntries.run(
        {
          actorId: input.actorId ?? null,
          entitySchema: input.entitySchema ?? null,
          entityTable: input.entityTable ?? null,
          entityId: input.entityId ?? null,
          action: input.action ?? null,
          from: input.from ?? null,
          to: input.to ?? null,
          beforeAt,
          beforeId,
          limit: input.limit,
        },
        ctx.db,
      );
      return timePage(rows, input.limit);
    }),
});
