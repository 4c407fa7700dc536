/**
 * The row-level security matrix (`npm run db:gen` writes docs/schema/policies.md): for every
 * table of the app schemas, what each actor may select, insert, update and delete, derived from
 * the catalog (pg_policy, table and column privileges, relrowsecurity/relforcerowsecurity) by
 * one rule, written out below. test/db/policy-matrix.test.ts reads the committed file back and
 * runs every cell against the database as that actor, so document and behaviour cannot disagree.
 *
 * The rule. A cell is about one row R of the table that belongs to a user O (for a table without
 * owners, any row), and one statement, the way the procedures write them:
 *   select `select 1 from T where <key> = R's`   (the row is visible)
 *   insert `insert into T (...) values (R's values)`      (R inserted anew, as O's row)
 *   update `update T set <a column> = <its value> where <key> = R's`
 *   delete `delete from T where <key> = R's`
 * (the key: the primary key, else the first unique constraint by name whose columns the actor may
 * read). The actor needs the privileges (SELECT on a key; INSERT; UPDATE of some column; DELETE). Then,
 * unless RLS is off for the actor (not enabled, or the actor owns the table and RLS is not
 * forced), the policies of the actor's role (or PUBLIC) decide, as PostgreSQL applies them:
 * select: SELECT using; insert: INSERT with check; update: SELECT using and UPDATE using on the
 * old row, UPDATE with check on the new one (R's values again); delete: SELECT and DELETE using.
 * Permissive policies are OR'ed, restrictive ones AND'ed, no permissive policy means no row.
 *
 * Each policy expression (as pg_get_expr prints it) is split into AND/OR/NOT/EXISTS nodes over
 * atoms, and the atoms that ask who is acting are decided for the request actors:
 *   `(SELECT core.is_admin())`                         admin: true; others: false
 *   `(SELECT core.current_user_id()) IS NOT NULL`      anonymous: false; users and admin: true
 *   `<column> = (SELECT core.current_user_id())`       owner: true (the column names O: R's, or
 *                                                      the parent row's inside an EXISTS); others false
 * For the internal roles (app_auth, app_audit) and the owner role the request may be anyone's,
 * so those atoms stay in the condition. Any other atom that reads the request context (a
 * function of core, current_setting, current_user...) stops generation: it cannot be classified.
 * Every other atom is a condition on the row; what is left after simplification is printed as
 * the cell's condition, in SQL, evaluated on R. An `EXISTS` whose only condition is the foreign
 * key to its parent is the parent's visibility: when the actor sees every such parent row, or
 * none, it is decided.
 * A yes cell reads `own rows` when the owner's rows are allowed only because they are the
 * owner's (the same statement on another user's row is refused), else `all rows`; with the
 * column privileges when they do not cover the whole table. A no cell gives the first reason:
 * no grant, no RLS policy for the role, or the policies refuse.
 */
import path from 'node:path';
import type pg from 'pg';
import { APP_SCHEMAS } from './catalog.js';
import { SHARED_ROLES } from './lifecycle.js';

export const OPERATIONS = ['select', 'insert', 'update', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Who acts: the request role as four kinds of caller, each internal role, and the owner role. */
export interface Actor {
  /** Column heading in the document. */
  label: string;
  /** The role the statement runs as; undefined: the table's owner. */
  role?: string;
  /** The request's acting user: the row's owner, another active user, an admin, or nobody. */
  user?: 'owner' | 'other' | 'admin';
}

export const REQUEST_ROLE = 'app_request';

/** The actors of a database: the internal roles are the shared roles (lifecycle.ts) it has. */
export function actorsOf(internalRoles: readonly string[]): Actor[] {
  return [
    { label: 'anonymous', role: REQUEST_ROLE },
    { label: 'owner', role: REQUEST_ROLE, user: 'owner' },
    { label: 'other user', role: REQUEST_ROLE, user: 'other' },
    { label: 'admin', role: REQUEST_ROLE, user: 'admin' },
    ...internalRoles.map((role) => ({ label: role, role })),
    { label: 'owner role' },
  ];
}

// ----- Expressions -----

type Node =
  | { t: 'const'; v: boolean }
  | { t: 'and' | 'or'; xs: Node[] }
  | { t: 'not'; x: Node }
  | { t: 'exists'; table: string; alias: string; where: Node }
  | { t: 'admin' }
  | { t: 'signedIn' }
  | { t: 'own'; column: string }
  | { t: 'atom'; sql: string };

const CURRENT_USER = '( SELECT core.current_user_id() AS current_user_id)';
const IS_ADMIN = '( SELECT core.is_admin() AS is_admin)';

/** Whitespace runs outside string literals become one space. */
function squash(sql: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'") quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (!out.endsWith(' ')) out += ' ';
      continue;
    }
    out += ch;
  }
  return out.trim();
}

