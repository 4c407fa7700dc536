/**
 * `npm run users:import`: users of the seeds' existing systems, from an export of their user
 * table (CSV with a header row, or JSON lines), with the password hashes those systems kept.
 * Field names are the seeds' own (email, username, full_name or first_name + last_name, role or
 * is_admin, is_active or status, hashed_password or password_hash, preferences, last_login_at
 * or last_login), snake_case or camelCase. Every line is checked before it reaches the
 * database, and a line is imported whole or skipped with the field and the rule it broke;
 * an email already registered (ignoring case) is skipped as "exists" and never overwritten,
 * so a rerun imports nothing twice. bcrypt hashes keep working: login rehashes them to
 * argon2id (src/auth/passwords.ts).
 *
 * Inserts go through the same statement as db:seed's import (ImportUser), as the system acting
 * as an admin (asSystem, system.ts), so RLS, the CHECKs and the audit log all apply; one transaction
 * per batch, a savepoint per line so that a rule only the database knows skips that line alone.
 */
import type pg from 'pg';
import { importUser, type Json } from '../../sql/core/users.queries.js';
import { RuleViolation, toTRPCError } from '../db/errors.js';
import { asSystem } from './system.js';

/** The file could not be read as an export at all (the CLI exits 1). */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** One record of the file: its first line number and its fields as written. */
export interface ImportRecord {
  line: number;
  fields: Record<string, unknown>;
}

export interface ParsedFile {
  format: 'csv' | 'jsonl';
  records: ImportRecord[];
  /** Lines that are not a record (a JSON line that is not an object, a CSV row of the wrong width). */
  skips: Skip[];
}

export interface Skip {
  line: number;
  /** The field as the file names it ("line" when the whole line is unreadable). */
  field: string;
  reason: string;
  email?: string;
}

export interface ImportSummary {
  format: 'csv' | 'jsonl';
  records: number;
  imported: number;
  skipped: number;
  /** How many lines each reason skipped ("exists", or the field). */
  skippedBy: Record<string, number>;
  skips: Skip[];
  /** Fields of the file that are not imported (ids, timestamps the database sets, unknown ones). */
  ignoredFields: string[];
}

// ===== Reading the file =====

/** CSV (a header row first) or JSON lines: by the extension, else by the first character. */
export function parseImportFile(text: string, fileName = ''): ParsedFile {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new ImportFileError('the file is empty');
  const ext = fileName.toLowerCase().split('.').pop();
  const jsonl = ext === 'jsonl' || ext === 'ndjson' || (ext !== 'csv' && body.trimStart().startsWith('{'));
  return jsonl ? parseJsonLines(body) : parseCsv(body);
}

function parseJsonLines(body: string): ParsedFile {
  const records: ImportRecord[] = [];
  const skips: Skip[] = [];
  body.split(/\r?\n/).forEach((text, index) => {
    if (text.trim() === '') return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      skips.push({ line, field: 'line', reason: 'line is not valid JSON' });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      skips.push({ line, field: 'line', reason: 'line is not a JSON object' });
      return;
    }
    records.push({ line, fields: value as Record<string, unknown> });
  });
  if (records.length === 0) throw new ImportFileError('no line of the file is a JSON object');
  return { format: 'jsonl', records, skips };
}

/** RFC 4180: fields quoted with ", "" inside quotes, commas and line breaks allowed in quoted fields. */
function parseCsv(body: string): ParsedFile {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  const endRow = () => {
    cells.push(cell);
    // A blank line is no record.
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line += 1;
        cell += c;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i += 1;
      endRow();
      line += 1;
      rowLine = line;
    } else {
      cell += c;
    }
  }
  if (quoted) throw new ImportFileError(`line ${quoteLine}: a quoted field is never closed`);
  if (cell !== '' || cells.length > 0) endRow();

  const [header, ...data] = rows;
  const names = header!.cells.map((name) => name.trim());
  if (!names.some((name) => FIELDS[key(name)] === 'email')) {
    throw new ImportFileError('the header row (line 1) has no email column');
  }
  const records: ImportRecord[] = [];
  const skips: Skip[] = [];
  for (const row of data) {
    if (row.cells.length !== names.length) {
      skips.push({ line: row.line, field: 'line', reason: `line has ${row.cells.length} fields, the header has ${names.length}` });
      continue;
    }
    records.push({ line: row.line, fields: Object.fromEntries(names.map((name, i) => [name, row.cells[i]])) });
  }
  return { format: 'csv', records, skips };
}

// ===== Checking a record =====

type Target =
  | 'email' | 'username' | 'fullName' | 'firstName' | 'lastName' | 'role' | 'isAdmin' | 'isActive' | 'status'
  | 'passwordHash' | 'preferences' | 'lastLoginAt';

