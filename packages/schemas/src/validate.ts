import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { isRuleId, type RuleId } from './rules.js';
import { kindFile, listKinds, loadSchema, schemaHash } from './kinds.js';
import { AJV_OPTIONS, ANNOTATION_KEYWORDS } from './ajv-options.js';
import { KitError } from './errors.js';
import type { Problem } from './findings.js';

/** A document's verdict: its problems are the kit's one finding shape (findings.ts), each an error with its JSON Pointer. */
export interface ValidationResult {
  ok: boolean;
  problems: Problem[];
}

const require = createRequire(import.meta.url);

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function getAjv(): Ajv2020 {
  if (ajv) return ajv;
  // ajv is loaded on first use: importing the package (for KitError or the rule catalogue)
  // costs nothing, and a process that validates one kind compiles one schema.
  const Ajv = (require('ajv/dist/2020.js') as { default: typeof Ajv2020 }).default;
  const a = new Ajv({ ...AJV_OPTIONS });
  for (const k of ANNOTATION_KEYWORDS) a.addKeyword({ keyword: k });
  // Every schema is registered (not compiled) so that one kind may $ref another by its $id.
  for (const kind of listKinds()) {
    const doc = loadSchema(kind);
    a.addSchema(doc, typeof doc.$id === 'string' ? undefined : kind);
  }
  ajv = a;
  return a;
}

/**
 * Validators generated ahead of time (scripts/gen-types.mjs writes generated/validators.cjs with
 * ajv's standalone code): a process then never loads ajv's compiler. Each carries the sha256 of
 * the schema it was made from; a schema edited since is compiled at run time instead.
 */
interface Standalone {
  kinds: Record<string, { name: string; hash: string }>;
  [name: string]: unknown;
}
let standalone: Standalone | null | undefined;
let useStandalone = process.env.BXK_SCHEMAS_COMPILE !== '1';

/**
 * Use the validators generated ahead of time (the default) or compile every schema with ajv
 * (tests compare the two; BXK_SCHEMAS_COMPILE=1 does the same for a whole process).
 */
export function setAheadOfTime(enabled: boolean): void {
  useStandalone = enabled;
  compiled.clear();
}

function aheadOfTime(kind: string): ValidateFunction | undefined {
  if (!useStandalone) return undefined;
  if (standalone === undefined) {
    try {
      standalone = require('../generated/validators.cjs') as Standalone;
    } catch {
      standalone = null;
    }
  }
  const entry = standalone?.kinds?.[kind];
  if (!entry || entry.hash !== schemaHash(kind)) return undefined;
  const fn = standalone![entry.name];
  return typeof fn === 'function' ? (fn as ValidateFunction) : undefined;
}

/** Where a kind's validator comes from: `standalone` (generated ahead of time) or `compiled`. */
export function validatorSource(kind: string): 'standalone' | 'compiled' {
  loadSchema(kind);
  return aheadOfTime(kind) ? 'standalone' : 'compiled';
}

function validatorFor(kind: string, compileOnly = false): ValidateFunction {
  let v = compiled.get(kind);
  if (!v) {
    const doc = loadSchema(kind); // KitError for an unknown kind
    v = compileOnly ? undefined : aheadOfTime(kind);
    if (!v) {
      try {
        v = getAjv().getSchema(typeof doc.$id === 'string' ? doc.$id : kind);
      } catch (e) {
        // a broken schema is a bug of the kit, not of the document: say which file
        throw new Error(`the schema of ${kind} (${kindFile(kind)}) does not compile: ${(e as Error).message}`);
      }
      if (!v) throw new Error(`the schema of ${kind} did not compile`);
    }
    compiled.set(kind, v);
  }
  return v;
}

/**
 * Checks every schema against the JSON Schema 2020-12 meta-schema (skipped at run time for
 * start-up speed); returns one line per problem, empty when all are sound.
 */
export function checkSchemas(): string[] {
  const Ajv = (require('ajv/dist/2020.js') as { default: typeof Ajv2020 }).default;
  const meta = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
  for (const k of ANNOTATION_KEYWORDS) meta.addKeyword({ keyword: k });
  const out: string[] = [];
  for (const kind of listKinds()) {
    if (!meta.validateSchema(loadSchema(kind))) {
      for (const e of meta.errors ?? []) out.push(`${kind}: ${e.instancePath || '/'} ${e.message ?? e.keyword}`);
    }
  }
  return out;
}

/** Compiles every kind now (start-up measurements, and the test that every schema compiles). */
export function compileAll(): string[] {
  const kinds = listKinds();
  for (const k of kinds) validatorFor(k, true);
  return kinds;
}

