/**
 * One transaction as one stream of extended-protocol messages.
 *
 * PostgreSQL runs every Parse/Bind/Execute it receives before a Sync as ONE implicit
 * transaction, and commits it (or, after an error, rolls it back) at the Sync. An Envelope uses
 * that: a procedure's statements are written as Bind/Execute messages (Parse too, the first time
 * a named statement meets a connection), each batch followed by a Flush so that the server
 * answers without ending the transaction, and the Sync is written when the procedure is done.
 * Statements queued in the same tick (the request setup and the procedure's first query, or the
 * queries of a Promise.all) leave in ONE socket write. No BEGIN and no COMMIT statement: a
 * read-only procedure is two statements, the setup and its query, in one round trip.
 *
 * The Envelope is a pg Submittable (the extension point pg-cursor and pg-query-stream use): it
 * is the client's active query from its first write until the ReadyForQuery that answers its
 * Sync, so nothing else can interleave on the connection. It needs a client without
 * `pipeline: true` (pg refuses custom Submittables in pipeline mode).
 *
 * The server's idle_in_transaction_session_timeout only starts after a Sync, so a transaction
 * left waiting between Flushes would hold its locks forever: the Envelope applies the same
 * bound itself and destroys the connection when the application leaves it idle for longer
 * (the server then rolls back).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';

// pg's own conversion of parameter values (Date, Buffer, arrays, objects as JSON), as its Query uses.
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(value: unknown): unknown };

type Connection = pg.Connection & {
  stream: NodeJS.WritableStream & { cork?: () => void; uncork?: () => void; destroy(err?: Error): void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements?: Record<string, string>;
  parse(query: { text: string; name?: string; types?: number[] }): void;
  bind(config: { portal?: string; statement?: string; values?: unknown[]; binary?: boolean; valueMapper?: unknown }): void;
  describe(msg: { type: 'S' | 'P'; name?: string }): void;
  execute(config: { portal?: string; rows?: number }): void;
  flush(): void;
  sync(): void;
};

interface Field {
  name: string;
  dataTypeID: number;
}

interface FieldMessage {
  fields: Field[];
}

interface RowMessage {
  fields: Array<string | null>;
}

interface CommandMessage {
  text: string;
}

export interface EnvelopeResult {
  fields: Field[];
  rows: unknown[][];
  rowCount: number;
}

interface Statement {
  text: string;
  values: unknown[];
  name: string | undefined;
  resolve(result: EnvelopeResult): void;
  reject(err: Error): void;
  fields: Field[];
  parsers: Array<(value: string) => unknown>;
  rows: unknown[][];
  /** A Describe went out for it: its RowDescription (or NoData) is remembered for the connection. */
  described: boolean;
}

/** A named statement's result columns, as the server described them on one connection. */
interface Description {
  fields: Field[];
  parsers: Array<(value: string) => unknown>;
}

/**
 * The result columns of each named statement prepared on a connection. A statement whose
 * columns are known is sent without a Describe (the server then sends no RowDescription): the
 * prepared statement cannot change them, since the server refuses to run a prepared statement
 * whose result type has changed ("cached plan must not change result type"), and a statement
 * parsed again is described again.
 */
const descriptions = new WeakMap<Connection, Map<string, Description>>();

function describedOn(connection: Connection): Map<string, Description> {
  let map = descriptions.get(connection);
  if (!map) {
    map = new Map();
    descriptions.set(connection, map);
  }
  return map;
}

/**
 * The statements that were not run because an earlier statement of the same transaction failed
 * (the server skips everything up to the Sync). A read-only procedure that shares a transaction
 * with the one that failed may be run again on its own.
 */
export class StatementSkipped extends Error {
  override name = 'StatementSkipped';
  constructor(readonly failure: Error) {
    super('an earlier statement of this transaction failed');
  }
}

const statementNames = new Map<string, string>();

