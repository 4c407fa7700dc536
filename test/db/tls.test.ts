/**
 * TLS to the database (DATABASE_SSL, DATABASE_SSL_CA_FILE). A throwaway CA and a server
 * certificate for `localhost` are made with the openssl CLI; an embedded cluster of its own
 * runs with ssl=on and a pg_hba.conf that takes TLS connections only (hostssl), so every
 * connection that succeeds here was encrypted, and one without TLS is refused. Then: the
 * pool and the migration runner connect with verify-full and with require; verify-full is
 * refused with another CA, and for a host name the certificate does not carry.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseSsl, type Config } from '../../src/config.js';
import { ensureMajor, parseMajor } from '../../src/db/embedded.js';
import { provisionOwner, startCluster, type Cluster } from '../../src/db/lifecycle.js';
import { migrate, MIGRATIONS_TABLE } from '../../src/db/migrate.js';
import { toTRPCError } from '../../src/db/errors.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/logger.js';

// The run's PostgreSQL major (`npm run test:pg -- 15`), else the one npm start ships.
const major = process.env.TEST_PG_MAJOR ? parseMajor(process.env.TEST_PG_MAJOR) : undefined;
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const log = createLogger({ LOG_LEVEL: 'silent' });
const POOL = { DB_POOL_SIZE: 2, DB_POOL_TIMEOUT_MS: 5_000, DB_STATEMENT_TIMEOUT_MS: 10_000 };

let tmp: string;
let cluster: Cluster | undefined;
/** Owner connection strings to the TLS cluster, without any ssl parameter: DATABASE_SSL decides. */
let ownerUrl: (host: string) => string;
let caFile: string;
let otherCaFile: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: tmp, stdio: 'pipe' });
}

/** A self-signed CA (EC keys: quick to make). */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`);
}

function ssl(env: Partial<Config>) {
  return databaseSsl({ DATABASE_URL: ownerUrl('localhost'), DATABASE_SSL: 'disable', ...env });
}

/** What the pool's first connection says about itself, or the error that refused it. */
async function viaPool(url: string, sslOptions: ReturnType<typeof databaseSsl>): Promise<{ ssl: boolean } | Error> {
  const pool = createPool(url, POOL, log, sslOptions);
  try {
    const { rows } = await pool.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
    return rows[0]!;
  } catch (err) {
    return err as Error;
  } finally {
    await pool.end();
  }
}

describe.skipIf(!hasOpenssl)('TLS to the database (DATABASE_SSL)', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-tls-'));
    // As root the server runs as user postgres, which must reach its folder and read its files.
    await chmod(tmp, 0o755);
    makeCa('ca');
    makeCa('other-ca');
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    await writeFile(path.join(tmp, 'server.ext'), 'subjectAltName = DNS:localhost\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext');
    // PostgreSQL refuses a key file that others may read, or that its user does not own.
    const key = path.join(tmp, 'server.key');
    await chmod(key, 0o600);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      await chown(key, uid, gid);
    }
    // TLS only: a connection without it finds no pg_hba.conf line.
    await writeFile(path.join(tmp, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n');
    caFile = path.join(tmp, 'ca.crt');
    otherCaFile = path.join(tmp, 'other-ca.crt');

    if (major !== undefined) await ensureMajor(major);
    cluster = await startCluster({
      dir: path.join(tmp, 'pg'),
      superuserPassword: randomBytes(12).toString('hex'),
      persistent: false,
      major,
      postgresFlags: [
        '-c', 'ssl=on',
        '-c', `ssl_cert_file=${path.join(tmp, 'server.crt')}`,
        '-c', `ssl_key_file=${key}`,
        '-c', `hba_file=${path.join(tmp, 'pg_hba.conf')}`,
      ],
    });
    // A URL's own sslmode is honoured as before: provisioning goes through it.
    const provisioned = new URL(
      await provisionOwner(`${cluster.adminUrl}?sslmode=no-verify`, { database: 'tls', password: randomBytes(12).toString('hex') }),
    );
    provisioned.search = '';
    ownerUrl = (host) => {
      const url = new URL(provisioned);
      url.hostname = host;
      return url.toString();
    };
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('verify-full with the CA that signed the certificate: the pool connects, encrypted', async () => {
    expect(await viaPool(ownerUrl('localhost'), ssl({ DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: caFile }))).toEqual({ ssl: true });
  });

  it('require: the pool connects, encrypted, without checking the certificate', async () => {
    // 127.0.0.1 is not a name in the certificate, and no CA is given: require does not care.
    expect(await viaPool(ownerUrl('127.0.0.1'), ssl({ DATABASE_SSL: 'require' }))).toEqual({ ssl: true });
  });

  it('the migration runner connects with the same options (this server takes TLS connections only)', async () => {
    const ran = await migrate(ownerUrl('localhost'), {
      direction: 'up',
      count: 1,
      ssl: ssl({ DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: caFile }),
    });
    expect(ran).toHaveLength(1);
    const check = new pg.Client({ connectionString: ownerUrl('localhost'), ssl: { rejectUnauthorized: false } });
    await check.connect();
    try {
      const { rows } = await check.query<{ name: string }>(`select name from public.${MIGRATIONS_TABLE}`);
      expect(rows.map((row) => row.name)).toEqual(ran);
    } finally {
      await check.end();
    }
  });

  it('verify-full with another CA is refused: the certificate is not trusted', async () => {
    const result = await viaPool(ownerUrl('localhost'), ssl({ DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: otherCaFile }));
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/self[- ]signed certificate in certificate chain|unable to verify/i);
    // A request meeting it answers 503, as for any database it cannot reach (not a 500).
    expect(toTRPCError(result).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('verify-full to a host name the certificate does not carry (127.0.0.1 for a localhost certificate) is refused', async () => {
    const result = await viaPool(ownerUrl('127.0.0.1'), ssl({ DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: caFile }));
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
    expect(toTRPCError(result).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('disable against a server that takes TLS connections only is refused', async () => {
    expect(ssl({ DATABASE_SSL: 'disable' })).toBeUndefined();
    const result = await viaPool(ownerUrl('localhost'), ssl({ DATABASE_SSL: 'disable' }));
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/no pg_hba\.conf entry .*no encryption/);
  });
});
