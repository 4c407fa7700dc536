/**
 * Pins constraints by name to their catalog definitions (pg_get_constraintdef, which spells out
 * columns, the referenced key and the ON DELETE action). For keys whose behaviour no test
 * observes directly: a definition that drifts or disappears fails with a readable diff.
 */
import { expect } from 'vitest';
import type { TestApp } from './app.js';

/** Each entry: [schema-qualified table, constraint name, expected pg_get_constraintdef]. */
export async function expectConstraints(app: TestApp, expected: [table: string, name: string, definition: string][]): Promise<void> {
  const { rows } = await app.sql<{ t: string; name: string; def: string }>(
    `select c.conrelid::regclass::text as t, c.conname as name, pg_get_constraintdef(c.oid) as def
       from pg_constraint c
       join unnest($1::text[], $2::text[]) as want(t, name) on want.name = c.conname and c.conrelid = want.t::regclass`,
    [expected.map((e) => e[0]), expected.map((e) => e[1])],
  );
  const actual = new Map(rows.map((r) => [`${r.t} ${r.name}`, r.def]));
  expect(expected.map(([t, name]) => [t, name, actual.get(`${t} ${name}`) ?? 'missing'])).toEqual(expected);
}
