/** Helpers shared by the VerificAI tests. */
import type { TestApp } from '../support/app.js';
import { unique } from '../support/app.js';

export { badFields, countQueries, MISSING_ID } from '../componentforge/helpers.js';

/** `n` distinct files of an upload, as files.registerMany takes them. */
export function files(n: number, prefix = unique('src')) {
  return Array.from({ length: n }, (_, i) => ({
    fileName: `module_${i}.py`,
    filePath: `/uploads/${prefix}/pkg/module_${i}.py`,
    fileSize: 1024 + i,
    fileType: 'text/x-python',
  }));
}

/** A fresh user with the VerificAI API, and a session of theirs (created). */
export async function userWithSession(app: TestApp, sessionName = unique('analysis')) {
  const user = await app.newUser();
  const api = app.caller({ token: user.token }).verificai;
  const session = await api.sessions.create({ sessionName });
  return { user, api, session };
}

/** The analysis worker: a fresh admin's VerificAI API. */
export async function worker(app: TestApp) {
  const admin = await app.newAdmin();
  return { admin, api: app.caller({ token: admin.token }).verificai };
}
