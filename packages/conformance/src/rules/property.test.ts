/**
 * One source of truth, held by a property test: for generated answers of every plugin action
 * (valid ones and mutations: wrong types, missing keys, extra keys, bad formats, numbers for
 * strings, error answers), the verdict of `bx-provider-kit validate plugin/ACTION` and the
 * runner's verdict for that action agree in both directions, with the same problem text.
 */
import { expect } from 'chai';
import { readPluginStdout, validate, type RuleId } from '@bx-provider-kit/schemas';
import { Ledger } from '../ledger.js';
import { judgeConfigs } from './configs.js';
import { judgeHelp } from './help.js';
import { judgeTaskId } from './orders.js';
import { judgeStatus } from './status.js';
import { fakeCall, judgeCall, prng } from './testutil.js';

/** Rules the runner judges on one answer that no schema can say (across the items of a list). */
const NOT_SHAPE: ReadonlySet<RuleId> = new Set(['CFG-ID-UNIQUE']);

const PER_ACTION = 2500;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const SCALARS: Json[] = [null, true, false, 0, 1, -1, 7, 1.5, -2.5, 2 ** 53, '', ' ', 'x', '1', '0', '-1', '01', 'enabled', 'disabled', 'finished', 'in_progress', 'error', 'help'];
const BAD_STRINGS = ['', ' ', 'a b', 'a;b', '$(id)', '-rf', '.', '..', 'a/b', 'é', 'x'.repeat(65), 'x'.repeat(64), '\n', 'srv.123', '1.2.3', '999.1.1.1', '10.0.0.1', '::1', 'fe80::1', 'host-1.example.com', 'a..b', '-host.com', 'host-.com', 'h'.repeat(64) + '.com', 'example.com.', '1234'];
const KEYS = ['options', 'status', 'configurations', 'id', 'descr', 'task_id', 'server', 'server_password', 'message', 'error', 'error_message', 'extra', 'Status', ''];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomJson(r: () => number, depth = 0): Json {
  const k = r();
  if (depth > 2 || k < 0.6) return pick(r, SCALARS);
  if (k < 0.7) return pick(r, BAD_STRINGS);
  if (k < 0.85) return Array.from({ length: Math.floor(r() * 3) }, () => randomJson(r, depth + 1));
  const o: Record<string, Json> = {};
  for (let i = Math.floor(r() * 3); i > 0; i--) o[pick(r, KEYS)] = randomJson(r, depth + 1);
  return o;
}

const word = (r: () => number) => pick(r, ['1', '2', 'vps-1', 'a.b_c', '42', 'X9', 'task-7', 'cfg.small']);
const ACTIONS = ['help', 'init', 'configs', 'order', 'order_status', 'list', 'foo'];

/** A valid answer of each action (random within what the schema allows). */
const VALID: Record<string, (r: () => number) => Record<string, Json>> = {
  help: (r) => {
    const opts = ['help', 'configs', 'order', 'order_status', ...ACTIONS.filter(() => r() < 0.3)].sort(() => r() - 0.5);
    const v: Record<string, Json> = { options: opts };
    if (r() < 0.8) v.status = pick(r, ['enabled', 'enabled', 'maintenance']);
    return v;
  },
  configs: (r) => {
    const n = Math.floor(r() * 4);
    const v: Record<string, Json> = {
      configurations: Array.from({ length: n }, (_, i) => ({ id: r() < 0.2 ? i + 1 : `${word(r)}${i}`, descr: pick(r, ['VPS 1 CPU', '', 'Бизнес']) })),
    };
    if (r() < 0.7) v.status = 'enabled';
    return v;
  },
  order: (r) => ({ task_id: r() < 0.2 ? Math.floor(r() * 1000) : word(r) }),
  order_status: (r) => {
    const st = pick(r, ['in_progress', 'finished', 'error']);
    const v: Record<string, Json> = { status: st };
    if (r() < 0.9) v.task_id = '24';
    if (st === 'finished') {
      v.server = pick(r, ['203.0.113.5', '2001:db8::5', 'vps5.example.com', 'h1']);
      if (r() < 0.8) v.server_password = 'pw';
    }
    if (st === 'error' && r() < 0.7) v.message = 'out of stock';
    return v;
  },
};

const errorAnswer = (r: () => number): Record<string, Json> => {
  const v: Record<string, Json> = { error: pick(r, [1, 2, 255, '1', '12']) };
  if (r() < 0.9) v.error_message = pick(r, ['no such config', 'x']);
  return v;
};

/** Every path to a value inside `v` (object keys and array indexes). */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = [...at, Array.isArray(v) ? Number(k) : k];
      out.push(p, ...paths(x as Json, p));
    }
  }
  return out;
}

function setAt(root: Json, p: (string | number)[], f: (old: Json, parent: Record<string, Json> | Json[], key: string | number) => void): void {
  let n = root as Record<string, Json>;
  for (const k of p.slice(0, -1)) n = (n as Record<string, Json>)[k as string] as Record<string, Json>;
  const key = p[p.length - 1]!;
  f((n as Record<string, Json>)[key as string]!, n, key);
}

