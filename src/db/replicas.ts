/**
 * Read replicas (DATABASE_REPLICA_URLS): a pool per streaming replica, and the choice of where a
 * read-only procedure runs.
 *
 * Read-your-writes: a mutation answers with the primary's WAL position after its COMMIT (the
 * `x-commit-lsn` header); the client sends the highest position it has seen back as `x-min-lsn`,
 * and a read goes to a replica only if that replica has replayed at least that far, else to the
 * primary. Deciding must cost nothing on the request path (poolFor is synchronous, no query), so
 * each replica's replayed position (pg_last_wal_replay_lsn()) and the primary's position
 * (pg_current_wal_lsn()) are polled in the background, every POLL_INTERVAL_MS, each on a
 * connection of its own outside the pools.
 *
 * A replica is skipped while its last poll failed or is too old (down), or while it lags more
 * than REPLICA_MAX_LAG_MS (lagging). The lag is measured against the primary's polled positions,
 * not pg_last_xact_replay_timestamp(), whose age grows on a primary that simply has nothing to
 * commit: a replica lags by the time since the primary first had WAL the replica has not yet
 * replayed (to within a poll interval).
 */
import pg from 'pg';
import type { DatabaseSsl } from '../config.js';
import type { Logger } from '../logger.js';
import { formatLsn, hasReplayed, parseLsn } from './lsn.js';
import { createPool, type PoolConfig } from './pool.js';

/** How often positions are polled: a read routed to the primary for want of a fresher replica waits at most about this long to be sent to one again. */
export const POLL_INTERVAL_MS = 50;
/** A poll that takes longer than this fails: the replica (or primary) counts as down until one succeeds. */
const POLL_TIMEOUT_MS = 1_000;
/** A replica whose last successful poll is older than this is down (the poller itself may have stalled). */
const STALE_AFTER_MS = 2_000;

/** The default of REPLICA_MAX_LAG_MS (src/config.ts). */
export const DEFAULT_MAX_LAG_MS = 5_000;

export type ReplicaState = 'starting' | 'up' | 'lagging' | 'down';

export interface ReplicaStatus {
  /** `replica1`, `replica2`, ... in the order of DATABASE_REPLICA_URLS (the URLs hold credentials: never shown). */
  name: string;
  state: ReplicaState;
  /** Why it is skipped (down or lagging). */
  reason?: string;
  /** pg_last_wal_replay_lsn() at the last successful poll. */
  replayLsn: string | null;
  /** WAL bytes the primary had at its last poll that the replica had not replayed at its own. */
  lagBytes: number | null;
  /** For how long the replica has lacked WAL the primary had (0 when caught up), to within a poll interval. */
  lagMs: number | null;
  /** Reads sent to it since start (poolFor's choices). */
  reads: number;
}

export interface ReplicaSetStatus {
  primary: { state: 'up' | 'down' | 'starting'; lsn: string | null; reason?: string; reads: number };
  replicas: ReplicaStatus[];
}

export interface ReplicaSet {
  /**
   * The pool a read-only procedure should use: a replica that is up, within the lag bound and
   * has replayed `minLsn` (the client's last seen commit position, 'X/Y'), chosen round-robin;
   * undefined for the primary. Synchronous, no query. A malformed `minLsn` is ignored.
   */
  poolFor(minLsn?: string): pg.Pool | undefined;
  /** Each replica's pool by name (for /metrics). */
  readonly pools: ReadonlyArray<{ name: string; pool: pg.Pool }>;
  /** What /readyz reports: the last poll of the primary and of each replica. */
  status(): ReplicaSetStatus;
  /** Resolves after a complete round of polls that started after the call (start-up, tests). */
  refresh(): Promise<void>;
  /** Stops polling, closes the poll connections and the replicas' pools. */
  close(): Promise<void>;
}

export interface ReplicaSetOptions {
  /** The primary (DATABASE_URL or the embedded server's owner URL): its WAL position is what lag is measured against. */
  primaryUrl: string;
  /** REPLICA_MAX_LAG_MS: a replica further behind is skipped. */
  maxLagMs?: number;
  pollIntervalMs?: number;
}

