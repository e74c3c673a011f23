/**
 * Table tests of the judges, one table per rule area (a row per case, as helm's rule tests do):
 * each builds recorded calls without running a process, so the whole file runs in milliseconds.
 * The corpus (conformance/plugins, corpus.test.ts) stays the end-to-end proof.
 */
import { expect } from 'chai';
import { getSchema, type RuleId } from '@bx-provider-kit/schemas';
import { Ledger } from '../ledger.js';
import { CFG_RULES, judgeConfigs } from './configs.js';
import { judgeBadArgs } from './errors.js';
import { HELP_RULES, judgeHelp } from './help.js';
import { judgeOrderSpeed, judgeTaskId, judgeTaskUnique } from './orders.js';
import { ARCHIVE_RULES, PACKAGE_RULES, judgeArchive, judgePackage } from './package.js';
import { judgeCwd, judgeDeterministic, judgeStdin } from './running.js';
import { judgeHostConfigs, judgeHostList, judgeHostOrder, judgeHostOrderStatus, judgeHostOrderToHost, judgeHostOrdersList, judgeHostStatus, type HostAnswer } from './host.js';
import { judgeStatus, judgeStaysPut, summarize } from './status.js';
import { fakeCall, judgeCall, verdicts, type FakeCall } from './testutil.js';

type Row = [name: string, stdout: unknown, want: Record<string, string>, opts?: FakeCall];

const GOOD_HELP = { options: ['help', 'configs', 'order', 'order_status'], status: 'enabled' };

function table(area: string, action: string, rows: Row[], judge: (L: Ledger, c: ReturnType<typeof fakeCall>) => void = () => {}): void {
  describe(`rules: ${area}`, () => {
    for (const [name, stdout, want, opts] of rows) {
      it(name, () => {
        const L = new Ledger();
        const c = judgeCall(L, fakeCall(action, stdout, opts));
        judge(L, c);
        expect(verdicts(L, Object.keys(want))).to.deep.equal(want);
      });
    }
  });
}

table('output (OUT-*)', 'help', [
  ['one object and a newline', GOOD_HELP, { 'OUT-JSON': 'passed', 'OUT-NEWLINE': 'passed', 'OUT-OBJECT': 'passed', 'OUT-STDERR': 'passed' }],
  ['nothing on stdout', '', { 'OUT-EMPTY': 'failed', 'OUT-JSON': 'skipped' }],
  ['a log line before the document', 'starting\n{"options":[]}\n', { 'OUT-JSON': 'failed' }],
  ['two documents', '{}\n{}\n', { 'OUT-JSON': 'failed' }],
  ['a BOM', Buffer.from('\ufeff{"options":[]}\n'), { 'OUT-BOM': 'failed' }],
  ['an array', '[1]\n', { 'OUT-OBJECT': 'failed' }],
  ['Latin-1 bytes', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d, 0x0a]), { 'OUT-UTF8': 'failed' }],
  ['no newline', JSON.stringify(GOOD_HELP), { 'OUT-NEWLINE': 'warned' }],
  ['stderr on success', GOOD_HELP, { 'OUT-STDERR': 'warned' }, { stderr: 'debug\n' }],
]);

table('errors (ERR-*)', 'configs', [
  ['an error answer', { error: 1, error_message: 'no' }, { 'ERR-TYPE': 'passed', 'ERR-MESSAGE': 'passed', 'ERR-EXIT': 'passed' }, { exitCode: 1 }],
  ['"error": "1" works on the host: a warning', { error: '1', error_message: 'no' }, { 'ERR-TYPE': 'warned', 'ERR-MESSAGE': 'passed' }, { exitCode: 1 }],
  ['"error": true', { error: true, error_message: 'no' }, { 'ERR-TYPE': 'failed' }, { exitCode: 1 }],
  ['"error": 0 with a text', { error: 0, error_message: 'no' }, { 'ERR-TYPE': 'failed' }, { exitCode: 1 }],
  ['"message" instead of "error_message"', { error: 2, message: 'no' }, { 'ERR-TYPE': 'passed', 'ERR-MESSAGE': 'failed' }, { exitCode: 2 }],
  ['exit 0 on an error', { error: 1, error_message: 'no' }, { 'ERR-EXIT': 'warned' }],
  ['a success with "error": 0', { configurations: [], error: 0 }, { 'ERR-SUCCESS-KEY': 'failed' }],
  ['exit 1 on a success', { configurations: [] }, { 'ERR-SUCCESS-KEY': 'passed', 'ERR-EXIT': 'warned' }, { exitCode: 1 }],
]);