/** The seeds' field names (and our camelCase ones), compared without case or underscores. */
const FIELDS: Record<string, Target> = {
  email: 'email',
  username: 'username',
  fullname: 'fullName',
  firstname: 'firstName',
  lastname: 'lastName',
  role: 'role',
  isadmin: 'isAdmin',
  isactive: 'isActive',
  status: 'status',
  hashedpassword: 'passwordHash',
  passwordhash: 'passwordHash',
  preferences: 'preferences',
  lastloginat: 'lastLoginAt',
  lastlogin: 'lastLoginAt',
};

function key(name: string): string {
  return name.toLowerCase().replace(/[_\s-]/g, '');
}

// The database's rules (migrations 1763800000001 and ...006), checked first so that the reason
// names the field as the file does.
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const USERNAME = /^[^\s\p{Cc}]([^\p{Cc}]*[^\s\p{Cc}])?$/u;
const BCRYPT = /^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$/;
const ARGON2ID = /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const STATUSES = ['ACTIVE', 'INACTIVE', 'SUSPENDED'] as const;
const ROLES = ['user', 'admin'] as const;

interface Candidate {
  line: number;
  email: string;
  username: string | null;
  fullName: string | null;
  firstName: string | null;
  lastName: string | null;
  role: (typeof ROLES)[number];
  status: (typeof STATUSES)[number];
  passwordHash: string;
  preferences: Json;
  lastLoginAt: Date | null;
}

class LineProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
}

/** A field's text: absent, null and blank are all "not given". */
function text(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new LineProblem(field, `${field} must be text`);
  return value.trim() === '' ? null : value;
}

function bool(value: unknown, field: string): boolean | null {
  if (typeof value === 'boolean') return value;
  const given = text(value, field)?.trim().toLowerCase();
  if (given === undefined) return null;
  if (['true', 't', '1', 'yes', 'y'].includes(given)) return true;
  if (['false', 'f', '0', 'no', 'n'].includes(given)) return false;
  throw new LineProblem(field, `${field} must be true or false`);
}

function name(value: unknown, field: string): string | null {
  const given = text(value, field);
  if (given !== null && given.length > 255) throw new LineProblem(field, `${field} must be 1-255 characters`);
  return given;
}

function check(record: ImportRecord): Candidate {
  // The file's own name of each field, for the reasons.
  const named: Partial<Record<Target, string>> = {};
  const value: Partial<Record<Target, unknown>> = {};
  for (const [field, v] of Object.entries(record.fields)) {
    const target = FIELDS[key(field)];
    if (!target) continue;
    if (named[target] !== undefined && given(value[target]) && given(v)) {
      throw new LineProblem(field, `${field} and ${named[target]} are the same field given twice`);
    }
    if (named[target] === undefined || given(v)) {
      named[target] = field;
      value[target] = v;
    }
  }
  const field = (target: Target, fallback: string) => named[target] ?? fallback;

  const email = text(value.email, field('email', 'email'))?.trim();
  if (!email) throw new LineProblem(field('email', 'email'), 'email is required');
  if (email.length > 255 || !EMAIL.test(email)) {
    throw new LineProblem(field('email', 'email'), 'email must be a valid address of at most 255 characters');
  }

  const username = text(value.username, field('username', 'username'));
  if (username !== null && (username.length > 255 || !USERNAME.test(username))) {
    throw new LineProblem(field('username', 'username'), 'username must be 1-255 characters, without control characters or leading/trailing spaces');
  }

  const roleField = field('role', 'role');
  const roleText = text(value.role, roleField)?.trim().toLowerCase() ?? null;
  if (roleText !== null && !(ROLES as readonly string[]).includes(roleText)) {
    throw new LineProblem(roleField, `role must be ${ROLES.join(' or ')} (got "${roleText}")`);
  }
  const isAdmin = bool(value.isAdmin, field('isAdmin', 'is_admin'));
  if (roleText !== null && isAdmin !== null && (roleText === 'admin') !== isAdmin) {
    throw new LineProblem(field('isAdmin', 'is_admin'), `${field('isAdmin', 'is_admin')} contradicts ${roleField}`);
  }
  const role = (roleText ?? (isAdmin ? 'admin' : 'user')) as Candidate['role'];

  const statusField = field('status', 'status');
  const statusText = text(value.status, statusField)?.trim().toUpperCase() ?? null;
  if (statusText !== null && !(STATUSES as readonly string[]).includes(statusText)) {
    throw new LineProblem(statusField, `status must be ${STATUSES.join(', ')}`);
  }
  const isActive = bool(value.isActive, field('isActive', 'is_active'));
  if (statusText !== null && isActive !== null && (statusText === 'ACTIVE') !== isActive) {
    throw new LineProblem(field('isActive', 'is_active'), `${field('isActive', 'is_active')} contradicts ${statusField}`);
  }
  // The seeds' default is an active user.
  const status = (statusText ?? (isActive === false ? 'INACTIVE' : 'ACTIVE')) as Candidate['status'];

  const hashField = field('passwordHash', 'password_hash');
  const passwordHash = text(value.passwordHash, hashField)?.trim();
  if (!passwordHash) throw new LineProblem(hashField, `${hashField} is required`);
  if (!BCRYPT.test(passwordHash) && !ARGON2ID.test(passwordHash)) {
    throw new LineProblem(hashField, `${hashField} must be a bcrypt ($2a$, $2b$, $2y$) or argon2id hash`);
  }

  const preferencesField = field('preferences', 'preferences');
  let preferences: unknown = value.preferences ?? {};
  if (typeof preferences === 'string') {
    try {
      preferences = preferences.trim() === '' ? {} : JSON.parse(preferences);
    } catch {
      throw new LineProblem(preferencesField, `${preferencesField} must be a JSON object`);
    }
  }
  if (preferences === null || typeof preferences !== 'object' || Array.isArray(preferences)) {
    throw new LineProblem(preferencesField, `${preferencesField} must be a JSON object`);
  }

  const lastLoginField = field('lastLoginAt', 'last_login_at');
  const lastLoginText = text(value.lastLoginAt, lastLoginField);
  const lastLoginAt = lastLoginText === null ? null : new Date(lastLoginText);
  if (lastLoginAt !== null && Number.isNaN(lastLoginAt.getTime())) {
    throw new LineProblem(lastLoginField, `${lastLoginField} must be a date and time`);
  }

  return {
    line: record.line,
    email,
    username,
    fullName: name(value.fullName, field('fullName', 'full_name')),
    firstName: name(value.firstName, field('firstName', 'first_name')),
    lastName: name(value.lastName, field('lastName', 'last_name')),
    role,
    status,
    passwordHash,
    preferences: preferences as Json,
    lastLoginAt,
  };
}

