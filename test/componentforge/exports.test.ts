import { describe, expect, it } from 'vitest';
import { BUTTON_EXPORT } from '../../src/seed/componentforge.js';
import { useTestApp } from '../support/app.js';
import { rowsAs } from '../support/probe.js';
import { MISSING_ID, badFields } from './helpers.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

describe('requirement exports', () => {
  it('keep the seed\'s Button export with its types: JSON requirements, integer counts and latency, booleans', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.exports;
    const created = await api.create(BUTTON_EXPORT);
    const read = await api.get({ id: created.id });
    expect(read).toMatchObject({ ...BUTTON_EXPORT, userId: user.id });
    expect(read.requirements).toEqual(BUTTON_EXPORT.requirements);
    expect(typeof read.proposalLatencyMs).toBe('number');
    expect(Number.isInteger(read.approvedCount)).toBe(true);
    expect(read.usedInCodeGeneration).toBe(true);
    expect(read.createdAt).toBeInstanceOf(Date);
    // Defaults: no counts, no latency, not used yet.
    expect(await api.create({ componentType: 'Card', requirements: {} })).toMatchObject({
      approvedCount: 0,
      editedCount: 0,
      customAddedCount: 0,
      proposalLatencyMs: null,
      usedInPatternRetrieval: false,
      usedInCodeGeneration: false,
    });
  });

  it('counts and latency are never negative, requirements are a JSON object: in the API and in the database', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.exports;
    expect(badFields(await failure(api.create({ ...BUTTON_EXPORT, approvedCount: -1 })))).toEqual(['approvedCount']);
    expect(badFields(await failure(api.create({ ...BUTTON_EXPORT, proposalLatencyMs: -1 })))).toEqual(['proposalLatencyMs']);
    expect(badFields(await failure(api.create({ ...BUTTON_EXPORT, requirements: [] as unknown as Record<string, never> })))).toEqual(['requirements']);
    expect(badFields(await failure(api.create({ ...BUTTON_EXPORT, componentType: '' })))).toEqual(['componentType']);
    const { id } = await api.create(BUTTON_EXPORT);
    const cases: Array<[string, string]> = [
      ['approved_count = -1', 'requirement_exports_approved_count_nonnegative'],
      ['edited_count = -1', 'requirement_exports_edited_count_nonnegative'],
      ['custom_added_count = -1', 'requirement_exports_custom_added_count_nonnegative'],
      ['proposal_latency_ms = -1', 'requirement_exports_proposal_latency_ms_nonnegative'],
      [`requirements = '["props"]'`, 'requirement_exports_requirements_object'],
      [`component_type = ''`, 'requirement_exports_component_type_length'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(`update componentforge.requirement_exports set ${set} where id = $1`, [id]), set).toEqual({ code: '23514', constraint });
    }
    expect(
      await app.sqlError(`insert into componentforge.requirement_exports (user_id, component_type, requirements) values ($1, 'Button', '{}')`, [MISSING_ID]),
    ).toEqual({ code: '23503', constraint: 'requirement_exports_user_id_fkey' });
    const viaApi = await failure(
      app.probe({ token: user.token }).sql([{ text: `update componentforge.requirement_exports set edited_count = edited_count - 5 where id = $1`, values: [id] }]),
    );
    expect(viaApi).toMatchObject({ code: 'BAD_REQUEST', message: 'edited_count cannot be negative' });
  });

  it('by component newest first, approval averages, and fast exports under the latency bound fastest first', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.exports;
    expect(await api.approvalMetrics()).toEqual({ exports: 0, avgApproved: null, avgEdited: null, avgCustom: null });
    const latencies = [4523, 1200, 2999, 3000, 800, null];
    const ids: string[] = [];
    for (const [i, latency] of latencies.entries()) {
      ids.push((await api.create({ ...BUTTON_EXPORT, componentType: i < 4 ? 'Button' : 'Card', proposalLatencyMs: latency, approvedCount: i, editedCount: 2 * i, customAddedCount: 1 })).id);
    }
    const first = await api.byComponent({ componentType: 'Button', limit: 3 });
    const second = await api.byComponent({ componentType: 'Button', limit: 3, cursor: first.nextCursor ?? undefined });
    expect([...first.items, ...second.items].map((e) => e.id)).toEqual(ids.slice(0, 4).reverse());
    expect(first.items[0]).not.toHaveProperty('cursorAt');
    expect((await api.byComponent({ componentType: 'Modal' })).items).toEqual([]);

    expect(await api.approvalMetrics()).toEqual({ exports: 6, avgApproved: 2.5, avgEdited: 5, avgCustom: 1 });

    const fast = await api.fast({ limit: 2 });
    const fastRest = await api.fast({ limit: 2, cursor: fast.nextCursor ?? undefined });
    expect([...fast.items, ...fastRest.items].map((e) => e.proposalLatencyMs)).toEqual([800, 1200, 2999]);
    expect((await api.fast({ maxLatencyMs: 1000 })).items.map((e) => e.id)).toEqual([ids[4]]);
    expect(await codeOf(api.fast({ maxLatencyMs: -1 }))).toBe('BAD_REQUEST');
  });

  it('users see only their own exports and metrics over them; admins see everyone\'s', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const mine = await app.caller({ token: alice.token }).componentforge.exports.create({ ...BUTTON_EXPORT, componentType: 'Tooltip', approvedCount: 10 });
    await app.caller({ token: bob.token }).componentforge.exports.create({ ...BUTTON_EXPORT, componentType: 'Tooltip', approvedCount: 2 });
    const asBob = app.caller({ token: bob.token }).componentforge.exports;
    expect((await asBob.byComponent({ componentType: 'Tooltip' })).items.map((e) => e.userId)).toEqual([bob.id]);
    expect((await asBob.approvalMetrics()).avgApproved).toBe(2);
    expect(await codeOf(asBob.get({ id: mine.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.markUsed({ id: mine.id, usedInCodeGeneration: true }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.delete({ id: mine.id }))).toBe('NOT_FOUND');
    const probe = app.probe({ token: bob.token });
    expect(await rowsAs(probe, `select id from componentforge.requirement_exports where id = $1`, [mine.id])).toEqual([]);
    expect((await failure(probe.sql([{ text: `insert into componentforge.requirement_exports (user_id, component_type, requirements) values ($1, 'X', '{}')`, values: [alice.id] }]))).code).toBe('FORBIDDEN');

    const asAdmin = app.caller({ token: admin.token }).componentforge.exports;
    expect((await asAdmin.byComponent({ componentType: 'Tooltip' })).items).toHaveLength(2);
    // Everyone's exports in this file's database, not only these two.
    const { rows } = await app.sql(`select count(*)::int as n, avg(approved_count)::float8 as avg from componentforge.requirement_exports`);
    expect(await asAdmin.approvalMetrics()).toMatchObject({ exports: rows[0]!.n, avgApproved: rows[0]!.avg });
    expect(rows[0]!.n).toBeGreaterThan(2);
    expect(await app.caller({ token: alice.token }).componentforge.exports.delete({ id: mine.id })).toEqual({ id: mine.id });
  });

  it('markUsed sets the integration flags, which stay set', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.exports;
    const { id } = await api.create({ componentType: 'Card', requirements: { props: [] } });
    expect(await api.markUsed({ id, usedInPatternRetrieval: true })).toMatchObject({ usedInPatternRetrieval: true, usedInCodeGeneration: false });
    expect(await api.markUsed({ id, usedInCodeGeneration: true })).toMatchObject({ usedInPatternRetrieval: true, usedInCodeGeneration: true });
    expect(await api.markUsed({ id })).toMatchObject({ usedInPatternRetrieval: true, usedInCodeGeneration: true });
  });

  it('go with their user (ON DELETE CASCADE)', async () => {
    const user = await app.newUser();
    await app.caller({ token: user.token }).componentforge.exports.create(BUTTON_EXPORT);
    await app.sql('delete from core.users where id = $1', [user.id]);
    expect((await app.sql(`select count(*)::int as n from componentforge.requirement_exports where user_id = $1`, [user.id])).rows[0]).toEqual({ n: 0 });
  });
});