table('help (HELP-*)', 'help', [
  ['the four actions, enabled', GOOD_HELP, { 'HELP-SCHEMA': 'passed', 'HELP-REQUIRED': 'passed', 'HELP-UNKNOWN': 'passed', 'HELP-STATUS': 'passed', 'HELP-ERROR': 'passed' }],
  ['options a string', { options: 'help configs', status: 'enabled' }, { 'HELP-SCHEMA': 'failed', 'HELP-REQUIRED': 'skipped', 'HELP-UNKNOWN': 'skipped' }],
  ['a number among the options', { options: ['help', 'configs', 'order', 'order_status', 5] }, { 'HELP-SCHEMA': 'failed', 'HELP-REQUIRED': 'passed' }],
  ['order_status missing', { options: ['help', 'configs', 'order'], status: 'enabled' }, { 'HELP-REQUIRED': 'failed' }],
  ['an unknown action', { options: [...GOOD_HELP.options, 'reboot'], status: 'enabled' }, { 'HELP-UNKNOWN': 'warned' }],
  ['disabled', { ...GOOD_HELP, status: 'disabled' }, { 'HELP-STATUS': 'failed' }],
  ['no status', { options: GOOD_HELP.options }, { 'HELP-STATUS': 'warned' }],
  ['another status', { ...GOOD_HELP, status: 'maintenance' }, { 'HELP-STATUS': 'warned' }],
  ['a number as status', { ...GOOD_HELP, status: 1 }, { 'HELP-STATUS': 'failed' }],
  ['an error answer', { error: 1, error_message: 'down' }, { 'HELP-ERROR': 'failed', 'HELP-SCHEMA': 'skipped' }, { exitCode: 1 }],
  ['no answer', '', Object.fromEntries(HELP_RULES.map((r) => [r, 'skipped']))],
], (L, c) => judgeHelp(L, c));

table('configs (CFG-*)', 'configs', [
  ['two plans', { configurations: [{ id: '1', descr: 'a' }, { id: 'vps-2', descr: 'b' }], status: 'enabled' }, Object.fromEntries(CFG_RULES.map((r) => [r, 'passed']))],
  ['issue 12: a fractional id and a numeric status', { configurations: [{ id: 1.5, descr: 'x' }], status: 5 }, { 'CFG-SCHEMA': 'failed' }],
  ['configurations missing', { status: 'enabled' }, { 'CFG-SCHEMA': 'failed', 'CFG-EMPTY': 'skipped', 'CFG-ID-SAFE': 'skipped' }],
  ['descr missing', { configurations: [{ id: '1', name: 'a' }] }, { 'CFG-SCHEMA': 'failed', 'CFG-ID-SAFE': 'passed' }],
  ['none', { configurations: [] }, { 'CFG-SCHEMA': 'passed', 'CFG-EMPTY': 'warned', 'CFG-ID-SAFE': 'skipped', 'CFG-ID-UNIQUE': 'skipped' }],
  ['an id with a ;', { configurations: [{ id: '1;reboot', descr: 'a' }] }, { 'CFG-ID-SAFE': 'failed' }],
  ['an id starting with -', { configurations: [{ id: '-rf', descr: 'a' }] }, { 'CFG-ID-SAFE': 'failed' }],
  ['a negative number', { configurations: [{ id: -1, descr: 'a' }] }, { 'CFG-ID-SAFE': 'failed', 'CFG-ID-STRING': 'warned' }],
  ['the same id twice', { configurations: [{ id: '1', descr: 'a' }, { id: 1, descr: 'b' }] }, { 'CFG-ID-UNIQUE': 'failed', 'CFG-ID-STRING': 'warned' }],
  ['an error answer', { error: 1, error_message: 'api down' }, Object.fromEntries(CFG_RULES.map((r) => [r, 'skipped'])), { exitCode: 1 }],
], (L, c) => judgeConfigs(L, c));