/** Depth-0 positions of `word` (such as ' OR '), outside parentheses and literals. */
function splitTop(sql: string, word: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && sql.startsWith(word, i)) {
      parts.push(sql.slice(start, i));
      start = i + word.length;
      i += word.length - 1;
    }
  }
  parts.push(sql.slice(start));
  return parts;
}

/** `(x)` -> `x` when the outer parentheses enclose the whole text. */
function unwrap(sql: string): string {
  for (;;) {
    if (!sql.startsWith('(') || !sql.endsWith(')')) return sql;
    let depth = 0;
    let quoted = false;
    for (let i = 0; i < sql.length; i++) {
      const ch = sql[i]!;
      if (ch === "'") quoted = !quoted;
      if (quoted) continue;
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      if (depth === 0 && i < sql.length - 1) return sql;
    }
    sql = sql.slice(1, -1).trim();
  }
}

export function parseExpression(sql: string): Node {
  const text = unwrap(squash(sql));
  const or = splitTop(text, ' OR ');
  if (or.length > 1) return { t: 'or', xs: or.map(parseExpression) };
  const and = splitTop(text, ' AND ');
  if (and.length > 1) return { t: 'and', xs: and.map(parseExpression) };
  if (text.startsWith('NOT ')) return { t: 'not', x: parseExpression(text.slice(4)) };
  if (text === 'true' || text === 'false') return { t: 'const', v: text === 'true' };
  const exists = /^EXISTS \( SELECT FROM ([\w.]+) (\w+) WHERE (.*)\)$/.exec(text);
  if (exists) return { t: 'exists', table: exists[1]!, alias: exists[2]!, where: parseExpression(exists[3]!) };
  // unwrap() took the subquery's own parentheses off.
  if (`( ${text})` === IS_ADMIN) return { t: 'admin' };
  if (text === `${CURRENT_USER} IS NOT NULL`) return { t: 'signedIn' };
  const own = /^([\w.]+) = (.*)$/.exec(text);
  if (own && own[2] === CURRENT_USER) return { t: 'own', column: own[1]! };
  if (/\bcore\.|current_setting|current_user|session_user|\bSELECT\b/i.test(text)) {
    throw new Error(`policy-matrix: cannot classify the condition \`${text}\` (it reads the request context or a table in a way the rule does not know)`);
  }
  return { t: 'atom', sql: text };
}

/** SQL of a node, in the catalog's spelling (so a reader can find it in pg_policies). */
export function printExpression(node: Node, top = true): string {
  const wrap = (s: string) => (top ? s : `(${s})`);
  switch (node.t) {
    case 'const':
      return String(node.v);
    case 'and':
    case 'or':
      return wrap(node.xs.map((x) => printExpression(x, false)).join(node.t === 'and' ? ' AND ' : ' OR '));
    case 'not':
      return wrap(`NOT ${printExpression(node.x, false)}`);
    case 'exists':
      return `EXISTS (SELECT FROM ${node.table} ${node.alias} WHERE ${printExpression(node.where)})`;
    case 'admin':
      return '(SELECT core.is_admin())';
    case 'signedIn':
      return wrap('(SELECT core.current_user_id()) IS NOT NULL');
    case 'own':
      return wrap(`${node.column} = (SELECT core.current_user_id())`);
    case 'atom':
      return wrap(node.sql);
  }
}

const TRUE: Node = { t: 'const', v: true };
const FALSE: Node = { t: 'const', v: false };

