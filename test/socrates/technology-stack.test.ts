import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

describe('socrates.projects technologyStack', () => {
  it('null clears it to SQL NULL, as seed 002 allows (a nullable JSONB column); absent keeps it', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).socrates;
    const project = await api.projects.create({ name: 'Stackless', technologyStack: ['python', 'fastapi'] });
    expect((await api.projects.update({ id: project.id, technologyStack: null })).technologyStack).toBeNull();
    const { rows } = await app.sql(`select technology_stack is null as cleared from socrates.projects where id = $1`, [project.id]);
    expect(rows[0]).toEqual({ cleared: true });
    expect((await api.projects.update({ id: project.id, name: 'Renamed' })).technologyStack).toBeNull();
    expect((await api.projects.update({ id: project.id, technologyStack: ['rust'] })).technologyStack).toEqual(['rust']);
    expect((await api.projects.update({ id: project.id, description: 'kept' })).technologyStack).toEqual(['rust']);
  });

  it('create takes null as SQL NULL too (as update does); absent is the default []', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).socrates;
    const stackless = await api.projects.create({ name: 'No stack', technologyStack: null });
    expect(stackless.technologyStack).toBeNull();
    const { rows } = await app.sql(`select technology_stack is null as cleared from socrates.projects where id = $1`, [stackless.id]);
    expect(rows[0]).toEqual({ cleared: true });
    expect((await api.projects.get({ id: stackless.id })).technologyStack).toBeNull();
    expect((await api.projects.create({ name: 'Default stack' })).technologyStack).toEqual([]);
    expect((await api.projects.create({ name: 'Stack', technologyStack: ['go'] })).technologyStack).toEqual(['go']);
  });
});
