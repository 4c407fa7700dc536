/**
 * Stored JSON reads back intact whatever its keys (`constructor`, `prototype`, `__proto__`) and
 * whoever wrote it, through createCaller and over HTTP with the typed client; JSON inputs are
 * capped in size and shape, in zod and in the database.
 */
import type { TRPCError } from '@trpc/server';
import type http from 'node:http';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { deserialize, serialize, WireError } from '../../src/server/transformer.js';
import { failure } from '../support/errors.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = await createHttpServer({ ...app.services, config: { ...app.services.config, NODE_ENV: 'production' }, trustedProxies: '' });
  base = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** JSON text with the keys superjson refused, as a client or plain SQL may write it. */
const PROTO_KEYS_TEXT = '{"__proto__": {"polluted": true}, "constructor": {"name": "hello", "prototype": {"x": 1}}, "prototype": [1, {"constructor": null}], "plain": "value"}';
const protoKeys = () => JSON.parse(PROTO_KEYS_TEXT) as Record<string, never>;
/** The same value without `__proto__`, which inputs refuse (zod would drop it silently). */
const clientKeys = () => ({ constructor: { name: 'hello', prototype: { x: 1 } }, prototype: [1, { constructor: null }], plain: 'value' });

/** JSON text with keys sorted (jsonb orders keys its own way); own keys only, `__proto__` included. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameJson(actual: unknown, expected: unknown): void {
  expect(canonical(actual)).toBe(canonical(expected));
}

/** A createCaller failure's field errors (the error formatter, which builds data.fieldErrors, runs only over HTTP). */
function issuesOf(err: TRPCError): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const issue of (err.cause as unknown as { issues: Array<{ path: PropertyKey[]; message: string }> }).issues) {
    (fields[issue.path.map(String).join('.')] ??= []).push(issue.message);
  }
  return fields;
}

/** What the database holds, parsed the way pg parses it (JSON.parse: `__proto__` stays an own key). */
async function stored(sql: string, values: unknown[]): Promise<unknown> {
  const { rows } = await app.sql<{ value: string }>(sql, values);
  return JSON.parse(rows[0]!.value);
}