/** One poll connection (outside the pools: a full pool must not hide a healthy server), reopened after a failure. */
class Poller {
  private client: pg.Client | undefined;

  constructor(
    private readonly url: string,
    private readonly ssl: DatabaseSsl,
  ) {}

  async query<T extends pg.QueryResultRow>(text: string): Promise<T> {
    if (!this.client) {
      const client = new pg.Client({
        connectionString: this.url,
        ...(this.ssl ? { ssl: this.ssl } : {}),
        connectionTimeoutMillis: POLL_TIMEOUT_MS,
        query_timeout: POLL_TIMEOUT_MS,
        application_name: 'pg-trpc-persistence replica poll',
      });
      // A connection that dies between polls is replaced at the next one.
      client.on('error', () => {
        if (this.client === client) this.client = undefined;
        void client.end().catch(() => {});
      });
      this.client = client;
      try {
        await client.connect();
      } catch (err) {
        this.drop();
        throw err;
      }
    }
    try {
      return (await this.client.query<T>(text)).rows[0]!;
    } catch (err) {
      this.drop();
      throw err;
    }
  }

  drop(): void {
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => {});
  }
}

interface Member {
  name: string;
  pool: pg.Pool;
  poller: Poller;
  state: ReplicaState;
  reason: string | undefined;
  replay: bigint | undefined;
  okAt: number;
  reads: number;
}

/** Words for an operator, never a connection string or a password. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (typeof e.message === 'string' && /timeout/i.test(e.message)) return 'no answer within 1 s';
  if (e.code) return `error ${e.code}`;
  return 'unreachable';
}

/**
 * A pool per replica URL (sized like the primary's) and the background polls that keep their
 * positions fresh. Replicas start as 'starting' (skipped) until their first poll.
 */
