/**
 * Input pieces every application's routers use alike; each app's inputs.ts re-exports them
 * beside its own, so that a router imports all its inputs from one place.
 */
import { z } from 'zod';

export const idInput = z.object({ id: z.uuid() });

/** Trimmed text of 1..max characters, as the tables' length CHECKs ask. */
export const textInput = (max: number) => z.string().trim().min(1).max(max);

/** The name a worker gives itself (a work queue's locked_by). */
export const workerIdInput = textInput(200);
/** A lease's length: a worker may ask for its own per call. */
export const leaseSecondsInput = z.number().int().min(5).max(86_400).optional();
