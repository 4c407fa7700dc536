/** Tag and extraction inputs, shared by the ingest and by tags.add / extractions.add. */
import { z } from 'zod';
import { scraperContentExtractionsExtractionTypeSchema, scraperMetadataTagsTagTypeSchema } from '../../db/generated/catalog.js';
import { cappedJson, JSON_LARGE_BYTES } from '../../server/json-input.js';
import { confidenceInput, textInput } from './inputs.js';

export const tagInput = z.object({
  tagType: scraperMetadataTagsTagTypeSchema,
  tagKey: textInput(100),
  tagValue: z.string().max(2000).nullable().optional(),
});

/** The top level content_extractions_extracted_data_shape asks of each extraction type. */
const SHAPES = {
  text: { ok: (d: unknown) => isObject(d) && typeof (d as Record<string, unknown>).text === 'string', rule: 'must be {"text": "..."} for a text extraction' },
  metadata: { ok: isObject, rule: 'must be a JSON object for a metadata extraction' },
  links: { ok: Array.isArray, rule: 'must be a JSON array for a links extraction' },
  images: { ok: Array.isArray, rule: 'must be a JSON array for an images extraction' },
} as const;

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const extractionInput = z
  .object({
    extractionType: scraperContentExtractionsExtractionTypeSchema,
    // 256 KiB as JSON, the CHECK's size (content_extractions_extracted_data_size).
    extractedData: cappedJson(z.json(), JSON_LARGE_BYTES),
    confidenceScore: confidenceInput.nullable().optional(),
  })
  .superRefine((extraction, ctx) => {
    const shape = SHAPES[extraction.extractionType];
    if (!shape.ok(extraction.extractedData)) ctx.addIssue({ code: 'custom', path: ['extractedData'], message: shape.rule });
  });
