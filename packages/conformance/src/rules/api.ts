/**
 * API-*: how a plugin answers when its API fails (issue 13). Pure judges of calls recorded
 * behind the fault proxy (faults.ts; probing in api-probes.ts): each probe says which fault the
 * proxy played, how many connections reached it, and the verdicts the ordinary OUT/ERR/RUN
 * judges gave the call in a scratch ledger (the fault calls are judged by API-* only).
 *
 * A probe no connection reached tells nothing about the API (the plugin ignores the proxy
 * variables, or that action talks to no API): it is not judged. When no configs, order or
 * order_status probe reached the proxy at all, every API-* rule is skipped with that reason,
 * never passed.
 */
import { RULES, type RuleId } from '@bx-provider-kit/schemas';
import type { Ledger } from '../ledger.js';
import { didNotRun, isErrorKind, success, type Call } from '../call.js';
import { oneLine, show } from '../text.js';
import { statusOf } from './conc.js';
import { skipAll } from './shape.js';

export const API_RULES: RuleId[] = RULES.filter((r) => r.area === 'api').map((r) => r.id);

export const NO_PROXY_REQUEST_REASON =
  'no request reached the fault proxy during any probe: the plugin ignores the proxy variables (http_proxy, https_proxy, all_proxy) or talks to no API (a sandbox backend), so how it copes with a failing API cannot be seen (see docs/rules.md, "When the API fails")';

export interface FaultCall {
  /** The fault the proxy played: refused, blackhole, slow, 503. */
  mode: string;
  call: Call;
  /** Connections that reached the proxy during the call. */
  connections: number;
  /** The OUT/ERR/RUN verdicts of the call (judged in a ledger of its own). */
  scratch: Ledger;
}

export interface Recovery {
  taskId: string;
  /** order_status polled through the proxy once it passes requests through again. */
  calls: Call[];
  connections: number;
  /** Targets the proxy would not forward (not loopback: no network). */
  refusedTargets: string[];
  budgetMs: number;
}

export interface ApiProbes {
  help: FaultCall[];
  configs: FaultCall[];
  order: FaultCall[];
  status: FaultCall[];
  /** The task the order_status probes ask about, and what it answered just before the faults. */
  taskId?: string;
  lastKnown?: Record<string, unknown>;
  recovery?: Recovery;
  /** Why there were no order probes (ordering not allowed, no configuration). */
  noOrderWhy?: string;
  /** Why there were no order_status probes. */
  noStatusWhy?: string;
}

const GENERIC_FAILS = ['OUT-EMPTY', 'OUT-JSON', 'OUT-BOM', 'OUT-OBJECT', 'OUT-UTF8', 'OUT-SIZE', 'ERR-TYPE', 'ERR-MESSAGE', 'ERR-SUCCESS-KEY', 'RUN-CRASH'] as const;
const REQUIRED = ['help', 'configs', 'order', 'order_status'];

const under = (p: FaultCall) => `${p.call.id} with the API ${p.mode === 'refused' ? 'refusing connections' : p.mode === 'blackhole' ? 'never answering' : p.mode === 'slow' ? 'answering too late' : 'answering 503'}`;

export function judgeApi(L: Ledger, p: ApiProbes, budgets: { slowMs: number }): void {
  const reached = (f: FaultCall) => f.connections > 0;
  const apiProbes = [...p.configs, ...p.order, ...p.status];
  if (!p.configs.some(reached) && !apiProbes.some(reached)) {
    skipAll(L, API_RULES, NO_PROXY_REQUEST_REASON);
    return;
  }
  // help is judged whether or not it calls the API (it should not); the others when they did.
  const judged = [...p.help, ...apiProbes.filter(reached)];
  for (const f of apiProbes.filter((x) => !reached(x))) {
    for (const id of ['API-TIME', 'API-OUTPUT'] as const) L.note(id, `${f.call.id} reached no API, not judged`);
  }
  judgeApiTime(L, judged, budgets.slowMs);
  judgeApiOutput(L, judged);
  judgeApiHelp(L, p.help);
  judgeApiConfigs(L, p.configs.filter(reached), p.configs.length);
  if (p.noOrderWhy) skipAll(L, ['API-ORDER', 'API-STATUS', 'API-RECOVERS'], p.noOrderWhy);
  else {
    judgeApiOrder(L, p.order.filter(reached), p.order.length);
    if (p.noStatusWhy) skipAll(L, ['API-STATUS', 'API-RECOVERS'], p.noStatusWhy);
    else {
      judgeApiStatus(L, p.status.filter(reached), p.status.length, p.lastKnown);
      judgeApiRecovers(L, p.recovery);
    }
  }
}

