/** Inputs shared by the VerificAI routers. */
import { z } from 'zod';

export { idInput, leaseSecondsInput, textInput, workerIdInput } from '../../server/inputs.js';

/**
 * A score from 0 to 100 with at most two decimals, as an exact decimal string (numeric(5,2)
 * comes back as one): '87.5', '100', '0.25'. More decimals are refused rather than rounded.
 */
export const scoreInput = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, 'must be a decimal number with at most two decimals, e.g. "87.50"')
  .refine((score) => Number(score) <= 100, 'must be between 0 and 100');