/** Drops repeated operands (the same condition from using and from check, say). */
function distinct(xs: Node[]): Node[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const key = printExpression(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function and(xs: Node[]): Node {
  const flat = distinct(xs.flatMap((x) => (x.t === 'and' ? x.xs : [x])).filter((x) => !(x.t === 'const' && x.v)));
  if (flat.some((x) => x.t === 'const' && !x.v)) return FALSE;
  return flat.length === 0 ? TRUE : flat.length === 1 ? flat[0]! : { t: 'and', xs: flat };
}

function or(xs: Node[]): Node {
  const flat = distinct(xs.flatMap((x) => (x.t === 'or' ? x.xs : [x])).filter((x) => !(x.t === 'const' && !x.v)));
  if (flat.some((x) => x.t === 'const' && x.v)) return TRUE;
  return flat.length === 0 ? FALSE : flat.length === 1 ? flat[0]! : { t: 'or', xs: flat };
}

// ----- Catalog -----

interface PolicyRow {
  name: string;
  cmd: 'r' | 'a' | 'w' | 'd' | '*';
  permissive: boolean;
  roles: string[];
  qual: string | null;
  check: string | null;
}

interface TableRow {
  schema: string;
  table: string;
  owner: string;
  rls: boolean;
  force: boolean;
  columns: string[];
  /** The primary key, then the unique constraints by name: the statements name the row by the first the role may read. */
  keys: string[][];
  policies: PolicyRow[];
  /** Per role: privilege -> the columns it covers (all columns when granted on the table). */
  privileges: Record<string, Record<'select' | 'insert' | 'update' | 'delete', string[]>>;
  /** Foreign keys of one column to a parent's single-column key: `column` -> `schema.table.column`. */
  links: Record<string, { parent: string; key: string; notNull: boolean }>;
}

async function readCatalog(db: Pick<pg.ClientBase, 'query'>): Promise<{ tables: TableRow[]; internalRoles: string[] }> {
  const { rows: roles } = await db.query<{ rolname: string }>(
    `select rolname from pg_roles where rolname = any($1) and rolname <> $2`,
    [[...SHARED_ROLES], REQUEST_ROLE],
  );
  const internalRoles = SHARED_ROLES.filter((r) => roles.some((x) => x.rolname === r));
  const { rows } = await db.query<TableRow>(
    `select n.nspname as schema, c.relname as table, pg_get_userbyid(c.relowner) as owner,
            c.relrowsecurity as rls, c.relforcerowsecurity as force,
            array(select a.attname::text from pg_attribute a
                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns,
            coalesce((select json_agg(array(select a.attname::text from unnest(k.conkey) with ordinality as u(attnum, ord)
                                               join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
                                              order by u.ord)
                                      order by k.contype = 'u', k.conname)
                        from pg_constraint k where k.conrelid = c.oid and k.contype in ('p', 'u')), '[]') as keys,
            coalesce((select json_agg(json_build_object(
                        'name', p.polname, 'cmd', p.polcmd, 'permissive', p.polpermissive,
                        'roles', (select coalesce(json_agg(case when r = 0 then 'public' else pg_get_userbyid(r)::text end order by 1), '[]')
                                    from unnest(p.polroles) r),
                        'qual', pg_get_expr(p.polqual, p.polrelid), 'check', pg_get_expr(p.polwithcheck, p.polrelid))
                      order by p.polname)
                        from pg_policy p where p.polrelid = c.oid), '[]') as policies,
            (select json_object_agg(r.role, json_build_object(
                      'select', array(select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                                        and has_column_privilege(r.role, c.oid, a.attnum, 'SELECT') order by a.attnum),
                      'insert', array(select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                                        and has_column_privilege(r.role, c.oid, a.attnum, 'INSERT') order by a.attnum),
                      'update', array(select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                                        and has_column_privilege(r.role, c.oid, a.attnum, 'UPDATE') order by a.attnum),
                      'delete', case when has_table_privilege(r.role, c.oid, 'DELETE') then array['*'] else array[]::text[] end))
               from (select unnest($2::text[]) as role union select pg_get_userbyid(c.relowner)) r) as privileges,
            coalesce((select json_object_agg(a.attname, json_build_object(
                        'parent', pn.nspname || '.' || pc.relname, 'key', pa.attname, 'notNull', a.attnotnull))
                        from pg_constraint con
                        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = con.conkey[1]
                        join pg_class pc on pc.oid = con.confrelid
                        join pg_namespace pn on pn.oid = pc.relnamespace
                        join pg_attribute pa on pa.attrelid = con.confrelid and pa.attnum = con.confkey[1]
                       where con.conrelid = c.oid and con.contype = 'f' and cardinality(con.conkey) = 1), '{}') as links
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relispartition
      order by 1, 2`,
    [APP_SCHEMAS, [REQUEST_ROLE, ...internalRoles]],
  );
  return { tables: rows, internalRoles };
}

// ----- Cells -----

export interface Cell {
  allowed: boolean;
  /** Yes: 'own rows' or 'all rows'. No: why. */
  scope: string;
  /** SQL on the row as it is that must also hold (yes cells). */
  condition?: string;
  /** SQL on the row as written (insert, update) that must also hold, when not the same. */
  newRow?: string;
  /** Columns granted when not the whole table (yes cells). */
  columns?: string[];
  /** All columns but these (yes cells; shorter than listing `columns`). */
  exceptColumns?: string[];
}

export interface TableMatrix {
  actors: Actor[];
  schema: string;
  table: string;
  rls: string;
  policies: { name: string; command: string; roles: string[] }[];
  cells: Record<string, Record<Operation, Cell>>;
}

const COMMANDS: Record<PolicyRow['cmd'], string> = { r: 'select', a: 'insert', w: 'update', d: 'delete', '*': 'all' };

interface Facts {
  /** Decide the request-context atoms (request actors) or keep them (internal roles). */
  decided: boolean;
  admin: boolean;
  signedIn: boolean;
  /** `<column> = current_user_id()` holds: the actor is the row's owner. */
  own: boolean;
}

function factsOf(actor: Actor): Facts {
  if (actor.role !== REQUEST_ROLE) return { decided: false, admin: false, signedIn: false, own: false };
  return { decided: true, admin: actor.user === 'admin', signedIn: actor.user !== undefined, own: actor.user === 'owner' };
}

class Matrix {
  private readonly byName: Map<string, TableRow>;
  private readonly visible = new Map<string, Node>();

  constructor(
    private readonly tables: TableRow[],
    private readonly actors: Actor[],
  ) {
    this.byName = new Map(tables.map((t) => [`${t.schema}.${t.table}`, t]));
  }

  /** The policies' verdict on a row for one command and one side (using / check), with the facts applied. */
  policyNode(t: TableRow, role: string, cmd: 'r' | 'a' | 'w' | 'd', side: 'using' | 'check', facts: Facts): Node | undefined {
    const applicable = t.policies.filter((p) => (p.cmd === cmd || p.cmd === '*') && (p.roles.includes(role) || p.roles.includes('public')));
    const expr = (p: PolicyRow) => {
      const sql = side === 'using' ? p.qual : p.check ?? p.qual;
      if (sql === null) throw new Error(`policy-matrix: policy "${p.name}" on ${t.schema}.${t.table} has no ${side} expression`);
      return this.decide(parseExpression(sql), facts, t, role);
    };
    const permissive = applicable.filter((p) => p.permissive);
    if (permissive.length === 0) return undefined;
    return and([or(permissive.map(expr)), ...applicable.filter((p) => !p.permissive).map(expr)]);
  }

  /** Can `role` with these facts see the rows of `parent`: TRUE, FALSE, or a condition on them. */
  parentVisible(parent: string, role: string, facts: Facts): Node {
    const key = `${parent}|${role}|${JSON.stringify(facts)}`;
    const known = this.visible.get(key);
    if (known) return known;
    const t = this.byName.get(parent);
    if (!t) return { t: 'atom', sql: `visible(${parent})` };
    this.visible.set(key, { t: 'atom', sql: `visible(${parent})` }); // a cycle stays undecided
    let node: Node;
    if (!t.privileges[role]?.select.length) node = FALSE;
    else if (!t.rls || (role === t.owner && !t.force)) node = TRUE;
    else node = this.policyNode(t, role, 'r', 'using', facts) ?? FALSE;
    this.visible.set(key, node);
    return node;
  }

  decide(node: Node, facts: Facts, t: TableRow, role: string): Node {
    switch (node.t) {
      case 'and':
        return and(node.xs.map((x) => this.decide(x, facts, t, role)));
      case 'or':
        return or(node.xs.map((x) => this.decide(x, facts, t, role)));
      case 'not': {
        const x = this.decide(node.x, facts, t, role);
        return x.t === 'const' ? { t: 'const', v: !x.v } : { t: 'not', x };
      }
      case 'admin':
        return facts.decided ? { t: 'const', v: facts.admin } : node;
      case 'signedIn':
        return facts.decided ? { t: 'const', v: facts.signedIn } : node;
      case 'own':
        return facts.decided ? { t: 'const', v: facts.own } : node;
      case 'exists': {
        const where = this.decide(node.where, facts, t, role);
        if (where.t === 'const' && !where.v) return FALSE;
        // Only the foreign key to the parent: the parent row exists, so this is its visibility.
        const link = where.t === 'atom' ? new RegExp(`^${node.alias}\\.(\\w+) = ${t.table}\\.(\\w+)$`).exec(where.sql) : null;
        const fk = link ? t.links[link[2]!] : undefined;
        if (link && fk && fk.parent === node.table && fk.key === link[1] && fk.notNull) {
          const seen = this.parentVisible(node.table, role, facts);
          if (seen.t === 'const') return seen;
        }
        return { ...node, where };
      }
      default:
        return node;
    }
  }

  cell(t: TableRow, actor: Actor, op: Operation): Cell {
    const role = actor.role ?? t.owner;
    const granted = t.privileges[role] ?? { select: [], insert: [], update: [], delete: [] };
    const no = (scope: string): Cell => ({ allowed: false, scope });
    if (granted[op].length === 0) return no(`no (no ${op.toUpperCase()} grant)`);
    if (op !== 'insert' && !t.keys.some((key) => key.every((k) => granted.select.includes(k)))) return no('no (no SELECT on a key)');
    // The row as it is (select, update, delete) and as written (insert, update).
    const verdict = (facts: Facts): { old: Node; new: Node } | 'no policy' => {
      if (!t.rls || (role === t.owner && !t.force)) return { old: TRUE, new: TRUE };
      const sel = () => this.policyNode(t, role, 'r', 'using', facts);
      const parts: Array<Node | undefined> =
        op === 'select'
          ? [sel()]
          : op === 'insert'
            ? [this.policyNode(t, role, 'a', 'check', facts)]
            : op === 'update'
              ? [sel(), this.policyNode(t, role, 'w', 'using', facts), this.policyNode(t, role, 'w', 'check', facts), sel()]
              : [sel(), this.policyNode(t, role, 'd', 'using', facts)];
      if (parts.some((p) => p === undefined)) return 'no policy';
      const [a, b, c, d] = parts as Node[];
      if (op === 'insert') return { old: TRUE, new: a! };
      if (op === 'update') return { old: and([a!, b!]), new: and([c!, d!]) };
      return { old: and([a!, b ?? TRUE]), new: TRUE };
    };
    const facts = factsOf(actor);
    const result = verdict(facts);
    if (result === 'no policy') return no('no (no policy)');
    const both = and([result.old, result.new]);
    if (both.t === 'const' && !both.v) return no('no (policy)');
    // "own rows": the same statement on another user's row would not pass.
    const asStranger = facts.own ? verdict({ ...facts, own: false }) : result;
    const own = asStranger === 'no policy' || printExpression(and([asStranger.old, asStranger.new])) !== printExpression(both);
    const cell: Cell = { allowed: true, scope: own ? 'own rows' : 'all rows' };
    const oldText = printExpression(result.old);
    const newText = printExpression(result.new);
    if (`${oldText} ${newText}`.includes('visible(')) {
      throw new Error(`policy-matrix: ${t.schema}.${t.table}: the policies' subqueries go round in a cycle; the rule cannot say who sees what`);
    }
    if (oldText !== 'true') cell.condition = oldText;
    if (newText !== 'true' && newText !== oldText) cell.newRow = newText;
    const columns = op === 'delete' ? t.columns : granted[op];
    if (columns.length < t.columns.length) {
      const missing = t.columns.filter((c) => !columns.includes(c));
      if (missing.length <= columns.length) cell.exceptColumns = missing;
      else cell.columns = columns;
    }
    return cell;
  }

  build(): TableMatrix[] {
    return this.tables.map((t) => {
      if (t.keys.length === 0) throw new Error(`policy-matrix: ${t.schema}.${t.table} has no primary key to name a row by`);
      const known = new Set<string>([...this.actors.flatMap((a) => (a.role ? [a.role] : [])), t.owner, 'public']);
      for (const p of t.policies) {
        for (const r of p.roles) {
          if (!known.has(r)) throw new Error(`policy-matrix: policy "${p.name}" on ${t.schema}.${t.table} is for role ${r}, which is no actor of the matrix`);
        }
      }
      const cells: TableMatrix['cells'] = {};
      for (const actor of this.actors) {
        cells[actor.label] = Object.fromEntries(OPERATIONS.map((op) => [op, this.cell(t, actor, op)])) as Record<Operation, Cell>;
      }
      return {
        actors: this.actors,
        schema: t.schema,
        table: t.table,
        rls: !t.rls ? 'off' : t.force ? 'enabled and forced' : 'enabled, not forced (the owner bypasses it)',
        policies: t.policies.map((p) => ({
          name: p.name,
          command: COMMANDS[p.cmd],
          roles: p.roles.map((r) => (r === t.owner ? 'owner role' : r)),
        })),
        cells,
      };
    });
  }
}

/** The matrix of every table of the app schemas, from the connected database's catalog. */
export async function policyMatrix(db: Pick<pg.ClientBase, 'query'>): Promise<TableMatrix[]> {
  const { tables, internalRoles } = await readCatalog(db);
  return new Matrix(tables, actorsOf(internalRoles)).build();
}

// ----- The document -----

export const POLICIES_FILE = 'docs/schema/policies.md';

const md = (s: string) => s.replaceAll('|', '\\|');

export function formatCell(cell: Cell): string {
  let text = cell.scope;
  if (cell.condition) text += ` if \`${cell.condition}\``;
  if (cell.newRow) text += `; new row: \`${cell.newRow}\``;
  if (cell.columns) text += `; columns: ${cell.columns.join(', ')}`;
  if (cell.exceptColumns) text += `; all columns but: ${cell.exceptColumns.join(', ')}`;
  return md(text);
}

/** Reads a cell back from its text (the test's side of formatCell). */
export function parseCell(text: string): Cell {
  const plain = text.trim().replaceAll('\\|', '|');
  if (plain.startsWith('no')) return { allowed: false, scope: plain };
  const m = /^(own rows|all rows)(?: if `(.*?)`)?(?:; new row: `(.*?)`)?(?:; columns: (.*?))?(?:; all columns but: (.*?))?$/.exec(plain);
  if (!m) throw new Error(`policy-matrix: unreadable cell "${text}"`);
  const cell: Cell = { allowed: true, scope: m[1]! };
  if (m[2]) cell.condition = m[2];
  if (m[3]) cell.newRow = m[3];
  if (m[4]) cell.columns = m[4].split(', ');
  if (m[5]) cell.exceptColumns = m[5].split(', ');
  return cell;
}

export function renderPolicies(matrix: TableMatrix[]): string {
  const actors = matrix[0]?.actors ?? actorsOf([]);
  const internal = actors.flatMap((a) => (a.role && a.role !== REQUEST_ROLE ? [a.role] : []));
  const out: string[] = [
    '<!-- Generated by `npm run db:gen` from the database catalog (src/db/policy-matrix.ts). Do not edit: change the migration and regenerate. -->',
    '',
    '# Row-level security: who may do what',
    '',
    'For every table, what each actor may do to **one row that belongs to a user (the "owner")**, or any row of a',
    'table without owners, derived from `pg_policy`, the table and column privileges and the RLS flags.',
    '`test/db/policy-matrix.test.ts` runs every cell against the database as that actor and fails when the behaviour',
    'differs from this page.',
    '',
    'Actors: **anonymous** (`app_request`, nobody signed in), **owner** (`app_request` acting as the row\'s user),',
    '**other user** (`app_request` acting as another active user), **admin** (`app_request` acting as an admin),',
    `${internal.map((r) => `**${r}**`).join(', ')} (the internal roles: only their SECURITY DEFINER functions run as them, inside a`,
    'request, so a condition may still ask who that request acts for) and the **owner role** (the deployment\'s',
    'owner of the tables: migrations and the functions it owns).',
    '',
    'Statements: `select ... where <key> = $row`, `insert` of the row\'s values, `update ... set <column> = <same value>',
    'where <key> = $row`, `delete ... where <key> = $row`, the key being the primary key, else the first unique constraint',
    '(by name) whose columns the actor may read. A cell reads:',
    '',
    '- `own rows`: allowed on the owner\'s rows because they are the owner\'s (refused on another user\'s);',
    '- `all rows`: allowed whoever the row belongs to;',
    '- `if <SQL>`: only when that condition, left over from the policies once who is acting is known, holds for the row;',
    '- `columns: ...` / `all columns but: ...`: the column privileges, when they do not cover the table;',
    '- `no (no ... grant)`: the role lacks the privilege (permission denied); `no (no policy)`: RLS applies and no policy',
    '  of the role allows the command; `no (policy)`: the policies refuse this actor.',
    '',
    'Only policies and privileges are on this page: a trigger may still refuse a write that it allows (status',
    'transitions, counters kept by the database, a user\'s own role and status). The full rule is written at the top of',
    '`src/db/policy-matrix.ts`.',
    '',
  ];
  let schema = '';
  for (const t of matrix) {
    if (t.schema !== schema) {
      schema = t.schema;
      out.push(`## ${schema}`, '');
    }
    out.push(`### ${t.schema}.${t.table}`, '', `RLS ${t.rls}.`, '');
    out.push(`| | ${actors.map((a) => a.label).join(' | ')} |`, `| --- |${actors.map(() => ' --- |').join('')}`);
    for (const op of OPERATIONS) {
      out.push(`| ${op} | ${actors.map((a) => formatCell(t.cells[a.label]![op])).join(' | ')} |`);
    }
    out.push('');
    if (t.policies.length) {
      out.push('Policies:', '');
      for (const p of t.policies) out.push(`- ${md(p.name)} (${p.command}, ${p.roles.join(', ')})`);
      out.push('');
    }
  }
  return out.join('\n');
}

/** The markdown of docs/schema/policies.md, from the connected database. */
export async function generatePoliciesDoc(db: Pick<pg.ClientBase, 'query'>): Promise<string> {
  return renderPolicies(await policyMatrix(db));
}

/** Reads the tables of the document back: `schema.table` -> actor label -> operation -> cell. */
export function parsePoliciesDoc(text: string): Map<string, Record<string, Record<Operation, Cell>>> {
  const tables = new Map<string, Record<string, Record<Operation, Cell>>>();
  let current: string | undefined;
  let labels: string[] = [];
  for (const line of text.split('\n')) {
    const heading = /^### (\S+)$/.exec(line);
    if (heading) {
      current = heading[1]!;
      tables.set(current, {});
      continue;
    }
    if (!current || !line.startsWith('|')) continue;
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
    if (cells[0] === '') {
      labels = cells.slice(1);
      continue;
    }
    const op = cells[0] as Operation;
    if (!OPERATIONS.includes(op)) continue;
    const row = tables.get(current)!;
    cells.slice(1).forEach((text, i) => {
      const label = labels[i]!;
      row[label] ??= {} as Record<Operation, Cell>;
      row[label][op] = parseCell(text);
    });
  }
  return tables;
}

/** db:gen's document writer (src/cli/gen.ts): docs/schema/policies.md. */
export async function policyDocuments(db: Pick<pg.ClientBase, 'query'>): Promise<Record<string, string>> {
  return { [path.basename(POLICIES_FILE)]: await generatePoliciesDoc(db) };
}
