/**
 * HOST-*: the answers of the emulated `bx-provider` (one per action of the round trip), judged
 * against the host schemas (validate(host/ACTION)) and against what the plugin answered
 * directly where the host passes it through. Pure: a host answer and its context in, verdicts out.
 */
import { validate, type RuleId } from '@bx-provider-kit/schemas';
import type { HostResult } from '@bx-provider-kit/host';
import type { Ledger } from '../ledger.js';
import { jsonEqual, oneLine, show } from '../text.js';

export const HOST_RULES = ['HOST-INSTALL', 'HOST-LIST', 'HOST-STATUS', 'HOST-CONFIGS', 'HOST-ORDER', 'HOST-ORDER-STATUS', 'HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'] as const satisfies readonly RuleId[];

/** One answer of the emulated host: what it printed, and the id of its record in `hostCalls`. */
export interface HostAnswer {
  r: Pick<HostResult, 'stdout' | 'stderr' | 'exitCode' | 'json'>;
  id: string;
}

/** What the host printed, for a finding. */
export function said(r: HostAnswer['r']): string {
  const out = r.stdout ? oneLine(r.stdout, 200) : '(nothing on stdout)';
  const err = r.stderr.trim() ? `; stderr: ${oneLine(r.stderr.trim().split('\n')[0] ?? '', 160)}` : '';
  return `exit ${r.exitCode}, ${out}${err}`;
}

export function hostExcerpt(r: HostAnswer['r']): string {
  return `stdout: ${oneLine(r.stdout || '(empty)', 240)}${r.stderr.trim() ? `\nstderr: ${oneLine(r.stderr.trim(), 240)}` : ''}`;
}

