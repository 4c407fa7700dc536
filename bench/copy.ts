/**
 * What the triggers of a bulk path cost: COPY of 20,000 chunks into componentforge.document_chunks
 * (its foreign key, chunk counter and audit triggers) against COPY into a twin without triggers
 * or foreign key (`like ... including all`: same columns, defaults, checks and indexes), each
 * committed on the durable server. Both run as the superuser, so that row-level security
 * (which the twin lacks) is not counted as trigger cost; the audit rows name an actor and a
 * request as a worker's would. Target >= 0.67. Needs the embedded server (a superuser).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { median, type BenchDatabase, type Result } from './measure.js';

const ROWS = 20_000;

/** COPY ... FROM STDIN through pg's Submittable interface: one CopyData message, then CopyDone. */
class CopyIn {
  private resolve!: () => void;
  private reject!: (err: Error) => void;
  readonly done = new Promise<void>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
  private failed: Error | undefined;
  constructor(
    private readonly text: string,
    private readonly data: Buffer,
  ) {}
  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }
  handleError(err: Error): void {
    this.failed = err;
    this.reject(err);
  }
  handleReadyForQuery(): void {
    if (!this.failed) this.resolve();
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

function chunksOf(documentId: string): Buffer {
  const content = 'lorem ipsum dolor sit amet '.repeat(20);
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) lines.push(`${documentId}\t${i}\t${content}\tvec-${i}\tbge-small\t120`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function copyInto(client: pg.Client, table: string, documentId: string): Promise<void> {
  await client.query('begin');
  // A worker's context: the audit rows name this actor and request.
  await client.query(`select set_config('app.user_id', $1, true), set_config('app.user_role', 'admin', true), set_config('app.request_id', 'bench-copy', true)`, [
    ADMIN_ID,
  ]);
  const copy = new CopyIn(`copy ${table} (document_id, chunk_index, content, vector_id, embedding_model, token_count) from stdin`, chunksOf(documentId));
  void client.query(copy as unknown as pg.QueryConfig);
  await copy.done;
  await client.query('commit');
}

const ADMIN_ID = '01900000-0000-7000-8000-00000000b0b0';

export async function benchCopy(db: BenchDatabase): Promise<Result[]> {
  if (!db.adminUrl) return [];
  const client = new pg.Client({ connectionString: db.adminUrl.replace(/\/postgres(\?|$)/, `/${new URL(db.ownerUrl).pathname.slice(1)}$1`) });
  await client.connect();
  try {
    await client.query('create table if not exists public.bench_chunks_twin (like componentforge.document_chunks including all)');
    await client.query(
      `insert into core.users (id, email, password_hash, role) values ($1, 'bench-copy@example.com', '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2g$YmVuY2g', 'admin') on conflict do nothing`,
      [ADMIN_ID],
    );
    const newDocument = async () => {
      const id = randomUUID();
      await client.query(`insert into componentforge.documents (id, user_id, title, filename, file_path) values ($1, $2, 'bench', 'bench.pdf', '/bench.pdf')`, [id, ADMIN_ID]);
      return id;
    };
    const variants = [
      { name: 'COPY into a twin without triggers or foreign key', run: async () => copyInto(client, 'public.bench_chunks_twin', randomUUID()) },
      { name: 'COPY into document_chunks with its triggers (target >= 0.67)', run: async () => copyInto(client, 'componentforge.document_chunks', await newDocument()) },
    ];
    // Interleaved rounds, one COPY of each per round after a warm-up; the median round of each.
    for (const v of variants) await v.run();
    const times = variants.map(() => [] as number[]);
    for (let round = 0; round < 7; round++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + round) % variants.length;
        const started = process.hrtime.bigint();
        await variants[i]!.run();
        times[i]!.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    const rates = times.map((t) => ROWS / median(t));
    return variants.map((v, i) => ({ name: v.name, value: rates[i]!, unit: 'rows/s', baseline: rates[0]! }));
  } finally {
    await client.query('drop table if exists public.bench_chunks_twin');
    await client.end();
  }
}
