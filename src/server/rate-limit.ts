/**
 * Fixed-window rate limits on core.api_rate_limits. Hits run on their own connection in
 * autocommit, before the procedure's transaction opens: a request that then fails (a wrong
 * password) still counts, and a request never holds two pooled connections at once.
 */
import { TRPCError } from '@trpc/server';
import { hitRateLimit, hitUserRateLimit } from '../../sql/core/api_rate_limits.queries.js';
import { envelopeConnection } from '../db/connection.js';
import { Envelope } from '../db/envelope.js';
import { toTRPCError } from '../db/errors.js';
import { lease } from '../db/pool.js';
import type { Services } from './context.js';

/** A limit counted by a subject the request names (an ip, an email): login and registration. */
export interface SubjectRateRule {
  kind?: 'subject';
  /** What is limited, e.g. 'auth.login'. */
  endpoint: string;
  /** Whose requests count together, e.g. 'ip:203.0.113.7' or 'email:ada@example.com'. */
  subject: string;
  limit: number;
  windowSeconds: number;
  userId?: string | null;
}

/**
 * A limit per user (seed 001's api_rate_limits: per user and endpoint): the user is the one
 * behind the bearer token, resolved by the database (core.rate_limit_hit_user), and the limit
 * is the non-sensitive integer setting `limitKey` of core.system_configurations, or
 * `defaultLimit` while there is none. A token that does not authenticate counts nothing (the
 * procedure answers UNAUTHORIZED).
 */
export interface UserRateRule {
  kind: 'user';
  endpoint: string;
  /** SHA-256 of the bearer token. */
  tokenHash: Buffer;
  limitKey: string;
  defaultLimit: number;
  windowSeconds: number;
}

/** Either kind of limit; rateLimitedProcedure's rules may mix them. */
export type RateRule = SubjectRateRule | UserRateRule;

/** Carried as the TRPCError's cause; the error formatter and Retry-After header use it. */
export class RateLimited extends Error {
  override name = 'RateLimited';
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limited for ${retryAfterSeconds} s`);
  }
}

/** Counts one request against each rule; TOO_MANY_REQUESTS when any is over its limit. */
export async function hitRateLimits(services: Services, rules: readonly RateRule[]): Promise<void> {
  if (rules.length === 0) return;
  let leased;
  try {
    leased = await lease(services.pool, services.log);
  } catch (err) {
    throw toTRPCError(err);
  }
  let results;
  try {
    // All rules in one write and one round trip, as one implicit transaction (src/db/envelope.ts).
    const envelope = new Envelope({ namedStatements: services.config.DB_NAMED_STATEMENTS, idleTimeoutMs: 0 });
    envelope.start(leased.client);
    const db = envelopeConnection(envelope);
    const hits = Promise.all(
      rules.map(async (rule) => {
        if (rule.kind === 'user') {
          const [row] = await hitUserRateLimit.run(
            { endpoint: rule.endpoint, tokenHash: rule.tokenHash, windowSeconds: rule.windowSeconds, limitKey: rule.limitKey, defaultLimit: rule.defaultLimit },
            db,
          );
          return row && { requestCount: row.requestCount, limit: row.requestLimit, resetsAt: row.resetsAt };
        }
        const [row] = await hitRateLimit.run(
          { endpoint: rule.endpoint, subject: rule.subject, userId: rule.userId ?? null, windowSeconds: rule.windowSeconds },
          db,
        );
        return row && { requestCount: row.requestCount, limit: rule.limit, resetsAt: row.resetsAt };
      }),
    );
    await envelope.end();
    results = await hits;
  } catch (err) {
    throw toTRPCError(err);
  } finally {
    leased.release();
  }
  const over = results.flatMap((row) => (row && row.requestCount > row.limit ? [row.resetsAt.getTime()] : []));
  if (over.length > 0) {
    const seconds = Math.max(1, Math.ceil((Math.max(...over) - Date.now()) / 1000));
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `Too many requests; try again in ${seconds} s`,
      cause: new RateLimited(seconds),
    });
  }
}
