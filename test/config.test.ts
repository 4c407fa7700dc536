import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, databaseSsl, loadConfig } from '../src/config.js';
import { trustedProxies } from '../src/server/context.js';

describe('configuration', () => {
  it('has working defaults', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 3000, DB_POOL_SIZE: 10, DB_NAMED_STATEMENTS: true, LOG_LEVEL: 'info' });
  });

  it('parses values from the environment', () => {
    const config = loadConfig({ PORT: '8080', DB_POOL_SIZE: '3', DB_NAMED_STATEMENTS: 'false', DATABASE_URL: 'postgres://u:p@h:5432/d' });
    expect(config).toMatchObject({ PORT: 8080, DB_POOL_SIZE: 3, DB_NAMED_STATEMENTS: false, DATABASE_URL: 'postgres://u:p@h:5432/d' });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DB_POOL_SIZE', '0'],
    ['DB_POOL_TIMEOUT_MS', '-1'],
    ['DB_STATEMENT_TIMEOUT_MS', 'soon'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_URL', 'mysql://x'],
    ['DB_NAMED_STATEMENTS', 'maybe'],
    ['DATABASE_SSL', 'prefer'],
  ])('a bad %s (%s) stops start-up with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrowError(new RegExp(`${name}:`));
  });

  it('TRUSTED_PROXIES takes addresses and CIDR ranges and rejects anything else', () => {
    const list = trustedProxies('10.0.0.0/8, 127.0.0.1, ::1');
    expect(list.check('10.2.3.4', 'ipv4')).toBe(true);
    expect(list.check('127.0.0.1', 'ipv4')).toBe(true);
    expect(list.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(() => trustedProxies('localhost')).toThrowError(/TRUSTED_PROXIES/);
  });

  describe('DATABASE_SSL and DATABASE_SSL_CA_FILE', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'config-ssl-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const pem = path.join(dir, 'ca.crt');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const notPem = path.join(dir, 'ca.txt');
    writeFileSync(notPem, 'not a certificate\n');
    const url = 'postgres://u:p@db.example:5432/d';

    it('default to disable: pg keeps its defaults (and a URL its own sslmode)', () => {
      const config = loadConfig({ DATABASE_URL: url });
      expect(config.DATABASE_SSL).toBe('disable');
      expect(databaseSsl(config)).toBeUndefined();
    });

    it('require encrypts without verifying; verify-full verifies against the CA file read at start-up', () => {
      expect(databaseSsl(loadConfig({ DATABASE_URL: url, DATABASE_SSL: 'require' }))).toEqual({ rejectUnauthorized: false });
      const verify = databaseSsl(loadConfig({ DATABASE_URL: url, DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: pem }));
      expect(verify).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') });
      expect(verify).not.toHaveProperty('checkServerIdentity');
    });

    it('apply only to DATABASE_URL: the embedded server gets no TLS options', () => {
      expect(databaseSsl(loadConfig({ DATABASE_SSL: 'require' }))).toBeUndefined();
    });

    it.each([
      ['verify-full without a CA file', { DATABASE_SSL: 'verify-full' }, /DATABASE_SSL_CA_FILE: required when DATABASE_SSL is verify-full/],
      ['a CA file that does not exist', { DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: path.join(dir, 'missing.crt') }, /DATABASE_SSL_CA_FILE: cannot read .*missing\.crt \(ENOENT\)/],
      ['a CA file that is a folder', { DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: dir }, /DATABASE_SSL_CA_FILE: cannot read .* \(EISDIR\)/],
      ['a CA file without a certificate', { DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: notPem }, /DATABASE_SSL_CA_FILE: .*ca\.txt holds no PEM certificate/],
      ['a CA file with require (it would be ignored)', { DATABASE_SSL: 'require', DATABASE_SSL_CA_FILE: pem }, /DATABASE_SSL_CA_FILE: used only with DATABASE_SSL=verify-full/],
    ])('%s stops start-up with a message naming DATABASE_SSL_CA_FILE', (_, env, message) => {
      expect(() => loadConfig({ DATABASE_URL: url, ...env })).toThrowError(ConfigError);
      expect(() => loadConfig({ DATABASE_URL: url, ...env })).toThrowError(message);
    });
  });
});