export function createReplicaSet(urls: string[], config: PoolConfig, log: Logger, ssl: DatabaseSsl, options: ReplicaSetOptions): ReplicaSet {
  const maxLagMs = options.maxLagMs ?? DEFAULT_MAX_LAG_MS;
  const interval = options.pollIntervalMs ?? POLL_INTERVAL_MS;
  const members: Member[] = urls.map((url, i) => ({
    name: `replica${i + 1}`,
    pool: createPool(url, config, log, ssl),
    poller: new Poller(url, ssl),
    state: 'starting',
    reason: 'not polled yet',
    replay: undefined,
    okAt: 0,
    reads: 0,
  }));
  const primaryPoller = new Poller(options.primaryUrl, ssl);
  const primary = { state: 'starting' as 'up' | 'down' | 'starting', lsn: undefined as bigint | undefined, reason: undefined as string | undefined, reads: 0 };
  /** The primary's polled positions, oldest first, kept for as long as the lag bound looks back. */
  const history: Array<{ at: number; lsn: bigint }> = [];
  let next = 0;
  let closed = false;

  for (const member of members) {
    // A replica that goes away shows first as its connections failing, idle or in use (pg emits
    // 'error' on the client either way): skip it at once rather than at the next poll, so that
    // no more reads are sent to it meanwhile. The next successful poll brings it back.
    member.pool.on('connect', (client) => {
      client.on('error', () => {
        if (member.state !== 'up' && member.state !== 'lagging') return;
        member.state = 'down';
        member.reason = 'a connection failed';
        if (!closed) log.warn({ replica: member.name }, 'replica connection failed: reads go elsewhere until it answers a poll');
      });
    });
  }

  /** For how long the replica has lacked WAL the primary had: since the first poll of the primary past its position. */
  const lagMsOf = (replay: bigint, now: number): number => {
    const first = history.find((sample) => !hasReplayed(replay, sample.lsn));
    return first ? now - first.at : 0;
  };

  const pollPrimary = async () => {
    try {
      const row = await primaryPoller.query<{ lsn: string }>('select pg_catalog.pg_current_wal_lsn()::text as lsn');
      const lsn = parseLsn(row.lsn)!;
      const at = Date.now();
      primary.state = 'up';
      primary.reason = undefined;
      primary.lsn = lsn;
      if (!history.length || history[history.length - 1]!.lsn !== lsn) history.push({ at, lsn });
    } catch (err) {
      if (primary.state !== 'down') log.warn({ reason: describe(err) }, 'replica set: the primary did not answer its poll');
      primary.state = 'down';
      primary.reason = describe(err);
    }
  };

  const pollReplica = async (member: Member) => {
    const was = member.state;
    try {
      const row = await member.poller.query<{ standby: boolean; replay: string | null }>(
        'select pg_catalog.pg_is_in_recovery() as standby, pg_catalog.pg_last_wal_replay_lsn()::text as replay',
      );
      const replay = parseLsn(row.replay);
      if (!row.standby || replay === undefined) {
        // Promoted (or never a standby): its data has left the primary's history.
        member.state = 'down';
        member.reason = 'not a standby (promoted?)';
        member.replay = undefined;
      } else {
        member.replay = replay;
        member.okAt = Date.now();
        const lagMs = lagMsOf(replay, member.okAt);
        member.state = lagMs > maxLagMs ? 'lagging' : 'up';
        member.reason = member.state === 'lagging' ? `replay ${lagMs} ms behind the primary (bound ${maxLagMs} ms)` : undefined;
      }
    } catch (err) {
      member.state = 'down';
      member.reason = describe(err);
    }
    if (member.state !== was && !closed) log.info({ replica: member.name, state: member.state, reason: member.reason }, 'replica state changed');
  };

  let round: Promise<void> | undefined;
  const pollOnce = async () => {
    // The primary first: a replica is then compared with a position at least as new as the one it polls.
    await pollPrimary();
    await Promise.all(members.map(pollReplica));
    const keepFrom = Date.now() - maxLagMs - 10 * interval;
    // Keep the newest sample older than the window: the lag of a replica behind all of them is still measured from it.
    while (history.length > 1 && history[1]!.at < keepFrom) history.shift();
  };
  const waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    if (closed) return;
    const waiting = waiters.splice(0);
    round = pollOnce().finally(() => {
      for (const resolve of waiting) resolve();
      round = undefined;
      if (!closed) {
        timer = setTimeout(loop, interval);
        timer.unref();
      }
    });
  };
  loop();

  const eligible = (member: Member, now: number, minLsn: bigint | undefined): boolean => {
    if (member.state !== 'up' || member.replay === undefined || now - member.okAt > STALE_AFTER_MS) return false;
    return minLsn === undefined || hasReplayed(member.replay, minLsn);
  };

  return {
    pools: members.map(({ name, pool }) => ({ name, pool })),
    poolFor(minLsnText) {
      const minLsn = parseLsn(minLsnText);
      const now = Date.now();
      for (let i = 0; i < members.length; i++) {
        const member = members[(next + i) % members.length]!;
        if (eligible(member, now, minLsn)) {
          next = (next + i + 1) % members.length;
          member.reads += 1;
          return member.pool;
        }
      }
      primary.reads += 1;
      return undefined;
    },
    status() {
      const now = Date.now();
      return {
        primary: {
          state: primary.state,
          lsn: primary.lsn === undefined ? null : formatLsn(primary.lsn),
          ...(primary.reason ? { reason: primary.reason } : {}),
          reads: primary.reads,
        },
        replicas: members.map((member) => {
          const stale = member.state === 'up' && now - member.okAt > STALE_AFTER_MS;
          const known = member.replay !== undefined && member.state !== 'down' && member.state !== 'starting';
          return {
            name: member.name,
            state: stale ? 'down' : member.state,
            ...(stale ? { reason: 'no poll answered recently' } : member.reason ? { reason: member.reason } : {}),
            replayLsn: member.replay === undefined ? null : formatLsn(member.replay),
            lagBytes: known && primary.lsn !== undefined ? Math.max(0, Number(primary.lsn - member.replay!)) : null,
            lagMs: known ? lagMsOf(member.replay!, member.okAt) : null,
            reads: member.reads,
          };
        }),
      };
    },
    refresh() {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        // Between rounds: start the next one now rather than after the interval.
        if (!round) {
          clearTimeout(timer);
          loop();
        }
      });
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await round?.catch(() => {});
      for (const resolve of waiters.splice(0)) resolve();
      primaryPoller.drop();
      for (const member of members) member.poller.drop();
      await Promise.all(members.map((member) => member.pool.end()));
    },
  };
}
