import { z } from 'zod';
import { scraperMetadataTagsTagTypeSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { deleteTag, insertTag, listArtifactTags } from '../../../sql/scraper/metadata_tags.queries.js';
import { findArtifact } from '../../../sql/scraper/artifacts.queries.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { tagInput } from './extractions-input.js';
import { textInput } from './inputs.js';

export const tagsRouter = router({
  /**
   * Tags an artifact of the caller's (admins: any); CONFLICT when it has that tagType and tagKey
   * already. Any `privacy` tag hides the artifact from public reads, even when isPublic.
   */
  add: authedProcedure.input(tagInput.extend({ artifactId: z.uuid() })).mutation(async ({ ctx, input }) => {
    return one(await insertTag.run({ ...input, tagValue: input.tagValue ?? null }, ctx.db), 'tag');
  }),

  /** Removes one tag of an artifact of the caller's (admins: any). */
  remove: authedProcedure
    .input(z.object({ artifactId: z.uuid(), tagType: scraperMetadataTagsTagTypeSchema, tagKey: textInput(100) }))
    .mutation(async ({ ctx, input }) => {
      return one(await deleteTag.run(input, ctx.db), 'tag', `${input.tagType}/${input.tagKey}`);
    }),

  /** The tags of an artifact the caller may read, by type and key. */
  list: authedProcedure.input(z.object({ artifactId: z.uuid() })).query(async ({ ctx, input }) => {
    one(await findArtifact.run({ id: input.artifactId }, ctx.db), 'artifact', input.artifactId);
    return listArtifactTags.run({ artifactId: input.artifactId }, ctx.db);
  }),
});