// ---------------------------------------------------------------------------------------------
// Rule ids: a schema node says which rule its constraints encode with `"x-rule": "ID"` or, when
// its keywords encode different rules, `"x-rule": {"type": "ID", "default": "ID"}`. Nodes
// without one inherit the nearest ancestor's. Kinds without any x-rule report `SCHEMA`.

type RuleAnn = string | Record<string, string>;

function ownRule(node: unknown, keyword?: string): RuleId | undefined {
  const ann = (node as { 'x-rule'?: RuleAnn } | undefined)?.['x-rule'];
  const id = typeof ann === 'string' ? ann : ann && typeof ann === 'object' ? (keyword && ann[keyword]) || ann.default : undefined;
  // schemas.test.ts holds every x-rule to the catalogue; an unknown one is no rule of ours
  return id !== undefined && isRuleId(id) ? id : undefined;
}

/** The schema nodes from the root of `doc` down to the node holding the failing keyword. */
function nodesAlong(doc: unknown, schemaPath: string): unknown[] {
  if (!schemaPath.startsWith('#')) return [doc]; // a $ref into another document
  const segs = schemaPath
    .slice(1)
    .split('/')
    .filter(Boolean)
    .map((x) => decodeURIComponent(x).replace(/~1/g, '/').replace(/~0/g, '~'));
  const nodes: unknown[] = [doc];
  let n: unknown = doc;
  for (const seg of segs.slice(0, -1)) {
    n = n && typeof n === 'object' ? (n as Record<string, unknown>)[seg] : undefined;
    if (!n || typeof n !== 'object') break;
    nodes.push(n);
  }
  return nodes;
}

/**
 * The rule a failing keyword encodes: the failing node's own `x-rule` (per keyword when it is a
 * map), else the nearest ancestor's, else the kind's root; `SCHEMA` when the kind has none.
 * Found through the error's schemaPath, so it works for validators generated ahead of time.
 */
function ruleOf(e: ErrorObject, doc: unknown): Problem['rule'] {
  const ps = e.parentSchema as Record<string, unknown> | undefined;
  if (e.keyword === 'required' && ps && typeof ps.properties === 'object' && ps.properties) {
    const prop = (ps.properties as Record<string, unknown>)[String((e.params as { missingProperty?: string }).missingProperty)];
    const r = prop ? ownRule(prop, 'required') : undefined;
    if (r) return r;
  }
  const own = ownRule(ps, e.keyword);
  if (own) return own;
  const chain = nodesAlong(doc, e.schemaPath);
  for (let i = chain.length - 1; i >= 0; i--) {
    const r = ownRule(chain[i]);
    if (r) return r;
  }
  return 'SCHEMA';
}

// ---------------------------------------------------------------------------------------------
// Messages: one sentence per keyword, then what the host does (per rule), then the rule id.

const WHY: Record<string, string> = {
  'OUT-OBJECT': 'the host dies with "Not a HASH reference" on anything but a JSON object',
  'ERR-SUCCESS-KEY': 'any "error" key makes the host drop the data of a success answer (with 0 it then dies); leave the key out',
  'ERR-TYPE': 'the host takes only a positive integer as an error code: 0 counts as a success without data and dies, true or a string that is not digits dies on its integer type check',
  'ERR-MESSAGE': 'the host reads only "error_message" to tell the caller what failed',
  'HELP-SCHEMA': 'the host needs "options" as an array of action names; anything else makes it die and takes "list" down for every provider',
  'HELP-REQUIRED': 'the host refuses every action whose name "options" does not list',
  'HELP-STATUS': 'the host copies "status" as the provider\'s status',
  'CFG-SCHEMA': 'the web interface reads configurations[].id and .descr (and the host dies when the array is missing)',
  'CFG-ID-SAFE': 'the host passes the id to "bin/NAME order ID" through a shell, unquoted',
  'ORD-TASK-ID': 'the host then answers "doesn\'t return task_id", after the plugin already placed the order',
  'ORD-TASK-SAFE': 'the host saves each task as a file named after its id and passes the id to a shell unquoted',
  'STAT-SCHEMA': 'a missing status gives "doesn\'t return status" and any other value leaves the order in progress forever',
  'STAT-FINISHED': 'order_to_host adds "server" to the pool and connects to it as root',
};
for (const id of ['HOST-LIST', 'HOST-STATUS', 'HOST-CONFIGS', 'HOST-ORDER', 'HOST-ORDER-STATUS', 'HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST', 'HOST-INSTALL']) {
  WHY[id] = 'the real bx-provider does not answer so, and the web interface reads this answer';
}

