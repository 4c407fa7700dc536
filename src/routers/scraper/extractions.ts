import { z } from 'zod';
import { jsonParam } from '../../db/connection.js';
import { one } from '../../db/errors.js';
import { recordAccess } from '../../../sql/scraper/access_audit.queries.js';
import { findArtifact } from '../../../sql/scraper/artifacts.queries.js';
import { insertExtraction, listArtifactExtractions } from '../../../sql/scraper/content_extractions.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { extractionInput } from './extractions-input.js';

export const extractionsRouter = router({
  /** Records an extraction of an artifact of the caller's (admins: any); the data's top level must fit its extractionType. */
  add: authedProcedure.input(extractionInput.and(z.object({ artifactId: z.uuid() }))).mutation(async ({ ctx, input }) => {
    const rows = await insertExtraction.run(
      { artifactId: input.artifactId, extractionType: input.extractionType, extractedData: jsonParam(input.extractedData), confidenceScore: input.confidenceScore ?? null },
      ctx.db,
    );
    return one(rows, 'extraction');
  }),

  /** An artifact's extractions (of one the caller may read) in the order they were made, keyset pages; audited as EXTRACTIONS_READ. */
  list: authedProcedure
    .meta({ writes: true })
    .input(z.object({ artifactId: z.uuid(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      one(await findArtifact.run({ id: input.artifactId }, ctx.db), 'artifact', input.artifactId);
      const rows = await listArtifactExtractions.run({ artifactId: input.artifactId, after: idKey(input.cursor), limit: input.limit }, ctx.db);
      await recordAccess.run(
        { action: 'EXTRACTIONS_READ', resourceType: 'artifacts', resourceId: input.artifactId, details: { extractions: rows.length } },
        ctx.db,
      );
      return page(rows, input.limit, (row) => [row.id]);
    }),
});
