import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { badFields, MISSING_ID, userWithSession, worker } from './helpers.js';

const app = useTestApp();

describe('verificai.configurations: versioned prompts', () => {
  it('create makes version 1; newVersion adds n+1 and keeps the older versions readable and unchanged', async () => {
    const { api, user } = await userWithSession(app);
    const v1 = await api.configurations.create({ configType: 'security', promptContent: 'Find SQL injections.' });
    expect(v1).toMatchObject({ userId: user.id, configType: 'security', promptContent: 'Find SQL injections.', version: 1, isDefault: false });
    const v2 = await api.configurations.newVersion({ id: v1.id, promptContent: 'Find SQL injections and XSS.' });
    // Any version of the lineage may be the base: the new one is always max + 1.
    const v3 = await api.configurations.newVersion({ id: v1.id, promptContent: 'Find injections of any kind.' });
    expect([v2.version, v3.version]).toEqual([2, 3]);
    expect(v3).toMatchObject({ configType: 'security', userId: user.id });
    expect(await api.configurations.get({ id: v1.id })).toEqual(v1);

    const history = await api.configurations.history({ configType: 'security', limit: 2 });
    const rest = await api.configurations.history({ configType: 'security', limit: 2, cursor: history.nextCursor! });
    expect([...history.items, ...rest.items].map((c) => c.version)).toEqual([3, 2, 1]);
    expect(rest.nextCursor).toBeNull();

    // A second "version 1" of the type is a CONFLICT: edits go through newVersion.
    const again = await failure(api.configurations.create({ configType: 'security', promptContent: 'again' }));
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toMatch(/^this version of the prompt type already exists/);
  });

  it('list gives the latest version of each of the caller\'s types', async () => {
    const { api } = await userWithSession(app);
    const perf = await api.configurations.create({ configType: 'performance', promptContent: 'p1' });
    await api.configurations.newVersion({ id: perf.id, promptContent: 'p2' });
    await api.configurations.create({ configType: 'code_quality', promptContent: 'q1' });
    const latest = await api.configurations.list();
    expect(latest.map((c) => [c.configType, c.version, c.promptContent])).toEqual([
      ['code_quality', 1, 'q1'],
      ['performance', 2, 'p2'],
    ]);
    // Someone else's prompts are not visible, even by asking for them; an admin may read them.
    const other = app.caller({ token: (await app.newUser()).token }).verificai;
    expect(await other.configurations.list({ userId: perf.userId })).toEqual([]);
    expect(await codeOf(other.configurations.get({ id: perf.id }))).toBe('NOT_FOUND');
    const { api: admin } = await worker(app);
    expect((await admin.configurations.list({ userId: perf.userId })).map((c) => c.version)).toEqual([1, 2]);
  });

  it('a prompt version is history: the request role may change only is_default', async () => {
    const { api, user } = await userWithSession(app);
    const v1 = await api.configurations.create({ configType: 'documentation', promptContent: 'Check docstrings.' });
    const probe = app.probe({ token: user.token });
    for (const set of [`prompt_content = 'rewritten'`, `version = 7`, `config_type = 'security'`]) {
      expect(await codeOf(probe.sql([{ text: `update verificai.configurations set ${set} where id = $1`, values: [v1.id] }])), set).toBe('FORBIDDEN');
    }
    expect((await api.configurations.get({ id: v1.id })).promptContent).toBe('Check docstrings.');
  });

  it('at most one default per user and type: setDefault moves it, a second default is CONFLICT', async () => {
    const { api, user } = await userWithSession(app);
    const v1 = await api.configurations.create({ configType: 'best_practices', promptContent: 'b1', isDefault: true });
    expect(v1.isDefault).toBe(true);
    const v2 = await api.configurations.newVersion({ id: v1.id, promptContent: 'b2', isDefault: true });
    expect(v2.isDefault).toBe(true);
    expect((await api.configurations.get({ id: v1.id })).isDefault).toBe(false);
    expect((await api.configurations.setDefault({ id: v1.id })).isDefault).toBe(true);
    expect((await api.configurations.get({ id: v2.id })).isDefault).toBe(false);
    expect((await api.configurations.setDefault({ id: v1.id, isDefault: false })).isDefault).toBe(false);
    // Another type and another user have defaults of their own.
    await api.configurations.create({ configType: 'custom', promptContent: 'c', isDefault: true });
    const other = await userWithSession(app);
    await other.api.configurations.create({ configType: 'best_practices', promptContent: 'theirs', isDefault: true });
    await api.configurations.setDefault({ id: v2.id });

    // The database refuses a second default whoever writes (the API clears the old one first).
    const probe = app.probe({ token: user.token });
    const err = await failure(probe.sql([{ text: `update verificai.configurations set is_default = true where id = $1`, values: [v1.id] }]));
    expect(err).toMatchObject({ code: 'CONFLICT', message: "is_default must be true for at most one version of a user's prompt type" });
    expect(badFields(err)).toEqual(['userId', 'configType']);
    // Two setDefaults at once: one wins, the other is CONFLICT or waits and wins after it; never two defaults.
    const outcomes = await Promise.all([
      app.caller({ token: user.token }).verificai.configurations.setDefault({ id: v1.id }).then(() => 'OK', (e: { code: string }) => e.code),
      app.caller({ token: user.token }).verificai.configurations.setDefault({ id: v2.id }).then(() => 'OK', (e: { code: string }) => e.code),
    ]);
    expect(outcomes.every((o) => o === 'OK' || o === 'CONFLICT')).toBe(true);
    const { rows } = await app.sql(`select count(*)::int as n from verificai.configurations where user_id = $1 and config_type = 'best_practices' and is_default`, [user.id]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('concurrent edits of one prompt never share a version: the loser is CONFLICT', async () => {
    const { api, user } = await userWithSession(app);
    const v1 = await api.configurations.create({ configType: 'performance', promptContent: 'base' });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        app.caller({ token: user.token }).verificai.configurations.newVersion({ id: v1.id, promptContent: `edit ${i}` }).then(
          (c) => c.version,
          (e: { code: string }) => e.code,
        ),
      ),
    );
    const versions = outcomes.filter((o): o is number => typeof o === 'number');
    expect(new Set(versions).size).toBe(versions.length);
    expect(outcomes.filter((o) => typeof o !== 'number').every((o) => o === 'CONFLICT')).toBe(true);
    expect((await api.configurations.history({ configType: 'performance' })).items.map((c) => c.version)).toEqual(
      Array.from({ length: versions.length + 1 }, (_, i) => versions.length + 1 - i),
    );
  });

  it('a result keeps its configuration when newer versions appear, and loses it (NULL) only when that version is deleted', async () => {
    const { api, session } = await userWithSession(app);
    const v1 = await api.configurations.create({ configType: 'security', promptContent: 'v1' });
    await api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', configurationId: v1.id, resultContent: 'by v1', score: '50' }] });
    const v2 = await api.configurations.newVersion({ id: v1.id, promptContent: 'v2' });
    await api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', configurationId: v2.id, resultContent: 'by v2', score: '75' }] });
    const byContent = async () =>
      Object.fromEntries((await api.results.list({ analysisSessionId: session.id })).items.map((r) => [r.resultContent, r.configurationId]));
    expect(await byContent()).toEqual({ 'by v1': v1.id, 'by v2': v2.id });
    expect(await api.configurations.delete({ id: v1.id })).toEqual({ id: v1.id });
    expect(await byContent()).toEqual({ 'by v1': null, 'by v2': v2.id });
    // The result's type stays: SET NULL empties configuration_id alone.
    const { rows } = await app.sql(`select analysis_type from verificai.analysis_results where analysis_session_id = $1 order by id`, [session.id]);
    expect(rows).toEqual([{ analysis_type: 'security' }, { analysis_type: 'security' }]);
    expect(await codeOf(api.configurations.delete({ id: v1.id }))).toBe('NOT_FOUND');
  });

  it('a result\'s prompt must be of its analysis type, and the session owner\'s own', async () => {
    const { api, session } = await userWithSession(app);
    const security = await api.configurations.create({ configType: 'security', promptContent: 's' });
    const wrongType = await failure(
      api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'performance', configurationId: security.id, resultContent: 'x' }] }),
    );
    expect(wrongType).toMatchObject({ code: 'BAD_REQUEST', message: 'configuration_id must reference an existing configuration of the same type as analysis_type' });
    expect(badFields(wrongType)).toEqual(['configurationId', 'analysisType']);
    // A missing prompt is no prompt of the owner's: the policy refuses it before the foreign key.
    expect(
      await codeOf(api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', configurationId: MISSING_ID, resultContent: 'x' }] })),
    ).toBe('FORBIDDEN');
    // Another user's prompt exists (the foreign key alone would take it), but the policy refuses it.
    const other = await userWithSession(app);
    const theirs = await other.api.configurations.create({ configType: 'security', promptContent: 'theirs' });
    expect(
      await codeOf(api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', configurationId: theirs.id, resultContent: 'x' }] })),
    ).toBe('FORBIDDEN');
    // A worker (admin) records results with the owner's prompts, not with anyone else's.
    const { api: admin } = await worker(app);
    expect(
      (await admin.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', configurationId: security.id, resultContent: 'ok' }] })).inserted,
    ).toBe(1);
    expect(
      await codeOf(admin.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', configurationId: theirs.id, resultContent: 'x' }] })),
    ).toBe('FORBIDDEN');
  });

  it('the CHECKs: config_type, prompt_content 1-100000, version >= 1', async () => {
    const { api } = await userWithSession(app);
    for (const [input, field] of [
      [{ configType: 'style', promptContent: 'x' }, 'configType'],
      [{ configType: 'security', promptContent: '' }, 'promptContent'],
      [{ configType: 'security', promptContent: 'x'.repeat(100_001) }, 'promptContent'],
    ] as const) {
      const err = await failure(api.configurations.create(input as never));
      expect(err.code).toBe('BAD_REQUEST');
      expect(badFields(err)).toEqual([field]);
    }
    const v1 = await api.configurations.create({ configType: 'custom', promptContent: 'x'.repeat(100_000) });
    for (const [set, constraint] of [
      [`config_type = 'style'`, 'configurations_config_type_check'],
      [`prompt_content = ''`, 'configurations_prompt_content_length'],
      [`prompt_content = repeat('x', 100001)`, 'configurations_prompt_content_length'],
      [`version = 0`, 'configurations_version_positive'],
    ] as const) {
      expect(await app.sqlError(`update verificai.configurations set ${set} where id = $1`, [v1.id]), set).toEqual({ code: '23514', constraint });
    }
    // An admin may not write prompts as someone else, nor pick another user's default.
    const { api: admin } = await worker(app);
    expect(await codeOf(admin.configurations.newVersion({ id: v1.id, promptContent: 'hijack' }))).toBe('FORBIDDEN');
    expect(await codeOf(admin.configurations.setDefault({ id: v1.id }))).toBe('NOT_FOUND');
    expect(await admin.configurations.delete({ id: v1.id })).toEqual({ id: v1.id });
  });
});