table('orders (ORD-*)', 'order', [
  ['a task id', { task_id: '24' }, { 'ORD-TASK-ID': 'passed', 'ORD-TASK-SAFE': 'passed' }],
  ['a number', { task_id: 24 }, { 'ORD-TASK-ID': 'passed', 'ORD-TASK-SAFE': 'passed' }],
  ['issue 12: 1.5', { task_id: 1.5 }, { 'ORD-TASK-ID': 'failed' }],
  ['missing', { id: '24' }, { 'ORD-TASK-ID': 'failed' }],
  ['empty', { task_id: '' }, { 'ORD-TASK-ID': 'failed', 'ORD-TASK-SAFE': 'passed' }],
  ['a slash', { task_id: 'a/b' }, { 'ORD-TASK-ID': 'passed', 'ORD-TASK-SAFE': 'failed' }],
  ['..', { task_id: '..' }, { 'ORD-TASK-SAFE': 'failed' }],
  ['65 characters', { task_id: 'x'.repeat(65) }, { 'ORD-TASK-SAFE': 'failed' }],
  ['an error answer', { error: 1, error_message: 'no money' }, { 'ORD-TASK-ID': 'skipped', 'ORD-TASK-SAFE': 'skipped' }, { exitCode: 1 }],
], (L, c) => judgeTaskId(L, c, true));

describe('rules: orders across calls', () => {
  const rows: [string, number, Record<string, string>][] = [
    ['at once', 5, { 'ORD-SPEED': 'passed' }],
    ['over the soft budget', 2500, { 'ORD-SPEED': 'warned' }],
  ];
  for (const [name, ms, want] of rows) {
    it(`ORD-SPEED: ${name}`, () => {
      const L = new Ledger();
      judgeOrderSpeed(L, fakeCall('order', { task_id: '1' }, { durationMs: ms }), 2000);
      expect(verdicts(L, Object.keys(want))).to.deep.equal(want);
    });
  }
  it('ORD-TASK-UNIQUE: the same task id twice fails, a new one passes, none skips', () => {
    for (const [t2, want] of [['2', 'passed'], ['1', 'failed'], [undefined, 'skipped']] as const) {
      const L = new Ledger();
      judgeTaskUnique(L, fakeCall('order', { task_id: t2 ?? '' }), t2, '1');
      expect(verdicts(L, ['ORD-TASK-UNIQUE'])['ORD-TASK-UNIQUE']).to.equal(want);
    }
  });
});

table('status (STAT-*)', 'order_status', [
  ['in progress', { task_id: '24', status: 'in_progress' }, { 'STAT-SCHEMA': 'passed', 'STAT-ECHO': 'passed', 'STAT-FINISHED': 'skipped' }],
  ['finished', { task_id: '24', status: 'finished', server: '203.0.113.5', server_password: 'p' }, { 'STAT-SCHEMA': 'passed', 'STAT-FINISHED': 'passed' }],
  ['issue 12: finished on srv.123', { task_id: '24', status: 'finished', server: 'srv.123', server_password: 'p' }, { 'STAT-FINISHED': 'failed' }],
  ['finished without a server', { task_id: '24', status: 'finished' }, { 'STAT-FINISHED': 'failed' }],
  ['finished without a password', { task_id: '24', status: 'finished', server: 'vps.example.com' }, { 'STAT-FINISHED': 'warned' }],
  ['an IPv6 server', { task_id: '24', status: 'finished', server: '2001:db8::1', server_password: 'p' }, { 'STAT-FINISHED': 'passed' }],
  ['a bad server while in progress', { task_id: '24', status: 'in_progress', server: '999.1.1.1' }, { 'STAT-FINISHED': 'failed' }],
  ['pending', { task_id: '24', status: 'pending' }, { 'STAT-SCHEMA': 'failed' }],
  ['no status', { task_id: '24' }, { 'STAT-SCHEMA': 'failed' }],
  ['another task id', { task_id: '25', status: 'in_progress' }, { 'STAT-ECHO': 'warned' }],
  ['no task id', { status: 'in_progress' }, { 'STAT-ECHO': 'warned' }],
  ['error without a message', { task_id: '24', status: 'error' }, { 'STAT-ERROR-STATUS': 'warned' }],
  ['error with a message', { task_id: '24', status: 'error', message: 'no stock' }, { 'STAT-ERROR-STATUS': 'passed' }],
], (L, c) => judgeStatus(L, c, '24'));