const SAFE_CHAR = /[A-Za-z0-9._-]/;

function show(v: unknown, max = 40): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a fractional number';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  return typeof v;
}

const TYPE_WORDS: Record<string, string> = {
  array: 'an array', object: 'an object', string: 'a string', integer: 'a whole number',
  number: 'a number', boolean: 'true or false', null: 'null',
};

function orList(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

/** Why a string is not a safe shell word / file name (CFG-ID-SAFE, ORD-TASK-SAFE). */
function unsafeWord(s: string): string {
  if (s === '') return 'is empty';
  if (s.startsWith('-')) return `${show(s)} starts with "-" (the plugin would read it as an option)`;
  for (const ch of s) {
    if (SAFE_CHAR.test(ch)) continue;
    if (ch === ' ') return `${show(s)} has a space`;
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f) return `${show(s)} has a control character (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
    return `${show(s)} has a ${JSON.stringify(ch)} (only A-Z a-z 0-9 . _ - are safe)`;
  }
  return `${show(s)} is not a safe word`;
}

function detail(e: ErrorObject, rule: string): string {
  const p = e.params as Record<string, unknown>;
  const ps = (e.parentSchema ?? {}) as Record<string, unknown>;
  const data = e.data;
  const expect = typeof ps['x-expect'] === 'string' ? (ps['x-expect'] as string) : undefined;
  switch (e.keyword) {
    case 'type': {
      const want = expect ? [expect] : ([] as string[]).concat(p.type as string | string[]).map((t) => TYPE_WORDS[t] ?? t);
      if (e.instancePath === '') return `the document is ${typeName(data)}, not ${orList(want)}`;
      if (typeof data === 'boolean' || data === null) return `${show(data)} is not ${orList(want)}`;
      return `${show(data)} is ${typeName(data)}, not ${orList(want)}`;
    }
    case 'required': {
      if (rule === 'ERR-MESSAGE' && data && typeof data === 'object' && 'message' in data) {
        return 'is missing ("message" is there, but it does not count)';
      }
      return 'is missing';
    }
    case 'minLength':
      return p.limit === 1 ? 'is empty' : `${show(data)} is shorter than ${String(p.limit)} characters`;
    case 'maxLength':
      return `${show(data)} is ${[...String(data)].length} characters long, more than ${String(p.limit)}`;
    case 'pattern':
      if (rule === 'CFG-ID-SAFE' || rule === 'ORD-TASK-SAFE') return unsafeWord(String(data));
      if (rule === 'ERR-MESSAGE') return 'is only whitespace';
      if (expect) return `${show(data)} is not ${expect}`;
      return `${show(data)} does not have the expected form`;
    case 'not':
    case 'false schema':
      if (e.keyword === 'not' && ps.not && typeof ps.not === 'object' && 'const' in (ps.not as object)) return `is ${show(data)}`;
      if (rule === 'ERR-SUCCESS-KEY') return `is present (${show(data)}) in a success answer`;
      if (rule === 'ORD-TASK-SAFE') return `${show(data)} names a folder, not a file`;
      if (e.keyword === 'false schema') return `${show(data)} is not allowed here`;
      return `${show(data)} has a form that is not allowed here`;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]) ?? [];
      return `${show(data)} is not ${orList(allowed.map((a) => JSON.stringify(a)))}`;
    }
    case 'const':
      return `${show(data)} is not ${JSON.stringify(p.allowedValue)}`;
    case 'minimum':
    case 'exclusiveMinimum':
      if (rule === 'ERR-TYPE') return `${show(data)} is not a positive integer`;
      if (rule === 'CFG-ID-SAFE' || rule === 'ORD-TASK-SAFE') return `${show(data)} is negative (it reaches the shell starting with "-")`;
      return `${show(data)} is ${e.keyword === 'minimum' ? 'less than' : 'not more than'} ${String(p.limit)}`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `${show(data)} is ${e.keyword === 'maximum' ? 'more than' : 'not less than'} ${String(p.limit)}`;
    case 'multipleOf':
      return `${show(data)} is not a multiple of ${String(p.multipleOf)}`;
    case 'contains': {
      const c = (ps.contains as Record<string, unknown> | undefined)?.const;
      if (c !== undefined) return `does not list ${JSON.stringify(c)}`;
      return 'has no item of the expected form';
    }
    case 'minItems':
      return p.limit === 1 ? 'is empty' : `has ${(data as unknown[]).length} items, fewer than ${String(p.limit)}`;
    case 'maxItems':
      return `has ${(data as unknown[]).length} items, more than ${String(p.limit)}`;
    case 'uniqueItems':
      return `items ${String(p.j)} and ${String(p.i)} are the same`;
    case 'minProperties':
      return p.limit === 1 ? 'is empty' : `has fewer than ${String(p.limit)} keys`;
    case 'maxProperties':
      return `has more than ${String(p.limit)} keys`;
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not a known key here (check its spelling)';
    case 'dependentRequired':
    case 'dependencies':
      return `is missing (required with ${JSON.stringify(p.property)})`;
    case 'propertyNames':
      return `key ${show(p.propertyName)} does not have the expected form`;
    case 'format':
      return `${show(data)} is not a valid ${String(p.format)}`;
    case 'anyOf':
    case 'oneOf':
      if (e.keyword === 'oneOf' && Array.isArray(p.passingSchemas)) return `${show(data)} fits more than one of the allowed forms`;
      return `${show(data)} fits none of the allowed forms${expect ? ` (expected ${expect})` : ''}`;
    default:
      return `${show(data)} does not satisfy the schema's "${e.keyword}" constraint`;
  }
}

