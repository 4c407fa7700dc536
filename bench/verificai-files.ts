/**
 * Bulk file registration of an upload: rows/s of verificai.files.registerMany (zod, the request
 * transaction, ONE unnest statement for all 10,000 files) against hand-written pg in the same
 * kind of transaction: one multi-row INSERT ... VALUES on the same table (= 1.00), and our unnest
 * statement without the layer. Each call registers 10,000 files into a fresh session; the audit
 * and total_files triggers fire for all of them alike.
 */
import type { Services } from '../src/server/context.js';
import { pgTypedConnection } from '../src/db/connection.js';
import { insertFileUploads } from '../sql/verificai/file_uploads.queries.js';
import { median, type BenchDatabase, type Result } from './measure.js';
import { caller, closeRawPool, newUser, rawPool, rawRequest } from './support.js';

const ROWS = 10_000;
const ROUNDS = 7;

export async function benchVerificaiFiles(db: BenchDatabase, services: Services): Promise<Result[]> {
  const user = await newUser(services);
  const api = caller(services, user.token).verificai;
  const files = Array.from({ length: ROWS }, (_, i) => ({
    fileName: `module_${i}.py`,
    filePath: `/uploads/monorepo/packages/service_${i % 50}/src/module_${i}.py`,
    fileSize: 2_048 + i,
    fileType: 'text/x-python',
  }));
  const raw = rawPool(db.ownerUrl);
  try {
    // Sessions are made ahead, so that only the registrations are timed.
    const sessions: string[] = [];
    for (let i = 0; i < (ROUNDS + 1) * 3; i++) sessions.push((await api.sessions.create({ sessionName: 'bench' })).id);
    const variants: Array<{ name: string; fn: (sessionId: string) => Promise<unknown> }> = [
      {
        name: 'raw pg: one multi-row INSERT ... VALUES',
        fn: (sessionId) =>
          rawRequest(raw, user.token, async (client) => {
            const values: unknown[] = [];
            const rows = files.map((f, i) => {
              values.push(sessionId, f.fileName, f.filePath, f.fileSize, f.fileType);
              return `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`;
            });
            await client.query(`insert into verificai.file_uploads (analysis_session_id, file_name, file_path, file_size, file_type) values ${rows.join(', ')}`, values);
          }),
      },
      {
        name: 'raw pg: our unnest statement, without tRPC',
        fn: (sessionId) =>
          rawRequest(raw, user.token, (client) =>
            insertFileUploads.run(
              {
                sessionId,
                fileNames: files.map((f) => f.fileName),
                filePaths: files.map((f) => f.filePath),
                fileSizes: files.map((f) => f.fileSize),
                fileTypes: files.map((f) => f.fileType),
              },
              pgTypedConnection(client, true),
            ),
          ),
      },
      { name: 'verificai.files.registerMany', fn: (sessionId) => api.files.registerMany({ analysisSessionId: sessionId, files }) },
    ];
    // Interleaved rounds, the order rotating, after one warm-up call each: drift hits all alike.
    const times = variants.map(() => [] as number[]);
    for (const v of variants) await v.fn(sessions.pop()!);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + round) % variants.length;
        const started = process.hrtime.bigint();
        await variants[i]!.fn(sessions.pop()!);
        times[i]!.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    const rates = times.map((t) => ROWS / median(t));
    return variants.map((v, i) => ({ name: v.name, value: rates[i]!, unit: 'rows/s', baseline: rates[0]! }));
  } finally {
    await closeRawPool(raw);
  }
}
