/** Inputs shared by the Scraper routers. */
import { z } from 'zod';
import { hashToken } from '../../auth/tokens.js';
import type { Context } from '../../server/context.js';
import type { RateRule } from '../../server/rate-limit.js';

export { idInput, leaseSecondsInput, textInput, workerIdInput } from '../../server/inputs.js';

/** One keyword: non-blank, at most 200 characters (scraper.keywords_valid). */
export const keywordInput = z.string().trim().min(1).max(200);

/** A SHA-256 digest as 64 hex characters; stored lowercase, as the CHECK asks. */
export const contentHashInput = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 digest: 64 hex characters')
  .transform((hash) => hash.toLowerCase());

/**
 * A MinIO object key "bucket/key", as artifacts_minio_path_format checks it: a bucket name (3-63
 * of a-z 0-9 . -, starting and ending with a letter or digit), then non-empty segments that are
 * not '.' or '..', no control characters.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export const minioPathInput = z
  .string()
  .max(500)
  .refine((path) => {
    const [bucket, ...segments] = path.split('/');
    return (
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket ?? '') &&
      segments.length > 0 &&
      segments.every((s) => s !== '' && s !== '.' && s !== '..') &&
      !CONTROL.test(path)
    );
  }, 'must be an object key bucket/key (bucket 3-63 of a-z 0-9 . -; key segments non-empty, not . or ..)');

/** An http(s) URL of at most 2048 characters. */
export const sourceUrlInput = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s\u0000-\u001f\u007f-\u009f]+$/, 'must be an http(s) URL without spaces');

/** type/subtype, at most 100 characters. */
export const mimeTypeInput = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/, 'must be a MIME type, type/subtype');

/** A confidence from 0 to 1 with at most two decimals, as an exact decimal string (numeric(3,2) comes back as one). */
export const confidenceInput = z
  .string()
  .regex(/^(0(\.\d{1,2})?|1(\.0{1,2})?)$/, 'must be a decimal number from 0 to 1 with at most two decimals, e.g. "0.85"');


/** Fixed window of the per-user limits. */
export const RATE_WINDOW_SECONDS = 60;

/**
 * A per-user limit on `endpoint`, counted before the procedure's transaction; the limit is the
 * integer setting `limitKey` of core.system_configurations, `defaultLimit` while there is none.
 * Without a token nothing is counted (the procedure answers UNAUTHORIZED).
 */
export function perUserLimit(endpoint: string, limitKey: string, defaultLimit: number) {
  return (ctx: Context): RateRule[] =>
    ctx.request.token
      ? [{ kind: 'user', endpoint, tokenHash: hashToken(ctx.request.token), limitKey, defaultLimit, windowSeconds: RATE_WINDOW_SECONDS }]
      : [];
}