describe('rules: lifecycle (LIFE-*)', () => {
  const rows: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    ['stays finished', { status: 'finished', server: 'a.example' }, { status: 'finished', server: 'a.example' }, 'passed'],
    ['finished, then in progress', { status: 'finished', server: 'a.example' }, { status: 'in_progress' }, 'failed'],
    ['another server', { status: 'finished', server: 'a.example' }, { status: 'finished', server: 'b.example' }, 'failed'],
    ['stays error', { status: 'error' }, { status: 'error', message: 'x' }, 'passed'],
  ];
  for (const [name, final, later, want] of rows) {
    it(`LIFE-MONOTONIC: ${name}`, () => {
      const L = new Ledger();
      const c = judgeCall(L, fakeCall('order_status', { task_id: '24', ...later }));
      judgeStaysPut(L, '24', final, c, judgeStatus(L, c, '24'));
      expect(verdicts(L, ['LIFE-MONOTONIC'])['LIFE-MONOTONIC']).to.equal(want);
    });
  }
  it('summarize folds a poll history', () => {
    expect(summarize(['in_progress', 'in_progress', 'in_progress', 'finished'])).to.equal('in_progress ×3 → finished');
  });
});

describe('rules: running (RUN-*)', () => {
  const rows: [string, FakeCall, Record<string, string>][] = [
    ['fast and clean', {}, { 'RUN-TIMEOUT': 'passed', 'RUN-SLOW': 'passed', 'RUN-CRASH': 'passed' }],
    ['slow', { durationMs: 2500 }, { 'RUN-SLOW': 'warned' }],
    ['timed out', { timedOut: true, exitCode: null }, { 'RUN-TIMEOUT': 'failed', 'RUN-SLOW': 'skipped' }],
    ['killed by a signal', { signal: 'SIGSEGV', exitCode: null }, { 'RUN-CRASH': 'failed' }],
    ['no interpreter', { exitCode: 127 }, { 'RUN-CRASH': 'failed' }],
    ['could not start', { spawnError: 'ENOEXEC', exitCode: null }, { 'RUN-CRASH': 'failed' }],
  ];
  for (const [name, o, want] of rows) {
    it(name, () => {
      const L = new Ledger();
      judgeCall(L, fakeCall('help', o.exitCode === 127 || o.signal || o.spawnError || o.timedOut ? '' : GOOD_HELP, o));
      expect(verdicts(L, Object.keys(want))).to.deep.equal(want);
    });
  }
  const call = (v: unknown, o: FakeCall = {}) => judgeCall(new Ledger(), fakeCall('configs', v, o));
  const A = { configurations: [{ id: '1', descr: 'a' }] };
  const B = { configurations: [{ id: '2', descr: 'b' }] };
  it('RUN-DETERMINISTIC: same twice passes, different warns', () => {
    for (const [b, want] of [[A, 'passed'], [B, 'warned']] as const) {
      const L = new Ledger();
      judgeDeterministic(L, [call(A), call(b, { id: 'configs #2' })]);
      expect(verdicts(L, ['RUN-DETERMINISTIC'])['RUN-DETERMINISTIC']).to.equal(want);
    }
  });
  it('RUN-CWD: the plugin folder answers differently → failed; an unstable plugin → skipped', () => {
    const rows2: [unknown, unknown, unknown, string][] = [[A, A, A, 'passed'], [A, A, B, 'failed'], [A, B, A, 'skipped']];
    for (const [a, b, p, want] of rows2) {
      const L = new Ledger();
      judgeCwd(L, [call(a), call(b, { id: 'configs #2' }), call(p, { id: 'configs (cwd)' })]);
      expect(verdicts(L, ['RUN-CWD'])['RUN-CWD']).to.equal(want);
    }
  });
  it('RUN-STDIN: a probe that timed out fails; one that ended passes; no probe skips', () => {
    const rows3: [ReturnType<typeof call> | undefined, string][] = [[call(A, { stdin: 'open' }), 'passed'], [call('', { stdin: 'open', timedOut: true, exitCode: null }), 'failed'], [undefined, 'skipped']];
    for (const [probe, want] of rows3) {
      const L = new Ledger();
      judgeStdin(L, [{ base: call(A), probe }]);
      expect(verdicts(L, ['RUN-STDIN'])['RUN-STDIN']).to.equal(want);
    }
  });
});

