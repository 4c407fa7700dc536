/** Inputs and page shapes shared by the ComponentForge routers. */
import { z } from 'zod';

const INT4_MAX = 2_147_483_647;

/** A count or size that fits the integer columns and is never negative (the tables' CHECKs). */
export const countInput = z.number().int().min(0).max(INT4_MAX);
export const positiveInput = z.number().int().min(1).max(INT4_MAX);
export const jsonObjectInput = z.record(z.string(), z.json());
export const idInput = z.object({ id: z.uuid() });

/** Trimmed text of 1..max characters, as the tables' length CHECKs ask. */
export const textInput = (max: number) => z.string().trim().min(1).max(max);
