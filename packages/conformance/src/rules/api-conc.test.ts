/**
 * Table tests of the API-* and CONC-* judges (issue 13): recorded calls, no process, no proxy.
 * The corpus (conc-*, api-* cases) and the fault proxy's own tests are the end-to-end proof.
 */
import { expect } from 'chai';
import { Ledger } from '../ledger.js';
import { API_RULES, NO_PROXY_REQUEST_REASON, judgeApi, type ApiProbes, type FaultCall } from './api.js';
import { CONC_RULES, judgeConcEnds, judgeConcOrders, judgeConcRepeat, judgeConcStatus } from './conc.js';
import { fakeCall, judgeCall, verdicts, type FakeCall } from './testutil.js';

const HELP = { options: ['help', 'configs', 'order', 'order_status'], status: 'enabled' };
const ERR = { error: 1, error_message: 'the API is unreachable' };
const E1 = { exitCode: 1 };
/** A recorded call with its answer read (as the harness does for every call). */
const fc: typeof fakeCall = (action, stdout, o) => judgeCall(new Ledger(), fakeCall(action, stdout, o));

let n = 0;
function fault(action: string, stdout: unknown, o: FakeCall & { connections?: number; mode?: string } = {}): FaultCall {
  const scratch = new Ledger();
  const call = judgeCall(scratch, fakeCall(action, stdout, { id: `${action} #${++n}`, ...o }));
  return { mode: o.mode ?? 'refused', call, connections: o.connections ?? 1, scratch };
}

/** A probe set where everything is right; rows override one part. */
function good(): ApiProbes {
  return {
    help: [fault('help', HELP, { connections: 0 })],
    configs: [fault('configs', ERR, E1)],
    order: [fault('order', ERR, E1)],
    status: [fault('order_status', ERR, E1)],
    taskId: '24',
    lastKnown: { task_id: '24', status: 'in_progress' },
    recovery: {
      taskId: '24',
      calls: [fc('order_status', { task_id: '24', status: 'finished', server: '192.0.2.4', server_password: 'x' })],
      connections: 1,
      refusedTargets: [],
      budgetMs: 5000,
    },
  };
}

type ApiRow = [name: string, change: (p: ApiProbes) => void, want: Record<string, string>];

describe('rules: API faults (API-*)', () => {
  const rows: ApiRow[] = [
    ['all well', () => {}, Object.fromEntries(API_RULES.map((r) => [r, 'passed']))],
    ['no probe reached the proxy: all skipped, never passed', (p) => {
      for (const f of [...p.configs, ...p.order, ...p.status]) f.connections = 0;
    }, Object.fromEntries(API_RULES.map((r) => [r, 'skipped']))],
    ['help answers an error when the API is down', (p) => (p.help = [fault('help', ERR, E1)]), { 'API-HELP': 'failed', 'API-OUTPUT': 'passed' }],
    ['help without order_status', (p) => (p.help = [fault('help', { options: ['help', 'configs', 'order'] })]), { 'API-HELP': 'failed' }],
    ['configs: success with an empty list', (p) => (p.configs = [fault('configs', { configurations: [], status: 'enabled' })]), { 'API-CONFIGS': 'failed', 'API-ORDER': 'passed' }],
    ['configs: a probe that reached no API is not judged', (p) => p.configs.push(fault('configs', { configurations: [] }, { connections: 0 })), { 'API-CONFIGS': 'passed' }],
    ['order: a task id for an order never placed', (p) => (p.order = [fault('order', { task_id: 'queued-1' })]), { 'API-ORDER': 'failed' }],
    ['order_status: finished without a server', (p) => (p.status = [fault('order_status', { task_id: '24', status: 'finished' })]), { 'API-STATUS': 'failed' }],
    ['order_status: the last known in_progress', (p) => (p.status = [fault('order_status', { task_id: '24', status: 'in_progress' })]), { 'API-STATUS': 'passed' }],
    ['order_status: "error" the API never said', (p) => (p.status = [fault('order_status', { task_id: '24', status: 'error', message: 'API down' })]), { 'API-STATUS': 'failed' }],
    ['order_status: a finished task stays finished', (p) => {
      p.lastKnown = { task_id: '24', status: 'finished', server: '192.0.2.4' };
      p.status = [fault('order_status', { task_id: '24', status: 'finished', server: '192.0.2.4' })];
    }, { 'API-STATUS': 'passed' }],
    ['a black hole hangs the call', (p) => (p.configs = [fault('configs', '', { timedOut: true, durationMs: 10_000, mode: 'blackhole' })]), { 'API-TIME': 'failed', 'API-OUTPUT': 'passed', 'API-CONFIGS': 'skipped', 'API-ORDER': 'passed' }],
    ['over the soft budget', (p) => (p.configs = [fault('configs', ERR, { ...E1, durationMs: 2600 })]), { 'API-TIME': 'warned' }],
    ['HTML on stdout', (p) => (p.configs = [fault('configs', '<br />\n<b>Fatal error</b>: Uncaught Exception\n', { exitCode: 255 })]), { 'API-OUTPUT': 'failed' }],
    ['an error without error_message', (p) => (p.order = [fault('order', { error: 1, message: 'down' }, E1)]), { 'API-OUTPUT': 'failed', 'API-ORDER': 'passed' }],
    ['does not recover', (p) => (p.recovery!.calls = [fc('order_status', ERR, E1), fc('order_status', ERR, E1)]), { 'API-RECOVERS': 'failed' }],
    ['a remote API cannot be brought back', (p) => (p.recovery!.refusedTargets = ['api.example.com']), { 'API-RECOVERS': 'skipped' }],
    ['ordering not allowed', (p) => {
      p.order = [];
      p.status = [];
      p.noOrderWhy = 'ordering is not allowed';
    }, { 'API-CONFIGS': 'passed', 'API-ORDER': 'skipped', 'API-STATUS': 'skipped', 'API-RECOVERS': 'skipped' }],
  ];
  for (const [name, change, want] of rows) {
    it(name, () => {
      const p = good();
      change(p);
      const L = new Ledger();
      judgeApi(L, p, { slowMs: 2000 });
      expect(verdicts(L, Object.keys(want))).to.deep.equal(want);
    });
  }

  it('says why when no request reached the proxy', () => {
    const p = good();
    for (const f of [...p.configs, ...p.order, ...p.status]) f.connections = 0;
    const L = new Ledger();
    judgeApi(L, p, { slowMs: 2000 });
    for (const r of L.results(new Set(API_RULES), new Map())) expect(r.message).to.equal(NO_PROXY_REQUEST_REASON);
  });
});