/** validate(host/ACTION): the first problems in words, or ''. */
export function schemaProblems(kind: string, json: unknown): string {
  const v = validate(kind, json);
  if (v.ok) return '';
  return v.problems.slice(0, 2).map((p) => p.message).join('; ');
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
export const dig = (v: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => obj(o)?.[k], v);
/** The ids of a configurations list (for a plugin whose descriptions change on every call). */
const ids = (list: unknown): unknown => (Array.isArray(list) ? list.map((x) => String(obj(x)?.id)) : list);

const fail = (L: Ledger, rule: RuleId, a: HostAnswer, message: string) => L.fail(rule, message, { call: a.id, excerpt: hostExcerpt(a.r) });

/** HOST-INSTALL (unless the archive install already failed) and HOST-STATUS; true when the host does not see the provider. */
export function judgeHostStatus(L: Ledger, a: HostAnswer, name: string, ctx: { help?: Record<string, unknown>; installFailed: boolean }): boolean {
  const { r, id } = a;
  const p = obj(dig(r.json, 'params', 'provider_options', name));
  const notExist = r.exitCode !== 0 && /not.?exists? on the host/.test(r.stdout);
  if (ctx.installFailed) {
    /* HOST-INSTALL already failed; the rest runs on the runner's own unpacked copy */
  } else if (notExist) fail(L, 'HOST-INSTALL', a, `after install the host says the provider does not exist: ${said(r)}`);
  else L.ok('HOST-INSTALL', id);
  const problems = r.exitCode === 0 ? schemaProblems('host/status', r.json) : '';
  if (r.exitCode !== 0 || !p) fail(L, 'HOST-STATUS', a, `\`-a status\` failed: ${said(r)}`);
  else if (problems) fail(L, 'HOST-STATUS', a, `\`-a status\` does not match the host schema: ${problems}`);
  else {
    const opts = obj(p.options) ?? {};
    const off = ['help', 'configs', 'order', 'order_status'].filter((o) => opts[o] !== 1);
    const hv = ctx.help;
    if (off.length) fail(L, 'HOST-STATUS', a, `the host shows ${off.join(', ')} as unsupported (options ${show(opts, 120)}): it will refuse those actions`);
    else if (p.status === 'disabled') fail(L, 'HOST-STATUS', a, 'the host shows the provider as "disabled": it refuses every action');
    else if (hv && hv.status !== undefined && p.status !== hv.status) fail(L, 'HOST-STATUS', a, `the host shows status ${show(p.status)}, help answered ${show(hv.status)}`);
    else L.ok('HOST-STATUS', id);
  }
  return notExist;
}

export function judgeHostList(L: Ledger, a: HostAnswer, name: string): void {
  const { r, id } = a;
  const problems = r.exitCode === 0 ? schemaProblems('host/list', r.json) : '';
  if (r.exitCode !== 0 || r.json === undefined) fail(L, 'HOST-LIST', a, `\`-a list\` failed: ${said(r)}`);
  else if (problems) fail(L, 'HOST-LIST', a, `\`-a list\` does not match the host schema: ${problems}`);
  else if (!dig(r.json, 'params', 'providers', name)) fail(L, 'HOST-LIST', a, `\`-a list\` does not show ${name}`);
  else L.ok('HOST-LIST', id);
}

/** `direct`: the configurations the plugin answered itself; `stable`: it answered the same twice (else only ids are compared). */
export function judgeHostConfigs(L: Ledger, a: HostAnswer, name: string, direct: unknown, stable: boolean): void {
  const { r, id } = a;
  const p = obj(dig(r.json, 'params', 'provider_configs', name));
  const problems = r.exitCode === 0 ? schemaProblems('host/configs', r.json) : '';
  if (r.exitCode !== 0 || !p) fail(L, 'HOST-CONFIGS', a, `\`-a configs\` failed: ${said(r)}`);
  else if (problems) fail(L, 'HOST-CONFIGS', a, `\`-a configs\` does not match the host schema: ${problems}`);
  else if (direct !== undefined && !jsonEqual(stable ? p.configurations : ids(p.configurations), stable ? direct : ids(direct)))
    fail(L, 'HOST-CONFIGS', a, `the host passes ${show(p.configurations, 100)} through, the plugin answered ${show(direct, 100)}`);
  else L.ok('HOST-CONFIGS', id);
}

/** The task id the host's order answer carries, or undefined. */
export function hostTaskId(a: HostAnswer, name: string): string | undefined {
  const tid = obj(dig(a.r.json, 'params', 'provider_order', name))?.task_id;
  return (typeof tid === 'string' || typeof tid === 'number') && tid !== '' ? String(tid) : undefined;
}

/** HOST-ORDER; `saved`: whether tasks/TASK_ID exists in the holder afterwards. */
export function judgeHostOrder(L: Ledger, a: HostAnswer, name: string, configId: string, saved: boolean): string | undefined {
  const { r, id } = a;
  const p = obj(dig(r.json, 'params', 'provider_order', name));
  const problems = r.exitCode === 0 ? schemaProblems('host/order', r.json) : '';
  const taskId = hostTaskId(a, name);
  if (r.exitCode !== 0 || !p) fail(L, 'HOST-ORDER', a, `\`-a order --config_id ${configId}\` failed: ${said(r)}`);
  else if (problems) fail(L, 'HOST-ORDER', a, `\`-a order\` does not match the host schema: ${problems}`);
  else if (taskId === undefined) fail(L, 'HOST-ORDER', a, `\`-a order\` returned no task id: ${said(r)}`);
  else {
    if (!saved) fail(L, 'HOST-ORDER', a, `the host did not save tasks/${taskId}`);
    else L.ok('HOST-ORDER', id);
    return taskId;
  }
  return undefined;
}

/** One HOST-ORDER-STATUS answer: the status it passes through, or `failed` (judged and broken). */
export function judgeHostOrderStatus(L: Ledger, a: HostAnswer, name: string, taskId: string, first: boolean): { status?: unknown; failed?: true } {
  const { r, id } = a;
  const p = obj(dig(r.json, 'params', 'provider_order', name));
  const problems = r.exitCode === 0 ? schemaProblems('host/order_status', r.json) : '';
  if (r.exitCode !== 0 || !p) {
    fail(L, 'HOST-ORDER-STATUS', a, `\`-a order_status --task_id ${taskId}\` failed: ${said(r)}`);
    return { failed: true };
  }
  if (problems) {
    fail(L, 'HOST-ORDER-STATUS', a, `\`-a order_status\` does not match the host schema: ${problems}`);
    return { failed: true };
  }
  if (first) L.ok('HOST-ORDER-STATUS', id);
  return { status: p.status };
}

export function judgeHostOrdersList(L: Ledger, a: HostAnswer, name: string, taskId: string): void {
  const { r, id } = a;
  const list = obj(dig(r.json, 'params', 'provider_order_list', name));
  const problems = r.exitCode === 0 ? schemaProblems('host/orders_list', r.json) : '';
  if (r.exitCode !== 0 || r.json === undefined) fail(L, 'HOST-ORDERS-LIST', a, `\`-a orders_list\` failed: ${said(r)}`);
  else if (problems) fail(L, 'HOST-ORDERS-LIST', a, `\`-a orders_list\` does not match the host schema: ${problems}`);
  else if (!list || !(taskId in list)) fail(L, 'HOST-ORDERS-LIST', a, `\`-a orders_list\` does not list task ${taskId}`);
  else {
    const e = obj(list[taskId]);
    if (e && e.error !== 0 && e.error !== undefined) fail(L, 'HOST-ORDERS-LIST', a, `task ${taskId} is listed with error ${show(e.error)}: ${show(e.message, 120)}`);
    else L.ok('HOST-ORDERS-LIST', id);
  }
}

/** HOST-ORDER-TO-HOST, given the final status the host's order_status reached (if any). */
export function judgeHostOrderToHost(L: Ledger, a: HostAnswer, final: string | undefined): void {
  const { r, id } = a;
  const problems = r.json !== undefined ? schemaProblems('host/order_to_host', r.json) : 'nothing on stdout';
  if (final === 'finished') {
    const msg = obj(r.json)?.message;
    if (r.exitCode !== 0) fail(L, 'HOST-ORDER-TO-HOST', a, `the task is finished, but \`-a order_to_host\` failed: ${said(r)}`);
    else if (problems) fail(L, 'HOST-ORDER-TO-HOST', a, `\`-a order_to_host\` does not match the host schema: ${problems}`);
    else if (typeof msg !== 'string' || !/added to the pool/.test(msg)) fail(L, 'HOST-ORDER-TO-HOST', a, `the task is finished, but the server was not added to the pool: ${said(r)}`);
    else L.ok('HOST-ORDER-TO-HOST', id);
  } else if (r.exitCode !== 0 || problems) {
    fail(L, 'HOST-ORDER-TO-HOST', a, `\`-a order_to_host\` on a ${final ?? 'unfinished'} task: ${problems || said(r)}`);
  } else {
    L.ok('HOST-ORDER-TO-HOST', id);
    if (final !== 'error') L.note('HOST-ORDER-TO-HOST', 'the task never finished, so only the pass-through answer was checked');
  }
}
