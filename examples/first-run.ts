/**
 * The README's "First run", step 5: the typed client (src/client.ts) against a running
 * `npm start`. Every call below is type-checked against the server's routers: inputs, results
 * (dates arrive as Date objects) and errors.
 *
 *   npx tsx examples/first-run.ts          # the server at http://127.0.0.1:3000
 *   API_URL=http://127.0.0.1:4000 npx tsx examples/first-run.ts
 *
 * Safe to run again: an account that already exists is logged in to. test/server/first-run.test.ts
 * runs it exactly as the README says, so README and script cannot drift apart.
 */
import { TRPCClientError } from '@trpc/client';
import { createClient, type AppRouter } from '../src/client.js';

// 127.0.0.1, not localhost: the server listens on IPv4 loopback, and localhost may resolve to ::1 first.
const url = process.env.API_URL ?? 'http://127.0.0.1:3000';
const account = { username: 'grace', email: 'grace@example.com', password: 'Hopper-Compiler-1952' };

/** The tRPC error code of a failed call (BAD_REQUEST, CONFLICT, UNAUTHORIZED, ...). */
function codeOf(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err as TRPCClientError<AppRouter>).data?.code : undefined;
}

// The token is read before every request: set it after logging in, and every call carries it.
let token: string | undefined;
const api = createClient(url, { token: () => token });

// 1. auth.register (anyone): a second run finds the account and goes on to log in.
try {
  const user = await api.auth.register.mutate(account);
  console.log(`auth.register: ${user.username} <${user.email}>, role ${user.role}, status ${user.status}`);
} catch (err) {
  if (codeOf(err) !== 'CONFLICT') throw err;
  console.log(`auth.register: ${account.email} is already registered (CONFLICT); logging in`);
}

// 2. auth.login: the bearer token is returned once; only its SHA-256 is stored.
const login = await api.auth.login.mutate({ email: account.email, password: account.password });
token = login.token;
console.log(`auth.login: a bearer token of ${login.token.length} characters, valid until ${login.expiresAt.toISOString()}`);

// 3. auth.me, with the token.
const me = await api.auth.me.query();
console.log(`auth.me: ${me.username} <${me.email}>, last login ${me.lastLoginAt?.toISOString()}`);

// 4. An application procedure: a SOCRATES project (the database makes it the caller's: RLS).
const project = await api.socrates.projects.create.mutate({ name: 'Compiler notes', technologyStack: ['COBOL', 'FLOW-MATIC'] });
console.log(`socrates.projects.create: "${project.name}", status ${project.status}, technologyStack ${JSON.stringify(project.technologyStack)}`);
const page = await api.socrates.projects.list.query({ limit: 10 });
console.log(`socrates.projects.list: ${page.items.length} of grace's projects, newest first: ${page.items.map((p) => `"${p.name}"`).join(', ')}`);

// Bad input changes nothing and names the field and its rule.
try {
  await api.socrates.projects.create.mutate({ name: '' });
} catch (err) {
  const data = (err as TRPCClientError<AppRouter>).data;
  console.log(`socrates.projects.create with an empty name: ${data?.code} ${JSON.stringify(data?.fieldErrors)}`);
}

// 5. auth.logout revokes the session: the same token is refused from now on.
await api.auth.logout.mutate();
try {
  await api.auth.me.query();
} catch (err) {
  console.log(`auth.me after auth.logout: ${codeOf(err)}`);
}