/** API-TIME: error past the hard budget (killed), warning past the soft one. */
export function judgeApiTime(L: Ledger, probes: FaultCall[], slowMs: number): void {
  for (const f of probes) {
    const c = f.call;
    if (c.res.timedOut) L.fail('API-TIME', `${under(f)}: still running after the ${c.rec.budgetMs} ms budget (killed); the host would wait as long as the plugin does`, { call: c.id });
    else if (c.res.durationMs > slowMs) L.warn('API-TIME', `${under(f)}: took ${c.rec.durationMs} ms (soft budget ${slowMs} ms): give API requests a shorter timeout`, { call: c.id });
    else L.ok('API-TIME', c.id);
  }
}

/** API-OUTPUT: what the ordinary judges found broken on a fault call, as one rule. */
export function judgeApiOutput(L: Ledger, probes: FaultCall[]): void {
  for (const f of probes) {
    const c = f.call;
    if (c.res.timedOut) continue; // API-TIME says it
    const broken = GENERIC_FAILS.filter((id) => f.scratch.status(id) === 'failed');
    if (broken.length) {
      const first = f.scratch.results(new Set(broken), new Map())[0]!;
      L.fail('API-OUTPUT', `${under(f)}: ${broken.join(', ')}: ${first.message}`, { call: c.id, excerpt: c.rec.stdoutExcerpt || c.rec.stderrExcerpt || undefined });
    } else L.ok('API-OUTPUT', c.id);
  }
}