function escapeKey(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

function problemPath(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required' || e.keyword === 'dependentRequired' || e.keyword === 'dependencies') {
    return `${e.instancePath}/${escapeKey(String(p.missingProperty))}`;
  }
  if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
    const k = p.additionalProperty ?? p.unevaluatedProperty;
    return `${e.instancePath}/${escapeKey(String(k))}`;
  }
  if (e.keyword === 'propertyNames' && typeof p.propertyName === 'string') return `${e.instancePath}/${escapeKey(p.propertyName)}`;
  return e.instancePath;
}

/** The schema node a schemaPath points at (inside `doc`), or undefined. */
function nodeAt(doc: unknown, schemaPath: string): unknown {
  if (!schemaPath.startsWith('#')) return undefined;
  let n: unknown = doc;
  for (const seg of schemaPath.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(seg).replace(/~1/g, '/').replace(/~0/g, '~');
    n = n && typeof n === 'object' ? (n as Record<string, unknown>)[key] : undefined;
  }
  return n;
}

/**
 * Drops ajv's bookkeeping errors and reduces anyOf/oneOf to the branch that came closest: the
 * one the value has the type of, with the fewest problems, the deepest into the value.
 */
function reduce(errors: ErrorObject[], doc: unknown): ErrorObject[] {
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue; // "must match then schema": the then/else error says why
    if (/\/contains\/./.test(e.schemaPath)) continue; // items tried by `contains`: its own error says it
    const passing = (e.params as { passingSchemas?: unknown }).passingSchemas;
    if ((e.keyword === 'anyOf' || e.keyword === 'oneOf') && !Array.isArray(passing)) {
      const alternatives = nodeAt(doc, e.schemaPath);
      const prefixes: string[][] = Array.isArray(alternatives)
        ? alternatives.map((alt, i) => {
            const ps = [`${e.schemaPath}/${i}/`];
            const ref = (alt as { $ref?: unknown } | null)?.$ref;
            if (typeof ref === 'string' && ref.startsWith('#')) ps.push(`${ref}/`); // a local $ref branch
            return ps;
          })
        : [];
      const byBranch = prefixes
        .map((ps) => out.filter((x) => x.instancePath.startsWith(e.instancePath) && ps.some((p) => x.schemaPath.startsWith(p))))
        .filter((b) => b.length > 0);
      if (byBranch.length) {
        const typeOnly = (b: ErrorObject[]) => (b.every((x) => x.keyword === 'type' && x.instancePath === e.instancePath) ? 1 : 0);
        const depth = (b: ErrorObject[]) => Math.max(...b.map((x) => x.instancePath.length));
        const best = [...byBranch].sort((a, b) => typeOnly(a) - typeOnly(b) || a.length - b.length || depth(b) - depth(a))[0]!;
        if (typeOnly(best)) {
          // the value has none of the types the alternatives allow: say so once
          const types = [...new Set(byBranch.flat().filter((x) => x.keyword === 'type').flatMap((x) => ([] as string[]).concat((x.params as { type: string | string[] }).type)))];
          for (const b of byBranch) for (const x of b) out.splice(out.indexOf(x), 1);
          out.push({ ...best[0]!, params: { type: types } });
          continue;
        }
        for (const b of byBranch) for (const x of b) if (!best.includes(x)) out.splice(out.indexOf(x), 1);
        continue;
      }
    }
    out.push(e);
  }
  return out;
}