/** The name a statement text is prepared under (the same on every connection). */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `q_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** An error of one statement, after which the server goes on to the Sync (not a FATAL one that ends the session). */
function isStatementError(err: Error): boolean {
  return err instanceof pg.DatabaseError && err.severity !== 'FATAL' && err.severity !== 'PANIC';
}

export interface EnvelopeOptions {
  /** Named prepared statements (parsed once per connection); false behind a transaction pooler. */
  namedStatements: boolean;
  /** How long the application may leave the open transaction waiting; 0: no bound. */
  idleTimeoutMs: number;
}

export class Envelope {
  /** Written, waiting for their answers, in order. */
  private readonly sent: Statement[] = [];
  /** Queued since the last write. */
  private pending: Statement[] = [];
  /** Named statements whose Parse went out and is not yet confirmed. */
  private readonly parsing: Array<{ name: string; text: string }> = [];
  private connection: Connection | undefined;
  private writeScheduled = false;
  private syncing = false;
  private failure: Error | undefined;
  private settled = false;
  private syncSent = false;
  /** A failure no statement was there to receive (the commit at the Sync failed). */
  private undelivered = false;
  private client: { _txStatus?: string | null } | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private finished!: Promise<string>;
  private resolveFinished!: (status: string) => void;
  private rejectFinished!: (err: Error) => void;
  private readonly onParseComplete = () => {
    const parsed = this.parsing.shift();
    if (parsed && this.connection) this.connection.parsedStatements[parsed.name] = parsed.text;
  };
  private readonly onReadyAfterFailure = (msg: { status?: string }) => this.settle(msg.status ?? 'I');
  private readonly onEnd = () => this.settle(undefined, this.failure ?? new Error('Connection terminated unexpectedly'));

  constructor(private readonly options: EnvelopeOptions) {
    this.finished = new Promise((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    this.finished.catch(() => {});
  }

  /** Hands the envelope to a checked-out client; it writes as soon as the client is idle. */
  start(client: pg.ClientBase): void {
    this.client = client as unknown as { _txStatus?: string | null };
    void client.query(this as unknown as pg.QueryConfig);
  }

  /**
   * Queues one statement of this transaction. A `deferred` one waits for the next statement (or
   * the end) to leave in the same write: the request setup rides with the procedure's first query.
   */
  query(text: string, values: unknown[] = [], deferred = false): Promise<EnvelopeResult> {
    if (this.failure) return Promise.reject(new StatementSkipped(this.failure));
    if (this.syncing) return Promise.reject(new Error('the transaction has ended'));
    return new Promise((resolve, reject) => {
      this.pending.push({
        text,
        values,
        name: this.options.namedStatements ? statementName(text) : undefined,
        resolve,
        reject,
        fields: [],
        parsers: [],
        rows: [],
        described: false,
      });
      this.clearIdle();
      if (!deferred) this.scheduleWrite();
    });
  }

  /** Writes whatever is queued (deferred statements included) without waiting for more. */
  send(): void {
    this.scheduleWrite();
  }

  /**
   * Ends the transaction (Sync): a COMMIT of whatever it did, or a ROLLBACK if a statement
   * failed. Resolves with the transaction status of the ReadyForQuery that answers it ('I'
   * idle, 'T' still in a BEGIN block, 'E' a BEGIN block that failed).
   */
  end(): Promise<string> {
    if (!this.syncing) {
      this.syncing = true;
      this.clearIdle();
      if (!this.failure) this.scheduleWrite();
    }
    return this.finished;
  }

  /** Whether the transaction is over (its Sync answered, or its connection lost). */
  get ended(): boolean {
    return this.settled;
  }

  /** Set when the connection itself failed: it must not be reused. */
  get lost(): Error | undefined {
    return this.connectionFailure;
  }

  private connectionFailure: Error | undefined;

  /** Whether a statement has failed (the server skips the rest until the Sync). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  // ----- pg Submittable -----

  submit(connection: Connection): Error | null {
    this.connection = connection;
    connection.on('parseComplete', this.onParseComplete);
    connection.once('end', this.onEnd);
    this.write();
    return null;
  }

  private scheduleWrite(): void {
    if (this.writeScheduled || !this.connection) return;
    this.writeScheduled = true;
    queueMicrotask(() => {
      this.writeScheduled = false;
      this.write();
    });
  }

  /** Everything queued so far, then a Flush (or the Sync), in one socket write. */
  private write(): void {
    const connection = this.connection;
    if (!connection || this.failure || this.settled) return;
    const batch = this.pending;
    const sync = this.syncing && !this.syncSent;
    if (batch.length === 0 && !sync) return;
    this.pending = [];
    const stream = connection.stream;
    const known = describedOn(connection);
    stream.cork?.();
    try {
      for (const statement of batch) {
        let description: Description | undefined;
        if (statement.name === undefined) {
          connection.parse({ text: statement.text });
        } else if (connection.parsedStatements[statement.name] === undefined && !this.parsing.some((p) => p.name === statement.name)) {
          connection.parse({ text: statement.text, name: statement.name });
          this.parsing.push({ name: statement.name, text: statement.text });
          known.delete(statement.name);
        } else {
          description = known.get(statement.name);
        }
        try {
          connection.bind({ statement: statement.name ?? '', values: statement.values, valueMapper: prepareValue });
        } catch (err) {
          // A value pg cannot serialize: this statement fails before anything is sent for it.
          statement.reject(err as Error);
          continue;
        }
        if (description) {
          statement.fields = description.fields;
          statement.parsers = description.parsers;
        } else {
          connection.describe({ type: 'P', name: '' });
          statement.described = true;
        }
        connection.execute({ portal: '', rows: 0 });
        this.sent.push(statement);
      }
      if (sync) {
        this.syncSent = true;
        connection.sync();
      } else {
        connection.flush();
      }
    } finally {
      stream.uncork?.();
    }
  }

  handleRowDescription(msg: FieldMessage): void {
    const statement = this.sent[0];
    if (!statement) return;
    statement.fields = msg.fields;
    statement.parsers = msg.fields.map((f) => pg.types.getTypeParser(f.dataTypeID, 'text') as (value: string) => unknown);
  }

  handleDataRow(msg: RowMessage): void {
    const statement = this.sent[0];
    if (!statement) return;
    const raw = msg.fields;
    const row = new Array<unknown>(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const value = raw[i];
      row[i] = value === null || value === undefined ? null : statement.parsers[i]!(value);
    }
    statement.rows.push(row);
  }

  handleCommandComplete(msg: CommandMessage): void {
    const statement = this.sent.shift();
    if (!statement) return;
    if (statement.described && statement.name !== undefined && this.connection) {
      describedOn(this.connection).set(statement.name, { fields: statement.fields, parsers: statement.parsers });
    }
    const count = /(\d+)$/.exec(msg.text);
    statement.resolve({ fields: statement.fields, rows: statement.rows, rowCount: count ? Number(count[1]) : statement.rows.length });
    this.armIdle();
  }

  handleEmptyQuery(): void {
    const statement = this.sent.shift();
    statement?.resolve({ fields: [], rows: [], rowCount: 0 });
    this.armIdle();
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: Connection): void {
    (connection as unknown as { sendCopyFail(msg: string): void }).sendCopyFail('COPY is not supported in a request transaction');
  }

  handleCopyData(): void {}

  /**
   * A statement failed (the server now skips everything until the Sync), or the connection did.
   * pg has already dropped this envelope as its active query, so the ReadyForQuery that ends it
   * is awaited on the connection directly.
   */
  handleError(err: Error): void {
    if (this.settled) return;
    this.clearIdle();
    const first = this.failure === undefined;
    this.failure ??= err;
    // The error is the statement's in flight, else (the connection failed before anything was
    // written) the first one waiting's; the statements behind it were skipped.
    const current = this.sent.shift() ?? this.pending.shift();
    if (current) current.reject(err);
    else if (first) this.undelivered = true;
    for (const statement of [...this.sent.splice(0), ...this.pending.splice(0)]) statement.reject(new StatementSkipped(err));
    this.parsing.length = 0;
    if (!first) return;
    if (!isStatementError(err) || !this.connection) {
      this.settle(undefined, err);
      return;
    }
    this.connection.once('readyForQuery', this.onReadyAfterFailure);
    if (!this.syncSent) {
      this.syncSent = true;
      this.syncing = true;
      this.connection.sync();
    }
  }

  handleReadyForQuery(): void {
    // pg records the status of the ReadyForQuery before it calls this.
    this.settle(this.client?._txStatus ?? 'I');
  }

  private settle(status: string | undefined, err?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.clearIdle();
    this.connection?.off('parseComplete', this.onParseComplete);
    this.connection?.off('readyForQuery', this.onReadyAfterFailure);
    this.connection?.off('end', this.onEnd);
    for (const statement of [...this.sent.splice(0), ...this.pending.splice(0)]) {
      statement.reject(err ?? new Error('the transaction ended before this statement ran'));
    }
    if (err) {
      this.connectionFailure = err;
      this.rejectFinished(err);
    }
    else if (this.undelivered && this.failure) this.rejectFinished(this.failure);
    else this.resolveFinished(status ?? 'I');
  }

  /** While every statement is answered and the application has not ended the transaction. */
  private armIdle(): void {
    if (this.sent.length > 0 || this.pending.length > 0 || this.syncing || this.options.idleTimeoutMs <= 0) return;
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      const err = new Error(`the transaction was left idle for over ${this.options.idleTimeoutMs} ms`);
      this.connection?.stream.destroy(err);
    }, this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