describe('the transformer', () => {
  it('round-trips objects with the keys constructor, prototype and __proto__ next to Dates', () => {
    const value = { at: new Date('2026-01-02T03:04:05.678Z'), data: protoKeys(), list: [undefined, 12n, Number.NaN, -0] };
    expect(() => superjson.serialize(value)).toThrow(/constructor|prototype|__proto__/); // the bug this replaces
    const wire = JSON.parse(JSON.stringify(serialize(value))) as unknown;
    const back = deserialize(wire) as typeof value;
    expect(back.at).toEqual(value.at);
    sameJson(back.data, value.data);
    expect(Object.getPrototypeOf(back.data)).toBe(Object.prototype);
    expect(back.list).toEqual([undefined, 12n, Number.NaN, -0]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('speaks superjson wire format for ordinary values, both ways', () => {
    const value = { at: new Date(0), 'a.b': { 'c\\d': [new Date(1), undefined] }, n: 1, s: 's', nothing: null };
    expect(JSON.stringify(serialize(value))).toBe(JSON.stringify(superjson.serialize(value)));
    expect(superjson.deserialize(JSON.parse(JSON.stringify(serialize(value))))).toEqual(value);
    expect(deserialize(JSON.parse(superjson.stringify(value)))).toEqual(value);
  });

  it('applies annotations only along own properties: a meta path cannot reach a prototype', () => {
    for (const path of ['__proto__.polluted', 'constructor.prototype.polluted', 'a.__proto__.polluted']) {
      const payload = JSON.parse(`{"json": {"a": {}}, "meta": {"values": {${JSON.stringify(path)}: ["Date"]}, "v": 1}}`);
      expect(() => deserialize(payload)).toThrow(WireError);
    }
    expect(() => deserialize({ json: 1, meta: { values: ['map'] } })).toThrow(WireError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    // An own key named __proto__ is data, and may carry a Date like any other.
    const own = deserialize(JSON.parse('{"json": {"__proto__": {"at": "2026-01-01T00:00:00.000Z"}}, "meta": {"values": {"__proto__.at": ["Date"]}, "v": 1}}'));
    expect(Object.getOwnPropertyDescriptor(own, '__proto__')?.value).toEqual({ at: new Date('2026-01-01T00:00:00.000Z') });
  });

  it('sends JSON nested deeper than JSON.stringify can recurse as text, and restores it', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const text = JSON.stringify(serialize({ deep }));
    let back = (deserialize(JSON.parse(text)) as { deep: unknown }).deep;
    for (let i = 0; i < 20_000; i++) back = (back as unknown[])[0];
    expect(back).toBe('bottom');
  });
});

describe('stored JSON with the keys constructor, prototype and __proto__', () => {
  it("users.updateProfile's preferences: auth.me, users.list and audit.list read them back, over HTTP and through createCaller", async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const client = createClient(base, { token: user.token });
    const adminClient = createClient(base, { token: admin.token });
    const updated = await client.users.updateProfile.mutate({ preferences: clientKeys() });
    sameJson(updated.preferences, clientKeys());
    sameJson((await client.auth.me.query()).preferences, clientKeys());
    sameJson((await app.caller({ token: user.token }).auth.me()).preferences, clientKeys());
    const listed = await adminClient.users.list.query({ search: user.email, limit: 5 });
    sameJson(listed.items.find((u) => u.id === user.id)?.preferences, clientKeys());
    const trail = await adminClient.audit.list.query({ actorId: user.id, entityTable: 'users', limit: 10 });
    expect(trail.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(trail.items)).toContain('"constructor":{"name":"hello","prototype":{"x":1}}');
  });

  it('a row written by plain SQL with such keys reads back intact, over HTTP and through createCaller', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    await app.sql(`update core.users set preferences = $1::jsonb where id = $2`, [PROTO_KEYS_TEXT, user.id]);
    const expected = await stored(`select preferences::text as value from core.users where id = $1`, [user.id]);
    expect(Object.keys(expected as object)).toContain('__proto__');

    const client = createClient(base, { token: user.token });
    sameJson((await client.auth.me.query()).preferences, expected);
    sameJson((await app.caller({ token: user.token }).auth.me()).preferences, expected);
    const adminClient = createClient(base, { token: admin.token });
    sameJson((await adminClient.users.get.query({ id: user.id })).preferences, expected);
    const trail = await adminClient.audit.list.query({ entityTable: 'users', entityId: user.id, limit: 20 });
    expect(JSON.stringify(trail.items)).toContain('"__proto__":{"polluted":true}');

    // SOCRATES message metadata written by SQL: the session's reads answer.
    const session = await client.socrates.sessions.start.mutate({});
    const message = await client.socrates.messages.append.mutate({ sessionId: session.id, role: 'user', content: 'hi' });
    await app.sql(`update socrates.messages set metadata = $1::jsonb where id = $2`, [PROTO_KEYS_TEXT, message.id]);
    const metadata = await stored(`select metadata::text as value from socrates.messages where id = $1`, [message.id]);
    sameJson((await client.socrates.messages.list.query({ sessionId: session.id })).items[0]!.metadata, metadata);
    sameJson((await client.socrates.sessions.getWithMessages.query({ id: session.id })).messages[0]!.metadata, metadata);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('SOCRATES metadata, export requirements, evaluation config and metrics and JSON settings round-trip through the typed client', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const client = createClient(base, { token: user.token });
    const adminClient = createClient(base, { token: admin.token });

    const session = await client.socrates.sessions.start.mutate({});
    const message = await client.socrates.messages.append.mutate({ sessionId: session.id, role: 'assistant', content: 'x', metadata: clientKeys() });
    sameJson(message.metadata, clientKeys());
    sameJson((await client.socrates.messages.list.query({ sessionId: session.id })).items[0]!.metadata, clientKeys());

    const exported = await client.componentforge.exports.create.mutate({ componentType: 'Button', requirements: clientKeys() });
    sameJson((await client.componentforge.exports.get.query({ id: exported.id })).requirements, clientKeys());

    const run = await adminClient.componentforge.evaluationRuns.create.mutate({ name: 'keys', modelName: 'gpt-4', config: clientKeys(), metrics: { prototype: 0.5 } });
    const read = await client.componentforge.evaluationRuns.get.query({ id: run.id });
    sameJson(read.config, clientKeys());
    sameJson(read.metrics, { prototype: 0.5 });

    await adminClient.config.set.mutate({ key: 'json.keys', type: 'json', value: clientKeys() });
    sameJson((await client.config.get.query({ key: 'json.keys' })).value, clientKeys());
    expect((await client.config.list.query({ limit: 100 })).items.some((c) => c.key === 'json.keys')).toBe(true);
  });

  it('JSON nested thousands of levels deep, written by SQL, still reads back', async () => {
    const user = await app.newUser();
    const depth = 10_000;
    const text = `{"deep": ${'['.repeat(depth)}"bottom"${']'.repeat(depth)}}`;
    await app.sql(`update core.users set preferences = $1::jsonb where id = $2`, [text, user.id]);
    // Deeper than JSON.stringify can recurse (about 4,000 levels on Node 20): superjson and
    // tRPC's own JSON.stringify both overflowed the stack here.
    const me = await createClient(base, { token: user.token }).auth.me.query();
    let node = (me.preferences as { deep: unknown }).deep;
    for (let i = 0; i < depth; i++) {
      expect(Array.isArray(node) && node.length === 1).toBe(true);
      node = (node as unknown[])[0];
    }
    expect(node).toBe('bottom');
  });
});

describe('JSON inputs', () => {
  it('refuse the key __proto__ with a field error (zod would drop it silently), and store nothing', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token });
    const session = await api.socrates.sessions.start({});
    const err = await failure(api.socrates.messages.append({ sessionId: session.id, role: 'user', content: 'x', metadata: { nested: protoKeys() } }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(issuesOf(err)).toEqual({ metadata: ['must not use the key "__proto__"'] });
    const response = await fetch(`${base}/trpc/socrates.messages.append`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: `{"json": {"sessionId": "${session.id}", "role": "user", "content": "x", "metadata": ${PROTO_KEYS_TEXT}}}`,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { json: { message: string; data: { fieldErrors: Record<string, string[]> } } } };
    expect(body.error.json.data.fieldErrors).toEqual({ metadata: ['must not use the key "__proto__"'] });
    expect((await api.socrates.messages.list({ sessionId: session.id })).items).toHaveLength(0);
  });

  it('refuse nesting deeper than 64 levels with a field error', async () => {
    const admin = await app.newAdmin();
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const err = await failure(app.caller({ token: admin.token }).componentforge.evaluationRuns.create({ name: 'deep', modelName: 'm', config: { deep } as unknown as Record<string, never> }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(issuesOf(err)).toEqual({ config: ['must be nested at most 64 levels deep'] });
  });

  it('are capped in size by zod, naming the field and the limit; nothing is stored', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const api = app.caller({ token: user.token });
    const session = await api.socrates.sessions.start({});
    const big = (bytes: number) => ({ text: 'x'.repeat(bytes) });
    const cases: Array<[() => Promise<unknown>, Record<string, string[]>]> = [
      [() => api.socrates.messages.append({ sessionId: session.id, role: 'user', content: 'x', metadata: big(65_536) }), { metadata: ['must be at most 65536 bytes as JSON'] }],
      [() => api.componentforge.exports.create({ componentType: 'Button', requirements: big(262_144) }), { requirements: ['must be at most 262144 bytes as JSON'] }],
      [() => app.caller({ token: admin.token }).componentforge.evaluationRuns.create({ name: 'n', modelName: 'm', metrics: big(262_144) }), { metrics: ['must be at most 262144 bytes as JSON'] }],
      [() => app.caller({ token: admin.token }).config.set({ key: 'json.big', type: 'json', value: 'x'.repeat(100_000) }), { value: ['must be at most 100000 characters as JSON'] }],
    ];
    for (const [call, fields] of cases) {
      const err = await failure(call());
      expect(err.code).toBe('BAD_REQUEST');
      expect(issuesOf(err)).toEqual(fields);
    }
    // Over HTTP the message names the field and the rule.
    const response = await fetch(`${base}/trpc/socrates.messages.append`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ json: { sessionId: session.id, role: 'user', content: 'x', metadata: big(65_536) } }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { json: { message: string } } }).error.json.message).toBe('metadata: must be at most 65536 bytes as JSON');
    expect((await api.socrates.messages.list({ sessionId: session.id })).items).toHaveLength(0);
    // Just under the cap is fine.
    await api.socrates.messages.append({ sessionId: session.id, role: 'user', content: 'x', metadata: big(60_000) });
  });

  it('that zod lets through but the database measures larger are refused by the CHECK, with the same wording', async () => {
    // jsonb's text form writes ", " between items: 30,000 zeros are 60 kB for zod and 90 kB for the CHECK.
    const user = await app.newUser();
    const api = app.caller({ token: user.token });
    const session = await api.socrates.sessions.start({});
    const err = await failure(api.socrates.messages.append({ sessionId: session.id, role: 'user', content: 'x', metadata: { zeros: new Array(30_000).fill(0) } }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('metadata must be at most 65536 bytes as JSON');
    expect((err.cause as { fieldErrors?: unknown }).fieldErrors).toEqual({ metadata: ['metadata must be at most 65536 bytes as JSON'] });
  });

  it('every JSON column a client writes has a size CHECK in the database', async () => {
    const user = await app.newUser();
    const small = JSON.stringify({ text: 'x'.repeat(65_536) });
    const large = JSON.stringify({ text: 'x'.repeat(262_144) });
    const conversation = await app.caller({ token: user.token }).componentforge.conversations.create({});
    const session = await app.caller({ token: user.token }).socrates.sessions.start({});
    const ids = JSON.stringify(Array.from({ length: 2000 }, () => '018f0000-0000-7000-8000-000000000000'));
    const checks: Array<[string, unknown[], string]> = [
      [`update core.users set preferences = $1::jsonb where id = $2`, [small, user.id], 'users_preferences_size'],
      [`insert into socrates.projects (owner_id, name, technology_stack) values ($1, 'p', $2::jsonb)`, [user.id, JSON.stringify(['x'.repeat(65_536)])], 'projects_technology_stack_size'],
      [`insert into socrates.messages (session_id, user_id, role, content, metadata) values ($1, $2, 'user', 'x', $3::jsonb)`, [session.id, user.id, small], 'messages_metadata_size'],
      [`insert into componentforge.messages (conversation_id, role, content, context_documents) values ($1, 'user', 'x', $2::jsonb)`, [conversation.id, ids], 'messages_context_documents_size'],
      [`insert into componentforge.evaluation_runs (name, model_name, config) values ('n', 'm', $1::jsonb)`, [large], 'evaluation_runs_config_size'],
      [`insert into componentforge.evaluation_runs (name, model_name, metrics) values ('n', 'm', $1::jsonb)`, [large], 'evaluation_runs_metrics_size'],
      [`insert into componentforge.requirement_exports (user_id, component_type, requirements) values ($1, 'Button', $2::jsonb)`, [user.id, large], 'requirement_exports_requirements_size'],
    ];
    for (const [text, values, constraint] of checks) {
      expect(await app.sqlError(text, values), constraint).toEqual({ code: '23514', constraint });
    }
  });
});