describe('rules: bad arguments (ERR-BAD-ARGS)', () => {
  const rows: [string, string, unknown, FakeCall, string][] = [
    ['an error answer', 'order_status', { error: 1, error_message: 'no such task' }, { exitCode: 1 }, 'passed'],
    ['a phantom in_progress', 'order_status', { task_id: 'x', status: 'in_progress' }, {}, 'failed'],
    ['empty output', 'foo', '', {}, 'failed'],
    ['a hang', 'foo', '', { timedOut: true, exitCode: null }, 'skipped'],
  ];
  for (const [name, action, out, o, want] of rows) {
    it(name, () => {
      const L = new Ledger();
      judgeBadArgs(L, [{ c: judgeCall(L, fakeCall(action, out, o)), what: 'probe' }]);
      expect(verdicts(L, ['ERR-BAD-ARGS'])['ERR-BAD-ARGS']).to.equal(want);
    });
  }
});

describe('rules: package and archive (PKG-*, ARCH-*)', () => {
  it('packer findings become verdicts; rules without one pass; an unreadable archive skips the rest', () => {
    const L = new Ledger();
    judgePackage(L, [{ rule: 'PKG-SHEBANG', severity: 'error', message: 'no #!', entry: 'bin/p' }]);
    const v = verdicts(L, PACKAGE_RULES);
    expect(v['PKG-SHEBANG']).to.equal('failed');
    expect(Object.values(v).filter((s) => s === 'passed')).to.have.length(PACKAGE_RULES.length - 1);
    const L2 = new Ledger();
    judgeArchive(L2, [{ rule: 'ARCH-FORMAT', severity: 'error', message: 'not gzip' }], 'tar.gz');
    const a = verdicts(L2, ARCHIVE_RULES);
    expect(a['ARCH-FORMAT']).to.equal('failed');
    expect(a['ARCH-TRAVERSAL']).to.equal('skipped');
    expect(a['ARCH-ZIP-MODES']).to.equal('skipped');
  });
  it('an unknown rule from the packer is a bug of the kit, not a verdict', () => {
    expect(() => judgePackage(new Ledger(), [{ rule: 'PKG-NOPE' as RuleId, severity: 'error', message: 'x' }])).to.throw(/unknown rule/);
  });
});

