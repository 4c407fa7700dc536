/** Inputs shared by the VerificAI routers. */
import { z } from 'zod';

export const idInput = z.object({ id: z.uuid() });

/** Trimmed text of 1..max characters, as the tables' length CHECKs ask. */
export const textInput = (max: number) => z.string().trim().min(1).max(max);

/**
 * A score from 0 to 100 with at most two decimals, as an exact decimal string (numeric(5,2)
 * comes back as one): '87.5', '100', '0.25'. More decimals are refused rather than rounded.
 */
export const scoreInput = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, 'must be a decimal number with at most two decimals, e.g. "87.50"')
  .refine((score) => Number(score) <= 100, 'must be between 0 and 100');

/** The name a worker gives itself (the queue's locked_by). */
export const workerIdInput = textInput(200);
/** A lease's length: a worker may ask for its own per call. */
export const leaseSecondsInput = z.number().int().min(5).max(86_400).optional();
