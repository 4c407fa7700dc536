import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
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
});
