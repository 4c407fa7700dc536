/**
 * The README's "First run" section, run as written, so that it cannot drift from what the server
 * does (issue 15 item 7). `npm start` serves this file's database (DATABASE_URL: the README's
 * embedded server under .data/ would take a fresh initdb and every migration, and .data/ may be
 * someone's); then every `sh` block of the section, in order, in ONE bash (the token of one block
 * is used by the next), with real curl and `npx tsx examples/first-run.ts`; each block's output
 * must match the `text` block that follows it in the README ("…" stands for anything on one line,
 * a line of "…" for any lines), and a block the README shows no output for must print nothing.
 * Finally Ctrl-C (SIGINT to the process group, as a terminal sends it) must stop the server with
 * exit code 0.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The address the README's commands use; replaced by the test server's. */
const README_ADDRESS = /\b(?:localhost|127\.0\.0\.1):3000\b/g;

interface Step {
  command: string;
  /** The README's output for the command, abridged with "…"; undefined when it shows none. */
  expected?: string;
}

/** The section from its heading to the next `## ` heading. */
function firstRunSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## First run\n');
  if (start === -1) throw new Error('README.md has no "## First run" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The section's commands (`sh` blocks), each with the `text` block right after it, if any. */
function stepsOf(section: string): Step[] {
  const blocks = [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]!.replace(/\n$/, '') }));
  // A fence this parser did not see (indented under a list item, say) would be a command never run.
  if ((section.match(/```/g) ?? []).length !== blocks.length * 2) throw new Error('README "First run": a fence that does not start a line (an indented block?) or is not closed');
  const steps: Step[] = [];
  for (const block of blocks) {
    if (block.lang === 'sh') steps.push({ command: block.body });
    else if (block.lang === 'text' && steps.length && steps.at(-1)!.expected === undefined) steps.at(-1)!.expected = block.body;
    else throw new Error(`README "First run": a \`${block.lang}\` block that follows no command:\n${block.body}`);
  }
  return steps;
}

/** "…" matches anything within a line; a line that is only "…" matches any number of whole lines. */
function abridged(expected: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lines = expected.split('\n');
  const source = lines
    .map((line, i) => {
      const last = i === lines.length - 1;
      if (line.trim() === '…') return last ? '[\\s\\S]*' : '(?:[^\\n]*\\n)*?';
      return line.split('…').map(escape).join('[^\\n]*?') + (last ? '' : '\\n');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const section = firstRunSection();
const steps = stepsOf(section);
let server: { child: ChildProcess; url: string; output: () => string; exited: Promise<number | null>; closed: Promise<unknown> };

/** `npm start`, in a process group of its own (for Ctrl-C); resolves once it serves. */
function npmStart(): Promise<typeof server> {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, DATABASE_URL: app.url, CONFIG_ENCRYPTION_KEY: randomBytes(32).toString('base64'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Every process that holds the output pipes (npm, sh, the server) has closed them, and all they wrote has been read.
  const closed = new Promise((resolve) => child.once('close', resolve));
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const serving = /"url":"(http:[^"]+)\/trpc","msg":"serving"/.exec(output);
      if (serving) resolve({ child, url: serving[1]!, output: () => output, exited, closed });
    });
    child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`npm start exited with ${code} before serving:\n${output}`)));
  });
}

beforeAll(async () => {
  server = await npmStart();
});
afterAll(() => {
  const { child } = server ?? {};
  if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
});