// ===== Importing =====

export const BATCH_SIZE = 500;

/**
 * Imports the parsed file's users through `client` (the owner's connection, not in a
 * transaction): one transaction per batch. Throws (after rolling that batch back) only for
 * errors that are not about a line, such as a lost connection.
 */
export async function importUsers(
  client: pg.ClientBase,
  parsed: ParsedFile,
  options: { userAgent: string; batchSize?: number },
): Promise<ImportSummary> {
  const skips: Skip[] = [...parsed.skips];
  const ignored = new Set<string>();
  const candidates: Candidate[] = [];
  const firstLineOf = new Map<string, number>();
  for (const record of parsed.records) {
    for (const field of Object.keys(record.fields)) if (!FIELDS[key(field)]) ignored.add(field);
    let candidate: Candidate;
    try {
      candidate = check(record);
    } catch (err) {
      if (!(err instanceof LineProblem)) throw err;
      const email = typeof record.fields.email === 'string' ? record.fields.email : undefined;
      skips.push({ line: record.line, field: err.field, reason: err.message, ...(email ? { email } : {}) });
      continue;
    }
    // Emails are unique ignoring case (citext): a second line for one address is not imported.
    const first = firstLineOf.get(candidate.email.toLowerCase());
    if (first !== undefined) {
      skips.push({ line: record.line, field: 'email', reason: `duplicate of line ${first}`, email: candidate.email });
      continue;
    }
    firstLineOf.set(candidate.email.toLowerCase(), record.line);
    candidates.push(candidate);
  }

  let imported = 0;
  const size = options.batchSize ?? BATCH_SIZE;
  for (let start = 0; start < candidates.length; start += size) {
    const batch = candidates.slice(start, start + size);
    await asSystem(client, options.userAgent, async (db) => {
      for (const user of batch) {
        await client.query('savepoint import_line');
        try {
          const [row] = await importUser.run(
            {
              email: user.email,
              username: user.username,
              passwordHash: user.passwordHash,
              fullName: user.fullName,
              firstName: user.firstName,
              lastName: user.lastName,
              role: user.role,
              status: user.status,
              preferences: user.preferences,
              lastLoginAt: user.lastLoginAt,
            },
            db,
          );
          await client.query('release savepoint import_line');
          if (row) imported += 1;
          else skips.push({ line: user.line, field: 'email', reason: 'exists', email: user.email });
        } catch (err) {
          const rule = lineRule(err);
          if (!rule) throw err;
          await client.query('rollback to savepoint import_line');
          skips.push({ line: user.line, ...rule, email: user.email });
        }
      }
    });
  }

  skips.sort((a, b) => a.line - b.line);
  const skippedBy: Record<string, number> = {};
  for (const skip of skips) {
    const by = skip.reason === 'exists' ? 'exists' : skip.field;
    skippedBy[by] = (skippedBy[by] ?? 0) + 1;
  }
  return {
    format: parsed.format,
    records: parsed.records.length + parsed.skips.length,
    imported,
    skipped: skips.length,
    skippedBy,
    skips,
    ignoredFields: [...ignored].sort(),
  };
}

/** A rule of the database a line broke (a CHECK, a unique username, bad data), in the API's words; else undefined. */
function lineRule(err: unknown): { field: string; reason: string } | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^2[23]/.test(code)) return undefined;
  const mapped = toTRPCError(err);
  const cause = mapped.cause;
  const fields = cause instanceof RuleViolation ? Object.keys(cause.fieldErrors) : [];
  return { field: fields[0] ?? 'line', reason: mapped.message };
}
