/**
 * Bulk insert of a document's chunks: rows/s of componentforge.chunks.insertMany (zod, the
 * request transaction, unnest batches of 5,000) against hand-written pg in the same kind of
 * transaction: one multi-row INSERT ... VALUES (= 1.00), and the same unnest statement without
 * the layer. Each call inserts 10,000 chunks of ~1 KB into a fresh document; the audit and
 * chunk_count triggers fire for all of them alike.
 */
import type { Services } from '../src/server/context.js';
import { insertChunks } from '../src/routers/componentforge/chunks.js';
import { pgTypedConnection } from '../src/db/connection.js';
import { median, type BenchDatabase, type Result } from './measure.js';
import { caller, closeRawPool, newUser, rawPool, rawRequest } from './support.js';

const ROWS = 10_000;
const ROUNDS = 7;

export async function benchChunkInsert(db: BenchDatabase, services: Services): Promise<Result[]> {
  const user = await newUser(services);
  const api = caller(services, user.token).componentforge;
  const filler = 'Primary buttons carry the main action of a view; keep one per section. '.repeat(14);
  const chunks = Array.from({ length: ROWS }, (_, i) => ({ chunkIndex: i, content: `${i}: ${filler}`, tokenCount: 512 }));
  const raw = rawPool(db.ownerUrl);
  try {
    // Documents are made ahead, so that only the chunk inserts are timed.
    const documents: string[] = [];
    for (let i = 0; i < (ROUNDS + 1) * 3; i++) {
      documents.push((await api.documents.create({ title: 'bench', filename: 'bench.pdf', filePath: '/bench.pdf' })).id);
    }
    const variants: Array<{ name: string; fn: (documentId: string) => Promise<unknown> }> = [
      {
        name: 'raw pg: one multi-row INSERT ... VALUES',
        fn: (documentId) =>
          rawRequest(raw, user.token, async (client) => {
            const values: unknown[] = [];
            const rows = chunks.map((c, i) => {
              values.push(documentId, c.chunkIndex, c.content, c.tokenCount);
              return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`;
            });
            await client.query(`insert into componentforge.document_chunks (document_id, chunk_index, content, token_count) values ${rows.join(', ')}`, values);
          }),
      },
      {
        name: 'raw pg: our unnest statement, without tRPC',
        fn: (documentId) =>
          rawRequest(raw, user.token, (client) => insertChunks(pgTypedConnection(client, true), documentId, chunks)),
      },
      { name: 'componentforge.chunks.insertMany', fn: (documentId) => api.chunks.insertMany({ documentId, chunks }) },
    ];
    // Interleaved rounds, the order rotating, after one warm-up call each: drift hits all alike.
    const times = variants.map(() => [] as number[]);
    for (const v of variants) await v.fn(documents.pop()!);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + round) % variants.length;
        const started = process.hrtime.bigint();
        await variants[i]!.fn(documents.pop()!);
        times[i]!.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    const rates = times.map((t) => ROWS / median(t));
    return variants.map((v, i) => ({ name: v.name, value: rates[i]!, unit: 'rows/s', baseline: rates[0]! }));
  } finally {
    await closeRawPool(raw);
  }
}