describe('rules: host round trip (HOST-*)', () => {
  /** A host answer: the first example of the host schema (what the real bx-provider printed), edited. */
  const ex = (kind: string, i = 0): Record<string, unknown> => structuredClone((getSchema(`host/${kind}`).examples as Record<string, unknown>[])[i]!);
  const ans = (json: unknown, exitCode = 0): HostAnswer => ({ r: { stdout: json === undefined ? '' : JSON.stringify(json), stderr: '', exitCode, json }, id: 'host call' });
  const run = (f: (L: Ledger) => unknown, ids: string[]) => {
    const L = new Ledger();
    f(L);
    return verdicts(L, ids);
  };
  const st = ex('status');
  const stOff = structuredClone(st) as { params: { provider_options: { good: { options: Record<string, number> } } } };
  stOff.params.provider_options.good.options.order_status = 0;
  const stDisabled = structuredClone(st) as { params: { provider_options: { good: { status: string } } } };
  stDisabled.params.provider_options.good.status = 'disabled';
  const rows: [string, (L: Ledger) => unknown, Record<string, string>][] = [
    ['status: the provider is there', (L) => judgeHostStatus(L, ans(st), 'good', { help: { status: 'enabled' }, installFailed: false }), { 'HOST-INSTALL': 'passed', 'HOST-STATUS': 'passed' }],
    ['status: not on the host', (L) => judgeHostStatus(L, ans({ error: 1, message: 'bxProvider::optionsProvider: Provider good not exist on the host' }, 1), 'good', { installFailed: false }), { 'HOST-INSTALL': 'failed', 'HOST-STATUS': 'failed' }],
    ['status: order_status shown as unsupported', (L) => judgeHostStatus(L, ans(stOff), 'good', { installFailed: false }), { 'HOST-STATUS': 'failed' }],
    ['status: disabled', (L) => judgeHostStatus(L, ans(stDisabled), 'good', { installFailed: false }), { 'HOST-STATUS': 'failed' }],
    ['status: not the status help answered', (L) => judgeHostStatus(L, ans(st), 'good', { help: { status: 'maintenance' }, installFailed: false }), { 'HOST-STATUS': 'failed' }],
    ['list: shown', (L) => judgeHostList(L, ans(ex('list')), 'good'), { 'HOST-LIST': 'passed' }],
    ['list: not shown', (L) => judgeHostList(L, ans(ex('list')), 'other'), { 'HOST-LIST': 'failed' }],
    ['list: the host died', (L) => judgeHostList(L, ans(undefined, 255), 'good'), { 'HOST-LIST': 'failed' }],
    ['configs: passed through', (L) => judgeHostConfigs(L, ans(ex('configs')), 'good', [{ descr: 'VPS 1CPU/1GB', id: 1 }], true), { 'HOST-CONFIGS': 'passed' }],
    ['configs: not what the plugin answered', (L) => judgeHostConfigs(L, ans(ex('configs')), 'good', [{ descr: 'other', id: 1 }], true), { 'HOST-CONFIGS': 'failed' }],
    ['configs: an unstable plugin, same ids', (L) => judgeHostConfigs(L, ans(ex('configs')), 'good', [{ descr: 'other', id: 1 }], false), { 'HOST-CONFIGS': 'passed' }],
    ['order: saved', (L) => judgeHostOrder(L, ans(ex('order')), 'superprovider', '1', true), { 'HOST-ORDER': 'passed' }],
    ['order: the task file is missing', (L) => judgeHostOrder(L, ans(ex('order')), 'superprovider', '1', false), { 'HOST-ORDER': 'failed' }],
    ['order: no task id', (L) => judgeHostOrder(L, ans({ message: "doesn't return task_id", error: 1 }, 1), 'superprovider', '1', false), { 'HOST-ORDER': 'failed' }],
    ['order_status: passed through', (L) => judgeHostOrderStatus(L, ans(ex('order_status')), 'good', '24', true), { 'HOST-ORDER-STATUS': 'passed' }],
    ['order_status: the host failed', (L) => judgeHostOrderStatus(L, ans({ error: 1, message: 'x' }, 1), 'good', '24', true), { 'HOST-ORDER-STATUS': 'failed' }],
    ['orders_list: listed', (L) => judgeHostOrdersList(L, ans(ex('orders_list')), 'good', '24'), { 'HOST-ORDERS-LIST': 'passed' }],
    ['orders_list: not listed', (L) => judgeHostOrdersList(L, ans(ex('orders_list')), 'good', '25'), { 'HOST-ORDERS-LIST': 'failed' }],
    ['order_to_host: added to the pool', (L) => judgeHostOrderToHost(L, ans(ex('order_to_host', 1)), 'finished'), { 'HOST-ORDER-TO-HOST': 'passed' }],
    ['order_to_host: finished but no pool', (L) => judgeHostOrderToHost(L, ans(ex('order_to_host', 2), 1), 'finished'), { 'HOST-ORDER-TO-HOST': 'failed' }],
    ['order_to_host: an unfinished task passes through', (L) => judgeHostOrderToHost(L, ans(ex('order_to_host', 0)), undefined), { 'HOST-ORDER-TO-HOST': 'passed' }],
  ];
  for (const [name, f, want] of rows) it(name, () => expect(run(f, Object.keys(want))).to.deep.equal(want));
});

// The rule ids in these tables are checked by the compiler (RuleId): keep one typed use here.
const _typed: RuleId = 'HOST-INSTALL';
void _typed;