/** One mutation of a valid answer. */
function mutate(r: () => number, v0: Record<string, Json>): Record<string, Json> {
  const v = structuredClone(v0);
  const ps = paths(v);
  const m = Math.floor(r() * 6);
  if (m === 0 && ps.length) {
    // wrong type
    setAt(v, pick(r, ps), (_o, parent, key) => {
      (parent as Record<string, Json>)[key as string] = randomJson(r);
    });
  } else if (m === 1 && ps.length) {
    // missing key (or array item)
    setAt(v, pick(r, ps), (_o, parent, key) => {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key as string];
    });
  } else if (m === 2) {
    // extra key, at the top or in a nested object
    const objs = [[] as (string | number)[], ...ps].filter((p) => {
      let n: Json = v;
      for (const k of p) n = (n as Record<string, Json>)[k as string]!;
      return !!n && typeof n === 'object' && !Array.isArray(n);
    });
    const p = pick(r, objs);
    let n: Json = v;
    for (const k of p) n = (n as Record<string, Json>)[k as string]!;
    (n as Record<string, Json>)[pick(r, KEYS)] = randomJson(r);
  } else if (m === 3 && ps.length) {
    // bad format
    setAt(v, pick(r, ps), (_o, parent, key) => {
      (parent as Record<string, Json>)[key as string] = pick(r, BAD_STRINGS);
    });
  } else if (m === 4 && ps.length) {
    // a number for a string
    setAt(v, pick(r, ps), (o, parent, key) => {
      (parent as Record<string, Json>)[key as string] = typeof o === 'string' && /^-?\d+(\.\d+)?$/.test(o) ? Number(o) : pick(r, [0, 1, -3, 1.5, 42]);
    });
  } else {
    // the answer swapped for an error answer, or another action's answer
    return r() < 0.5 ? mutate(r, errorAnswer(r)) : VALID[pick(r, Object.keys(VALID))]!(r);
  }
  return r() < 0.3 ? mutate(r, v) : v;
}

/** The runner's verdict on one answer of `action`: the rules it failed (shape rules only) and their texts. */
function runnerVerdict(action: string, value: unknown): { failed: Set<string>; texts: string[] } {
  const L = new Ledger();
  const c = fakeCall(action, value, { exitCode: value && typeof value === 'object' && 'error' in value ? 1 : 0 });
  judgeCall(L, c);
  if (action === 'help') judgeHelp(L, c);
  if (action === 'configs') judgeConfigs(L, c);
  if (action === 'order') judgeTaskId(L, c, true);
  if (action === 'order_status') judgeStatus(L, c, '24');
  const failed = new Set<string>();
  const texts: string[] = [];
  for (const res of L.results(new Set(L.touched()), new Map())) {
    if (res.status !== 'failed' || NOT_SHAPE.has(res.id as RuleId)) continue;
    failed.add(res.id);
    for (const f of res.findings) if (f.severity === 'error') texts.push(f.message);
  }
  return { failed, texts };
}

describe('property: validate plugin/ACTION and the runner agree on every answer', function () {
  this.timeout(120_000);
  for (const action of Object.keys(VALID)) {
    it(`${action}: ${PER_ACTION} generated answers, valid and mutated`, () => {
      const r = prng(0x5eed + action.length * 7919);
      let valid = 0;
      let invalid = 0;
      for (let i = 0; i < PER_ACTION; i++) {
        const value = i % 5 === 0 ? VALID[action]!(r) : i % 11 === 0 ? errorAnswer(r) : mutate(r, VALID[action]!(r));
        // what `bx-provider-kit validate plugin/ACTION` reads: the same bytes the host would parse
        const parsed = readPluginStdout(Buffer.from(`${JSON.stringify(value)}\n`));
        if (!parsed.ok) throw new Error(`generator bug: ${parsed.message}`);
        const v = validate(`plugin/${action}`, parsed.value);
        const mine = runnerVerdict(action, value);
        const where = `${action} #${i}: ${JSON.stringify(value)}`;
        expect(mine.failed.size === 0, `${where}\nvalidate: ${JSON.stringify(v.problems.map((p) => p.message))}\nrunner failed: ${[...mine.failed].join(', ')}\n${mine.texts.join('\n')}`).to.equal(v.ok);
        for (const p of v.problems) {
          expect(mine.failed.has(p.rule), `${where}: validate's ${p.rule} is not failed by the runner`).to.equal(true);
          expect(mine.texts.some((t) => t.endsWith(p.message)), `${where}: the runner does not say "${p.message}"`).to.equal(true);
        }
        if (v.ok) valid++;
        else invalid++;
      }
      // both directions were exercised
      expect(valid, 'valid answers').to.be.above(PER_ACTION / 10);
      expect(invalid, 'invalid answers').to.be.above(PER_ACTION / 4);
    });
  }

  it('the three answers of issue 12 get the same verdict from validate and from the runner', () => {
    const cases: [string, unknown, RuleId][] = [
      ['configs', { configurations: [{ id: 1.5, descr: 'x' }], status: 5 }, 'CFG-SCHEMA'],
      ['order_status', { task_id: '24', status: 'finished', server: 'srv.123', server_password: 'pw' }, 'STAT-FINISHED'],
      ['order', { task_id: 1.5 }, 'ORD-TASK-ID'],
    ];
    for (const [action, value, rule] of cases) {
      const v = validate(`plugin/${action}`, value);
      expect(v.ok).to.equal(false);
      expect(v.problems.map((p) => p.rule)).to.include(rule);
      expect([...runnerVerdict(action, value).failed]).to.include(rule);
    }
  });
});