/** API-HELP: help lists the four actions whatever the API does. */
export function judgeApiHelp(L: Ledger, probes: FaultCall[]): void {
  for (const f of probes) {
    const c = f.call;
    if (didNotRun(c)) {
      L.fail('API-HELP', `${under(f)}: help gave no answer (${c.why}): the host refuses every action`, { call: c.id });
      continue;
    }
    const s = success(c);
    if (!('value' in s)) {
      L.fail('API-HELP', `${under(f)}: ${s.why}: the host reads it as "supports nothing" and refuses every action`, { call: c.id, excerpt: c.rec.stdoutExcerpt || undefined });
      continue;
    }
    const opts = Array.isArray(s.value.options) ? s.value.options : [];
    const missing = REQUIRED.filter((o) => !opts.includes(o));
    if (missing.length) L.fail('API-HELP', `${under(f)}: help no longer lists ${missing.join(', ')}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    else L.ok('API-HELP', c.id);
  }
}

function noAnswer(L: Ledger, id: RuleId, f: FaultCall): boolean {
  if (f.call.answer && !didNotRun(f.call)) return false;
  // a skip reason shows only if no other probe of the rule was judged
  L.skip(id, `${f.call.id} gave no answer to judge (see API-TIME, API-OUTPUT)`);
  return true;
}

function notReached(L: Ledger, id: RuleId, action: string, n: number): void {
  L.skip(id, `no ${action} probe reached the fault proxy (of ${n}): ${action} ignores the proxy variables or calls no API`);
}

/** API-CONFIGS: an error answer, never a success (an empty list says "nothing to order"). */
export function judgeApiConfigs(L: Ledger, probes: FaultCall[], all: number): void {
  if (!probes.length) return notReached(L, 'API-CONFIGS', 'configs', all);
  for (const f of probes) {
    const c = f.call;
    if (noAnswer(L, 'API-CONFIGS', f)) continue;
    if (isErrorKind(c.answer)) L.ok('API-CONFIGS', c.id);
    else {
      const list = c.answer!.value.configurations;
      const what = Array.isArray(list) && !list.length ? 'success with an empty list' : `success (${Array.isArray(list) ? `${list.length} configurations` : 'no configurations'})`;
      L.fail('API-CONFIGS', `${under(f)}: configs answered ${what}: the web interface shows no error and nothing the API confirmed`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    }
  }
}

/** API-ORDER: an error answer, never a task id (the proxy forwarded nothing: no order was placed). */
export function judgeApiOrder(L: Ledger, probes: FaultCall[], all: number): void {
  if (!probes.length) return notReached(L, 'API-ORDER', 'order', all);
  for (const f of probes) {
    const c = f.call;
    if (noAnswer(L, 'API-ORDER', f)) continue;
    if (isErrorKind(c.answer)) L.ok('API-ORDER', c.id);
    else
      L.fail('API-ORDER', `${under(f)}: order answered task id ${show(c.answer!.value.task_id, 40)} for an order the API never received: that task never ends`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
  }
}

/** API-STATUS: an error or the last known in_progress; never finished without a server, never "error". */
export function judgeApiStatus(L: Ledger, probes: FaultCall[], all: number, lastKnown?: Record<string, unknown>): void {
  if (!probes.length) return notReached(L, 'API-STATUS', 'order_status', all);
  for (const f of probes) {
    const c = f.call;
    if (noAnswer(L, 'API-STATUS', f)) continue;
    if (isErrorKind(c.answer)) {
      L.ok('API-STATUS', c.id);
      continue;
    }
    const v = c.answer!.value;
    const st = statusOf(c);
    if (st === 'in_progress') L.ok('API-STATUS', c.id);
    else if (st === 'finished' && lastKnown?.status === 'finished' && typeof v.server === 'string' && v.server === lastKnown.server) L.ok('API-STATUS', c.id);
    else if (st === 'finished')
      L.fail('API-STATUS', `${under(f)}: order_status answered "finished"${typeof v.server === 'string' && v.server ? ` on ${show(v.server)}, a server the API never gave` : ' without a server'}: the order is lost`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    else if (st === 'error')
      L.fail('API-STATUS', `${under(f)}: order_status answered status "error" though the API never said the order failed (${oneLine(String(v.message ?? ''), 80)})`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    else L.fail('API-STATUS', `${under(f)}: order_status answered status ${show(st ?? v.status)}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
  }
}

/** API-RECOVERS: with the API back, the task polled through the faults ends. */
export function judgeApiRecovers(L: Ledger, r?: Recovery): void {
  if (!r) {
    L.skip('API-RECOVERS', 'the API was not restored (no task to follow)');
    return;
  }
  if (r.refusedTargets.length) {
    L.skip('API-RECOVERS', `the plugin's API is not on this machine (${r.refusedTargets.slice(0, 2).join(', ')}): the fault proxy forwards to loopback only (no network), so the API cannot be brought back; point api_url at a local mock (bx-provider-kit mock-api) to check`);
    return;
  }
  if (!r.connections) {
    L.skip('API-RECOVERS', 'no request reached the proxy once the API was back');
    return;
  }
  const last = r.calls[r.calls.length - 1];
  const st = last ? statusOf(last) : undefined;
  if (last && (st === 'finished' || st === 'error')) L.ok('API-RECOVERS', last.id);
  else {
    const why = last && isErrorKind(last.answer) ? `it answers an error: ${oneLine(String(last.answer!.value.error_message ?? ''), 100)}` : last?.why ?? `no final status within ${r.budgetMs} ms`;
    L.fail('API-RECOVERS', `task ${r.taskId} does not reach its end once the API is back (${why})`, { call: last?.id, excerpt: last?.rec.stdoutExcerpt || undefined });
  }
}
