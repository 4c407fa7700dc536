import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';

const boolean = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** The document queue's defaults, also what a caller's partial configuration falls back to. */
export const QUEUE_DEFAULTS = { DOCUMENT_LEASE_SECONDS: 300, DOCUMENT_MAX_ATTEMPTS: 3 } as const;

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  // TLS to DATABASE_URL's server (the embedded one listens on loopback only and has none):
  // require encrypts without checking the certificate; verify-full checks it against the CA in
  // DATABASE_SSL_CA_FILE and checks the host name. A URL's own sslmode wins (see README).
  DATABASE_SSL: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  DATABASE_SSL_CA_FILE: z.string().min(1).optional(),
  // Read replicas (streaming standbys of DATABASE_URL's server, or of the embedded one):
  // comma-separated URLs, a pool each; read-only query procedures run on them (README, "Read
  // replicas"). Same TLS settings as DATABASE_URL.
  DATABASE_REPLICA_URLS: z
    .string()
    .transform((v) => v.split(',').map((url) => url.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\//, 'must be comma-separated postgres:// or postgresql:// URLs')))
    .default([]),
  // A replica whose replay is further behind the primary than this is skipped until it catches up.
  REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).default(5000),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  DB_POOL_TIMEOUT_MS: z.coerce.number().int().min(1).default(5000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10000),
  // Named prepared statements are session state: turn them off behind a transaction pooler
  // that cannot carry them (PgBouncer before 1.21).
  DB_NAMED_STATEMENTS: boolean.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  // Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed.
  TRUSTED_PROXIES: z.string().default(''),
  // Larger request bodies are refused with 413 before they are read. 32 MiB carries the largest
  // document text the API takes (10 million characters) in any script.
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(1024 ** 3).default(32 * 1024 * 1024),
  // Bearer token a Prometheus scraper sends for /metrics; unset, /metrics answers loopback peers only.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (a random token)').optional(),
  AUTH_SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(24 * 30),
  // Login throttling: attempts per email and per client ip in a fixed window.
  LOGIN_LIMIT_PER_EMAIL: z.coerce.number().int().min(1).default(10),
  LOGIN_LIMIT_PER_IP: z.coerce.number().int().min(1).default(100),
  LOGIN_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  // Registration throttling: accounts created per client ip in a fixed window.
  REGISTER_LIMIT_PER_IP: z.coerce.number().int().min(1).default(20),
  REGISTER_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  // AES-256-GCM key for sensitive configuration values: 32 bytes, base64. Without DATABASE_URL
  // a key is generated once and kept in .data/; with it, the key must be given.
  CONFIG_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  // Keys values may still be encrypted with while `npm run keys:rotate` moves them to
  // CONFIG_ENCRYPTION_KEY: comma-separated, each 32 bytes base64. Read, never written with.
  CONFIG_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .refine(
      (v) => v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32),
      'must be comma-separated keys of 32 bytes each, base64-encoded',
    )
    .optional(),
  // Audit partitions older than this many months are dropped by maintenance (0 keeps all).
  AUDIT_RETENTION_MONTHS: z.coerce.number().int().min(0).default(24),
  // Migrations on live tables: a migration waiting longer than this for a lock gives up (and
  // rolls back) instead of queueing every request behind its own lock request; no single
  // statement of a migration may run longer than the other. 0 = no limit.
  MIGRATION_LOCK_TIMEOUT_MS: z.coerce.number().int().min(0).default(5000),
  MIGRATION_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  // ComponentForge's document queue: a claim's lease (renewed by heartbeats), and how many
  // claims whose lease expired a document gets before it is failed.
  DOCUMENT_LEASE_SECONDS: z.coerce.number().int().min(5).max(86_400).default(QUEUE_DEFAULTS.DOCUMENT_LEASE_SECONDS),
  DOCUMENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(QUEUE_DEFAULTS.DOCUMENT_MAX_ATTEMPTS),
});

export type Config = z.infer<typeof envSchema>;

/** pg's `ssl` option for connections to DATABASE_URL; undefined leaves pg's defaults (the URL's sslmode, if any). */
export type DatabaseSsl = ConnectionOptions | undefined;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The migration timeouts alone, for every command that migrates (start, db:migrate, db:seed, db:gen, tests). */
export function loadMigrationTimeouts(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'MIGRATION_LOCK_TIMEOUT_MS' | 'MIGRATION_STATEMENT_TIMEOUT_MS'> {
  const config = loadConfig({ MIGRATION_LOCK_TIMEOUT_MS: env.MIGRATION_LOCK_TIMEOUT_MS, MIGRATION_STATEMENT_TIMEOUT_MS: env.MIGRATION_STATEMENT_TIMEOUT_MS });
  return { MIGRATION_LOCK_TIMEOUT_MS: config.MIGRATION_LOCK_TIMEOUT_MS, MIGRATION_STATEMENT_TIMEOUT_MS: config.MIGRATION_STATEMENT_TIMEOUT_MS };
}

/** Validates the environment; a bad value stops start-up with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  // The CA file is read at start-up: a missing or unreadable one is a configuration error
  // here, not a failed connection later.
  databaseSsl(config);
  return config;
}

/**
 * The TLS options of every connection to DATABASE_URL (pool, migrations, CLI clients); none
 * for the embedded server. Throws ConfigError naming the variable when the CA file is missing,
 * unreadable or holds no certificate.
 */
export function databaseSsl(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_SSL' | 'DATABASE_SSL_CA_FILE'>): DatabaseSsl {
  const { DATABASE_SSL: mode, DATABASE_SSL_CA_FILE: caFile } = config;
  if (mode === 'verify-full' && !caFile) {
    throw new ConfigError('Invalid configuration:\n  DATABASE_SSL_CA_FILE: required when DATABASE_SSL is verify-full (a PEM file of the CA that signed the server certificate)');
  }
  if (mode !== 'verify-full' && caFile) {
    throw new ConfigError(`Invalid configuration:\n  DATABASE_SSL_CA_FILE: used only with DATABASE_SSL=verify-full (DATABASE_SSL is ${mode})`);
  }
  if (!config.DATABASE_URL || mode === 'disable') return undefined;
  // Encrypted, but any certificate is accepted: protects against eavesdropping, not against impersonation.
  if (mode === 'require') return { rejectUnauthorized: false };
  let ca: string;
  try {
    ca = readFileSync(caFile!, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`Invalid configuration:\n  DATABASE_SSL_CA_FILE: cannot read ${caFile} (${reason})`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`Invalid configuration:\n  DATABASE_SSL_CA_FILE: ${caFile} holds no PEM certificate`);
  }
  // Node checks the chain against this CA only, and the certificate's names against the host
  // (pg passes the host name as servername; an IP address is matched against IP SANs).
  return { ca, rejectUnauthorized: true };
}