function toProblems(errors: ErrorObject[], doc: Record<string, unknown>): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  const reduced = reduce(errors, doc);
  // "" fails minLength and the pattern alike: "is empty" once is enough
  const empty = new Set(reduced.filter((e) => e.keyword === 'minLength' && e.data === '').map((e) => e.instancePath));
  for (const e of reduced) {
    if (e.keyword === 'pattern' && e.data === '' && empty.has(e.instancePath)) continue;
    const rule = ruleOf(e, doc);
    const path = problemPath(e);
    const ownWhy = (e.parentSchema as { 'x-why'?: unknown } | undefined)?.['x-why'];
    const why = typeof ownWhy === 'string' ? ownWhy : WHY[rule];
    const message = `${path || '/'}: ${detail(e, rule)}${why ? `: ${why}` : ''} (${rule})`;
    if (seen.has(message)) continue;
    seen.add(message);
    problems.push({ rule, severity: 'error', path, message });
  }
  return problems;
}

/** JSON::PP's max_depth, which the host dies on (readPluginStdout applies it to plugin answers). */
export const MAX_DOCUMENT_DEPTH = 512;

/** True when arrays and objects nest more than `max` deep in `value` (iterative: no recursion). */
export function depthOver(value: unknown, max: number): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 1 }];
  while (stack.length) {
    const { v, d } = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const x of Object.values(v)) if (x && typeof x === 'object') stack.push({ v: x, d: d + 1 });
  }
  return false;
}

/**
 * An `error` value the host takes as an error code (ERR-TYPE): a positive integer, or a string
 * of digits, which the host's Moose `Int` check also accepts (`"1"`: works, but not the
 * documented form).
 */
export function isErrorCode(v: unknown): boolean {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 1) || (typeof v === 'string' && ERROR_CODE_STRING.test(v));
}

/** A positive integer written as a string (the second form plugin/error.schema.json allows). */
export const ERROR_CODE_STRING = /^[1-9][0-9]*$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * True when a document is meant as an error answer: it has an `error` key and either an error
 * text or none of the keys a success answer of this action requires. `{"error": 0, "task_id": "5"}`
 * is a success answer with a stray error key (ERR-SUCCESS-KEY); `{"error": 1, "message": "x"}`
 * an error answer without error_message (ERR-MESSAGE).
 */
export function isErrorAnswer(value: unknown, successRequired: readonly string[] = []): boolean {
  if (!isPlainObject(value) || !('error' in value)) return false;
  if ('error_message' in value || 'message' in value) return true;
  return !successRequired.some((k) => k in value);
}

/**
 * Validates a document against the schema of `kind` (`plugin/help`, `host/orders_list`,
 * `conformance`, ...). Plugin answers of configs/order/order_status may also be error answers
 * (`x-error-answer` in their schema): those are checked against plugin/error; an error answer
 * to `help` is itself a problem (HELP-ERROR). Unknown kind: KitError listing the kinds.
 */
export function validate(kind: string, value: unknown): ValidationResult {
  const doc = loadSchema(kind);
  if (depthOver(value, MAX_DOCUMENT_DEPTH)) {
    // ajv recurses once per level: a document 100,000 deep would overflow the stack
    throw new KitError(`the ${kind} document nests arrays and objects more than ${MAX_DOCUMENT_DEPTH} deep: no ${kind} needs that; fix the document`);
  }
  const errorAnswer = doc['x-error-answer'];
  if (typeof errorAnswer === 'string' && isErrorAnswer(value, (doc.required as string[] | undefined) ?? [])) {
    if (isRuleId(errorAnswer)) {
      const inner = validate('plugin/error', value);
      const code = (value as Record<string, unknown>).error;
      // only a positive integer takes the host's error path; 0 or true is ERR-TYPE alone
      if (!isErrorCode(code)) return inner;
      const text = (value as Record<string, unknown>).error_message;
      const problem: Problem = {
        rule: errorAnswer,
        severity: 'error',
        path: '',
        message: `/: ${kind.replace(/^plugin\//, '')} answered with an error${typeof text === 'string' && text ? ` (${show(text)})` : ''}: the host swallows it, shows the provider as "exists" and refuses every action with "doesn't support ... option" (${errorAnswer})`,
      };
      return { ok: false, problems: [problem, ...inner.problems] };
    }
    return validate(errorAnswer, value);
  }
  const v = validatorFor(kind);
  if (v(value)) return { ok: true, problems: [] };
  return { ok: false, problems: toProblems(v.errors ?? [], doc) };
}
