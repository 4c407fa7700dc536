/**
 * The per-request context: who is calling (bearer token, client ip, user agent, request id)
 * and the shared services. Built from an HTTP request by the server, or directly by tests.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../config.js';
import { parseLsn } from '../db/lsn.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

export interface RequestInfo {
  /** The raw bearer token, if the request carried one. */
  token: string | undefined;
  clientIp: string;
  userAgent: string | undefined;
  requestId: string;
  /** The commit position the client last saw (x-min-lsn): a replica must have replayed it to serve a read. */
  minLsn?: string;
  /** The commit position of this request's last mutation, sent back as x-commit-lsn (set when replicas are in use). */
  commitLsn?: string;
}

/** Read replicas (src/db/replicas.ts): a replica's pool that has replayed `minLsn`, or undefined for the primary. */
export interface ReadReplicas {
  poolFor(minLsn: string | undefined): pg.Pool | undefined;
}

export interface Services {
  pool: pg.Pool;
  config: Pick<
    Config,
    | 'DB_NAMED_STATEMENTS'
    | 'AUTH_SESSION_TTL_HOURS'
    | 'NODE_ENV'
    | 'LOGIN_LIMIT_PER_EMAIL'
    | 'LOGIN_LIMIT_PER_IP'
    | 'LOGIN_LIMIT_WINDOW_SECONDS'
    | 'REGISTER_LIMIT_PER_IP'
    | 'REGISTER_LIMIT_WINDOW_SECONDS'
    | 'DOCUMENT_LEASE_SECONDS'
    | 'DOCUMENT_MAX_ATTEMPTS'
  >;
  log: Logger;
  /** AES-256-GCM key for sensitive configuration values. */
  configKey: Buffer;
  /** The server's /metrics registry (src/server/metrics.ts); absent for callers without a server. */
  metrics?: Metrics | undefined;
  /** Read replicas for query procedures (DATABASE_REPLICA_URLS); none: everything runs on `pool`. */
  replicas?: ReadReplicas | undefined;
}

export interface Context extends Services {
  request: RequestInfo;
  log: Logger;
}

export function createContext(services: Services, request: Partial<RequestInfo> = {}): Context {
  const info: RequestInfo = {
    token: request.token,
    clientIp: request.clientIp ?? '127.0.0.1',
    userAgent: request.userAgent,
    requestId: request.requestId ?? randomUUID(),
    ...(request.minLsn ? { minLsn: request.minLsn } : {}),
  };
  return { ...services, request: info, log: requestLogger(services.log, info.requestId) };
}

/**
 * The request's logger, tagged with its request id. pino's child() costs more than a point
 * query's round trip (about 14 µs here) and most requests never log, so the child is made on
 * first use.
 */
function requestLogger(log: Logger, requestId: string): Logger {
  let child: Logger | undefined;
  return new Proxy(log, {
    get(_target, property) {
      child ??= log.child({ requestId });
      const value = Reflect.get(child, property, child) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(child) : value;
    },
  });
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const MAX_USER_AGENT = 512;

/** Lists without an entry (no TRUSTED_PROXIES, the default): every request skips the lookup. */
const emptyLists = new WeakSet<BlockList>();

/** Parses TRUSTED_PROXIES: comma-separated addresses or CIDR ranges. */
export function trustedProxies(spec: string): BlockList {
  const list = new BlockList();
  if (!spec.trim()) emptyLists.add(list);
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(address ?? '')) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    if (bits === undefined) list.addAddress(address!, family);
    else list.addSubnet(address!, Number(bits), family);
  }
  return list;
}

function normalizeIp(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const bare = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return isIP(bare) ? bare : undefined;
}

function isTrusted(list: BlockList, ip: string): boolean {
  return !emptyLists.has(list) && list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy; then the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy.
 */
export function clientIp(req: IncomingMessage, proxies: BlockList): string {
  const peer = normalizeIp(req.socket.remoteAddress) ?? '0.0.0.0';
  if (!isTrusted(proxies, peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]);
    if (!hop) break;
    if (!isTrusted(proxies, hop)) return hop;
  }
  return peer;
}

export function requestInfoFromHttp(req: IncomingMessage, proxies: BlockList): RequestInfo {
  const auth = req.headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() || undefined : undefined;
  const incomingId = req.headers['x-request-id'];
  const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const userAgent = req.headers['user-agent']?.slice(0, MAX_USER_AGENT);
  // The commit position the client last saw (read-your-writes on replicas); anything but 'X/Y' hex is ignored.
  const minLsn = req.headers['x-min-lsn'];
  const lsn = typeof minLsn === 'string' && parseLsn(minLsn) !== undefined ? { minLsn } : {};
  return { token, clientIp: clientIp(req, proxies), userAgent, requestId, ...lsn };
}
