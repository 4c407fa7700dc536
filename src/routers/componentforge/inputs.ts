/** Inputs and page shapes shared by the ComponentForge routers. */
import { z } from 'zod';
import { JSON_LARGE_BYTES, jsonObjectInput as cappedJsonObject } from '../../server/json-input.js';

export { idInput, leaseSecondsInput, textInput, workerIdInput } from '../../server/inputs.js';

const INT4_MAX = 2_147_483_647;

/** A count or size that fits the integer columns and is never negative (the tables' CHECKs). */
export const countInput = z.number().int().min(0).max(INT4_MAX);
export const positiveInput = z.number().int().min(1).max(INT4_MAX);
/** Configs, metrics, reviewed requirements: JSON objects of at most 256 KiB (the tables' size CHECKs). */
export const jsonObjectInput = cappedJsonObject(JSON_LARGE_BYTES);