describe('README "First run", run as written', () => {
  it('the output matcher: "…" stands for the elided part only, everything else must be equal', () => {
    expect('{"id":"01a2","username":"ada","role":"user"}').toMatch(abridged('{"id":"…","username":"ada",…}'));
    expect('{"id":"01a2","username":"eve","role":"user"}').not.toMatch(abridged('{"id":"…","username":"ada",…}'));
    expect('a\nb\nc\nd').toMatch(abridged('a\n…\nd'));
    expect('a\nb\nc').not.toMatch(abridged('a\n…\nd'));
    expect('a\nb').not.toMatch(abridged('a…'));
    expect('a\nb\nc').toMatch(abridged('a\n…'));
  });

  it('step 1 is `npm install` + `npm start`, which prints the serving line the README shows', () => {
    expect(steps[0]!.command).toBe('npm install\nnpm start');
    const shown = steps[0]!.expected?.split('\n').find((line) => line.includes('"msg":"serving"'));
    expect(shown, 'the README shows the serving line').toBeDefined();
    const printed = server.output().split('\n').find((line) => line.includes('"msg":"serving"'))!;
    expect(printed).toMatch(abridged(shown!.replace(README_ADDRESS, new URL(server.url).host)));
  });

  it('every other command, in order in one bash against the server, prints what the README shows', async () => {
    const commands = steps.slice(1);
    expect(commands.map((s) => s.command).join('\n')).toContain('npx tsx examples/first-run.ts');
    const MARK = '@@first-run-step@@';
    const host = new URL(server.url).host;
    const script = ['set -eo pipefail', ...commands.map((s) => `${s.command.replace(README_ADDRESS, host)}\nprintf '\\n%s\\n' '${MARK}'`)].join('\n');
    // The script's address: the README's default (127.0.0.1:3000) is replaced the way it says to.
    const result = await run('bash', ['-c', script], { ...process.env, API_URL: server.url });
    expect(result.code, `bash exited with ${result.code}:\n${result.stderr}\n${result.stdout}`).toBe(0);
    const outputs = result.stdout.split(`\n${MARK}\n`);
    expect(outputs).toHaveLength(commands.length + 1);
    commands.forEach((step, i) => {
      const output = outputs[i]!.trimEnd();
      if (step.expected === undefined) expect(output, `"${step.command}" prints nothing (the README shows no output)`).toBe('');
      else expect(output, `the output of:\n${step.command}`).toMatch(abridged(step.expected));
    });
  }, 60_000);

  it('the typed-client script runs again as the README says: the account exists, so it logs in', async () => {
    const result = await run('npx', ['tsx', 'examples/first-run.ts'], { ...process.env, API_URL: server.url });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^auth\.register: grace@example\.com is already registered \(CONFLICT\); logging in\n/);
    expect(result.stdout).toContain(`socrates.projects.list: 2 of grace's projects, newest first: "Compiler notes", "Compiler notes"\n`);
    expect(result.stdout).toMatch(/auth\.me after auth\.logout: UNAUTHORIZED\n$/);
  }, 30_000);

  it('the files the section points to exist: the schema pages with their ER diagrams, the policy matrix, the script', () => {
    const links = [...section.matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]!);
    expect(links).toEqual(expect.arrayContaining(['docs/schema/socrates.md', 'docs/schema/policies.md', 'examples/first-run.ts']));
    for (const link of links) expect(existsSync(path.join(ROOT, link)), link).toBe(true);
    expect(readFileSync(path.join(ROOT, 'docs/schema/socrates.md'), 'utf8')).toContain('```mermaid');
    expect(readFileSync(path.join(ROOT, 'docs/schema/policies.md'), 'utf8')).toContain('### socrates.projects');
  });

  it('Ctrl-C stops it: drained, the last line the README shows (exit code 0), no process left', async () => {
    const shown = /`(\{[^`]*"msg":"stopped"\})`/.exec(section)?.[1];
    expect(shown, 'the README shows the stopped line').toBeDefined();
    const pid = server.child.pid!;
    process.kill(-pid, 'SIGINT');
    // npm, interrupted like the server, ends by the signal as it does for any Ctrl-C; the server's own exit code is in its line.
    await server.exited;
    expect(server.child.exitCode === 0 || server.child.signalCode === 'SIGINT', `npm ended with ${server.child.exitCode ?? server.child.signalCode}`).toBe(true);
    // The server (node with tsx's loader) is in npm's process group; npm may end before it has drained,
    // so wait for the whole group to be gone, then for its output pipes to be read to their end (a
    // fixed pause was not enough on a loaded machine: the timer could fire before the last line was read).
    for (let i = 0; ; i++) {
      try {
        process.kill(-pid, 0);
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ESRCH');
        break;
      }
      expect(i, 'processes of the group still running 10 s after npm exited').toBeLessThan(500);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await server.closed;
    const lines = server.output().trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(abridged(shown!));
  }, 30_000);
});
