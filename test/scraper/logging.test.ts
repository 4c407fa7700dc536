/**
 * Masking (seed 001, "Data Masking: mask sensitive data in logs"): tokens, passwords, hashes and
 * sensitive setting values never reach the log output, at any depth a log line carries them.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED_KEYS } from '../../src/logger.js';

/** A logger whose lines are kept in memory. */
function capturing(extraRedactKeys?: string[]) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger({ LOG_LEVEL: 'info' }, { destination, extraRedactKeys });
  return { log, lines: () => lines.join('\n'), parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const SECRETS: Record<string, string> = Object.fromEntries(REDACTED_KEYS.map((key, i) => [key, `SECRET-${i}-${key}`]));

describe('log masking', () => {
  it('every sensitive key is redacted at the top level and one and two levels down, the rest kept', () => {
    const { log, lines, parsed } = capturing();
    log.info({ ...SECRETS, keep: 'visible-1' }, 'top');
    log.info({ input: { ...SECRETS, keep: 'visible-2' } }, 'nested');
    log.info({ err: { cause: { ...SECRETS, keep: 'visible-3' } } }, 'deeper');
    log.info({ req: { headers: { authorization: 'Bearer SECRET-bearer', cookie: 'sid=SECRET-cookie', 'user-agent': 'visible-4' } } }, 'request');
    const output = lines();
    expect(output).not.toMatch(/SECRET-/);
    for (const visible of ['visible-1', 'visible-2', 'visible-3', 'visible-4']) expect(output).toContain(visible);
    const [top, nested, deeper] = parsed();
    expect(top!.password).toBe('[redacted]');
    expect((nested!.input as Record<string, unknown>).leaseToken).toBe('[redacted]');
    expect(((deeper!.err as Record<string, unknown>).cause as Record<string, unknown>).password_hash).toBe('[redacted]');
  });

  it('a deployment adds its own sensitive keys', () => {
    const { log, lines } = capturing(['ssn', 'x-api-key']);
    log.info({ user: { ssn: 'SECRET-ssn', name: 'Ada' }, headers: { 'x-api-key': 'SECRET-key' } }, 'custom');
    expect(lines()).not.toMatch(/SECRET-/);
    expect(lines()).toContain('Ada');
  });

  it('a failing procedure logs its error without the token or password it was called with', async () => {
    const { log, lines } = capturing();
    // What the request path logs: the procedure's input and the error, side by side.
    log.error({ input: { email: 'ada@example.com', password: 'SECRET-pw', token: 'SECRET-token' }, err: new Error('boom') }, 'procedure failed');
    expect(lines()).toContain('ada@example.com');
    expect(lines()).toContain('boom');
    expect(lines()).not.toMatch(/SECRET-/);
  });
});
