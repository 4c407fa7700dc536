/**
 * Bulk insert of a document's chunks: rows/s of componentforge.chunks.insertMany (zod, the
 * request transaction, unnest batches of 5,000) against hand-written pg in the same kind of
 * transaction: one multi-row INSERT ... VALUES, and the same unnest statement without the
 * layer. Each call inserts 10,000 chunks into a fresh document; audit and chunk_count
 * triggers fire for all of them alike.
 */
import { insertDocumentChunks } from '../sql/componentforge/document_chunks.queries.js';
import { pgTypedConnection } from '../src/db/connection.js';
import { interleave, median, newUser, rawRequest, type BenchEnv, type Measurement } from './support.js';

const ROWS = 10_000;
const ROUNDS = 7;

function chunksOf(count: number) {
  // ~1 KB of text each, about what a 512-token chunk holds.
  const filler = 'Primary buttons carry the main action of a view; keep one per section. '.repeat(14);
  return Array.from({ length: count }, (_, i) => ({ chunkIndex: i, content: `${i}: ${filler}`, tokenCount: 512 }));
}

export const chunkInsert: Measurement = {
  name: `bulk chunk insert (${ROWS.toLocaleString('en')} rows per call)`,
  async run(env: BenchEnv) {
    const user = await newUser(env);
    const api = env.caller(user.token).componentforge;
    const chunks = chunksOf(ROWS);
    const newDocument = async () => (await api.documents.create({ title: 'bench', filename: 'bench.pdf', filePath: '/bench.pdf' })).id;

    // Documents are made ahead, so that only the chunk inserts are timed.
    const documents: string[] = [];
    for (let i = 0; i < (ROUNDS + 1) * 3; i++) documents.push(await newDocument());
    const next = () => documents.pop()!;

    const samples = await interleave(
      {
        'raw pg: one multi-row INSERT ... VALUES': () =>
          rawRequest(env, user.token, async (client) => {
            const documentId = next();
            const values: unknown[] = [];
            const rows = chunks.map((c, i) => {
              values.push(documentId, c.chunkIndex, c.content, c.tokenCount);
              return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`;
            });
            await client.query(
              `insert into componentforge.document_chunks (document_id, chunk_index, content, token_count) values ${rows.join(', ')}`,
              values,
            );
          }),
        'raw pg: the same unnest statement, no tRPC': () =>
          rawRequest(env, user.token, async (client) => {
            const documentId = next();
            const db = pgTypedConnection(client, true);
            for (let start = 0; start < chunks.length; start += 5_000) {
              const batch = chunks.slice(start, start + 5_000);
              await insertDocumentChunks.run(
                {
                  documentId,
                  chunkIndexes: batch.map((c) => c.chunkIndex),
                  contents: batch.map((c) => c.content),
                  tokenCounts: batch.map((c) => c.tokenCount),
                  vectorIds: batch.map(() => null) as unknown as string[],
                  embeddingModels: batch.map(() => null) as unknown as string[],
                },
                db,
              );
            }
          }),
        'componentforge.chunks.insertMany': () => api.chunks.insertMany({ documentId: next(), chunks }),
      },
      ROUNDS,
    );
    return Object.entries(samples).map(([variant, ms], i) => ({
      group: `${ROWS.toLocaleString('en')} chunks per call`,
      variant,
      value: ROWS / (median(ms) / 1000),
      unit: 'rows/s',
      baseline: i === 0,
    }));
  },
};
