import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * Keys whose values never reach the logs, at any of the first three levels of a logged object
 * (a request's input, an error's fields, a row): credentials (passwords, bearer and lease
 * tokens, their hashes, authorization headers, cookies) and setting values, which may be
 * sensitive ones (core.system_configurations.is_sensitive) in clear or encrypted.
 */
export const REDACTED_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'password_hash',
  'token',
  'tokenHash',
  'token_hash',
  'leaseToken',
  'lease_token',
  'authorization',
  'cookie',
  'secret',
  'apiKey',
  'api_key',
  'configValue',
  'config_value',
] as const;

/** pino redact paths: each key at the top level and one or two levels down. */
export function redactPaths(keys: readonly string[]): string[] {
  return keys.flatMap((key) => {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key.replace(/["\\]/g, '\\$&')}"]`;
    const join = (prefix: string) => (k.startsWith('[') ? `${prefix}${k}` : `${prefix}.${k}`);
    return [k, join('*'), join('*.*')];
  });
}

/**
 * The process logger. `extraRedactKeys` adds a deployment's own sensitive keys to
 * REDACTED_KEYS; `destination` is where lines go (stdout, written synchronously, by default;
 * tests capture them).
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, options: { extraRedactKeys?: readonly string[]; destination?: DestinationStream } = {}): Logger {
  const opts = {
    level: config.LOG_LEVEL,
    base: undefined,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', ...redactPaths([...REDACTED_KEYS, ...(options.extraRedactKeys ?? [])])],
      censor: '[redacted]',
    },
  };
  // stdout written synchronously: pino's default writes asynchronously and, at process.exit, flushes
  // what it buffered before a write still in flight, so the last lines (a fatal error, "stopped")
  // could come out in the wrong order or not at all.
  return pino(opts, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