const order = (id: unknown, i: number) => fc('order', id === undefined ? ERR : { task_id: id }, { id: `order #${i}`, ...(id === undefined ? E1 : {}) });
const status = (st: string, extra: Record<string, unknown> = {}, i = 0) => fc('order_status', { task_id: '24', status: st, ...extra }, { id: `order_status 24 #${i}` });
const FIN = { server: '192.0.2.4', server_password: 'x' };

describe('rules: concurrency (CONC-*)', () => {
  const cases: [string, (L: Ledger) => void, Record<string, string>][] = [
    ['four distinct ids', (L) => judgeConcOrders(L, ['a1', 'a2', 'a3', 'a4'].map(order)), { 'CONC-TASK-UNIQUE': 'passed' }],
    ['two orders share an id', (L) => judgeConcOrders(L, ['a1', 'a1', 'a3', 'a4'].map(order)), { 'CONC-TASK-UNIQUE': 'failed' }],
    ['shared even one after the other: ORD-TASK-UNIQUE says it', (L) => judgeConcOrders(L, ['a1', 'a1'].map(order), { sequentialReuse: true }), { 'CONC-TASK-UNIQUE': 'skipped' }],
    ['an order answers an error when placed with others', (L) => judgeConcOrders(L, ['a1', undefined].map(order)), { 'CONC-TASK-UNIQUE': 'failed' }],
    ['an unsafe id', (L) => judgeConcOrders(L, ['eu/1', 'eu/2'].map(order)), { 'CONC-TASK-UNIQUE': 'failed' }],
    ['statuses that only move forward', (L) => judgeConcStatus(L, '24', [[status('in_progress'), status('in_progress')], [status('in_progress'), status('finished', FIN)], [status('finished', FIN), status('finished', FIN)]]), { 'CONC-STATUS': 'passed' }],
    ['a torn read answers an error', (L) => judgeConcStatus(L, '24', [[status('in_progress'), fc('order_status', { error: 1, error_message: 'task damaged' }, E1)]]), { 'CONC-STATUS': 'failed' }],
    ['a torn read prints nothing', (L) => judgeConcStatus(L, '24', [[status('in_progress'), fc('order_status', '')]]), { 'CONC-STATUS': 'failed' }],
    ['back to in_progress after a finished round', (L) => judgeConcStatus(L, '24', [[status('finished', FIN)], [status('in_progress')]]), { 'CONC-STATUS': 'failed' }],
    ['every task ends', (L) => judgeConcEnds(L, [{ taskId: 'a1', calls: [status('in_progress'), status('finished', FIN)] }, { taskId: 'a2', calls: [status('error', { message: 'no' })] }], 5000), { 'CONC-REACHES-END': 'passed' }],
    ['a lost task', (L) => judgeConcEnds(L, [{ taskId: 'a1', calls: [status('finished', FIN)] }, { taskId: 'a2', calls: [fc('order_status', ERR, E1)] }], 5000), { 'CONC-REACHES-END': 'failed' }],
    ['the lifecycle already does not end', (L) => judgeConcEnds(L, [{ taskId: 'a1', calls: [status('in_progress')] }], 5000, { endWhy: 'LIFE-REACHES-END' }), { 'CONC-REACHES-END': 'skipped' }],
    ['help the same four times', (L) => judgeConcRepeat(L, fc('help', HELP), [1, 2, 3, 4].map(() => fc('help', HELP))), { 'CONC-REPEAT': 'passed' }],
    ['configs busy when called at once', (L) => judgeConcRepeat(L, fc('configs', { configurations: [] }), [fc('configs', { configurations: [] }), fc('configs', { error: 1, error_message: 'busy' }, E1)]), { 'CONC-REPEAT': 'failed' }],
    ['configs different when called at once', (L) => judgeConcRepeat(L, fc('configs', { configurations: [] }), [fc('configs', { configurations: [{ id: '1', descr: 'a' }] })]), { 'CONC-REPEAT': 'warned' }],
    ['flapping alone already (RUN-DETERMINISTIC)', (L) => judgeConcRepeat(L, fc('configs', { configurations: [] }), [fc('configs', { configurations: [{ id: '1', descr: 'a' }] })], { flapping: true }), { 'CONC-REPEAT': 'skipped' }],
  ];
  for (const [name, judge, want] of cases) {
    it(name, () => {
      const L = new Ledger();
      judge(L);
      expect(verdicts(L, Object.keys(want))).to.deep.equal(want);
    });
  }

  it('CONC_RULES and API_RULES are the catalogue areas', () => {
    expect(CONC_RULES).to.deep.equal(['CONC-TASK-UNIQUE', 'CONC-REACHES-END', 'CONC-STATUS', 'CONC-REPEAT']);
    expect(API_RULES).to.have.length(7);
  });
});
