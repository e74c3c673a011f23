/**
 * The order lifecycle, in order: order, poll order_status to a final status, ask again (it must
 * stay put), order again (a new task id). The harness side: the calls and their timing; every
 * verdict comes from the judges of rules/orders.ts, rules/status.ts and rules/running.ts.
 */
import { RULES, type RuleId } from '@bx-provider-kit/schemas';
import { isErrorKind, success, type Call } from './call.js';
import type { Run } from './harness.js';
import { sleep } from './pool.js';
import type { ReportSettings } from './report.js';
import { judgeOrderSpeed, judgeTaskId, judgeTaskUnique } from './rules/orders.js';
import { judgeStdin } from './rules/running.js';
import { skipAll } from './rules/shape.js';
import { STATUSES, judgeStaysPut, judgeStatus, summarize } from './rules/status.js';
import { show } from './text.js';

/** The rules the lifecycle judges (order, order_status and lifecycle areas). */
export const LIFECYCLE_RULES: RuleId[] = RULES.filter((r) => r.area === 'order' || r.area === 'order_status' || r.area === 'lifecycle').map((r) => r.id);
/** The rules that require the first order's task id. */
const NEEDS_TASK_ID: RuleId[] = ['ORD-TASK-UNIQUE', 'STAT-SCHEMA', 'STAT-ECHO', 'STAT-FINISHED', 'STAT-ERROR-STATUS', 'LIFE-REACHES-END', 'LIFE-MONOTONIC'];

export interface LifecycleResult {
  configId?: string;
  taskId?: string;
  final?: Record<string, unknown>;
}

/** The budget of a RUN-STDIN probe: well over what the same call took with stdin closed. */
export function stdinBudget(s: ReportSettings, base: Call): number {
  return Math.min(s.callTimeoutMs, Math.max(2000, Math.round(base.res.durationMs * 4) + 1000));
}

export async function runLifecycle(run: Run, configs: Call, cfgIds: string[]): Promise<LifecycleResult> {
  const L = run.ledger;
  const S = run.settings;
  const skipLife = (why: string) => skipAll(L, LIFECYCLE_RULES, why);
  let configId = S.configId;
  if (configId === undefined) {
    if (!cfgIds.length || !cfgIds[0]) {
      const s = success(configs);
      skipLife(`no configuration to order: ${'why' in s ? s.why : 'configs returned none'}; set "configId" in conformance.json to order one anyway`);
      return {};
    }
    configId = cfgIds[0];
  } else if (cfgIds.length && !cfgIds.includes(configId)) {
    skipLife(`configId ${JSON.stringify(configId)} from the settings is not among the ids configs returns (${cfgIds.map((x) => JSON.stringify(x)).join(', ')})`);
    return { configId };
  }
  S.configId = configId; // the report says which configuration was ordered
  run.progress(`lifecycle: ordering config ${configId}`);
  const order1 = await run.call('order', [configId], { purpose: `order config ${configId} (lifecycle)` });
  judgeOrderSpeed(L, order1, S.slowMs);
  const taskId = judgeTaskId(L, order1, true);
  const res: LifecycleResult = { configId };
  if (taskId === undefined) {
    const s1 = success(order1);
    // Everything after the first order requires its task id (ORD-TASK-ID).
    skipAll(L, NEEDS_TASK_ID, `the first order gave no task id (${'why' in s1 ? s1.why : 'ORD-TASK-ID'})`);
    return res;
  }
  res.taskId = taskId;
  // Poll until finished or error, within the lifecycle budget.
  const deadline = performance.now() + S.lifecycleTimeoutMs;
  let final: Record<string, unknown> | undefined;
  let finalCall: Call | undefined;
  let sawValid = false;
  let stoppedWhy: string | undefined;
  let polls = 0;
  const history: string[] = [];
  for (;;) {
    polls++;
    const c = await run.call('order_status', [taskId], { purpose: `poll ${polls} of the lifecycle`, label: `order_status ${taskId}` });
    const j = judgeStatus(L, c, taskId);
    if (!j.value) {
      stoppedWhy = j.why;
      break;
    }
    const st = j.value.status;
    history.push(typeof st === 'string' ? st : show(st, 20));
    if (typeof st === 'string' && STATUSES.includes(st)) sawValid = true;
    if (st === 'finished' || st === 'error') {
      final = j.value;
      finalCall = c;
      break;
    }
    if (performance.now() + S.pollIntervalMs > deadline) break;
    await sleep(S.pollIntervalMs);
  }
  if (final?.status === 'finished') L.skip('STAT-ERROR-STATUS', 'the order ended "finished": no order_status answered "error", so there was no error status to check');
  if (final?.status === 'error') L.skip('STAT-FINISHED', 'the order ended "error": no order_status answered "finished", so there was no server to check');
  if (final) {
    L.ok('LIFE-REACHES-END', finalCall!.id);
    res.final = final;
  } else if (stoppedWhy) {
    const c = run.calls[run.calls.length - 1]!;
    if (isErrorKind(c.answer) && history.length) {
      L.fail('LIFE-REACHES-END', `order_status answered an error for task ${taskId} after ${history.join(' → ')}: ${stoppedWhy}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    } else if (isErrorKind(c.answer)) {
      L.fail('LIFE-REACHES-END', `order_status does not know the task ${taskId} that order just returned: ${stoppedWhy}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    } else {
      L.skip('LIFE-REACHES-END', `polling stopped: ${stoppedWhy}`);
    }
    L.skip('LIFE-MONOTONIC', `the order never reached a final status (${stoppedWhy})`);
  } else if (!sawValid) {
    L.skip('LIFE-REACHES-END', `order_status never answered a valid status (STAT-SCHEMA: ${history.slice(0, 3).join(', ')}…)`);
    L.skip('LIFE-MONOTONIC', 'the order never reached a final status');
  } else {
    L.fail(
      'LIFE-REACHES-END',
      `task ${taskId} did not reach finished or error within ${S.lifecycleTimeoutMs} ms (${polls} polls every ${S.pollIntervalMs} ms: ${summarize(history)})`,
      { call: run.calls[run.calls.length - 1]!.id },
    );
    L.skip('LIFE-MONOTONIC', 'the order never reached a final status (LIFE-REACHES-END)');
  }
  if (final) {
    // Call again: a final answer must stay put.
    for (let i = 0; i < 2; i++) {
      await sleep(Math.min(S.pollIntervalMs, 200));
      const c = await run.call('order_status', [taskId], { purpose: 'the final status must stay put (LIFE-MONOTONIC)', label: `order_status ${taskId}` });
      if (!judgeStaysPut(L, taskId, final, c, judgeStatus(L, c, taskId))) break;
    }
  }
  // RUN-STDIN for order_status: the host gives the plugin its own stdin on every action, so the
  // status of the real task is asked once more with an open, never-written stdin.
  // (Once RUN-STDIN failed, the verdict stands: the second order then runs as the others do.)
  const stdinOn = run.wants('RUN-STDIN') && L.status('RUN-STDIN') !== 'failed';
  const lastPoll = [...run.calls].reverse().find((c) => c?.action === 'order_status');
  if (stdinOn && lastPoll && !lastPoll.res.timedOut && !lastPoll.res.spawnError) {
    const probe = await run.call('order_status', [taskId], {
      purpose: 'order_status with an open, never-written stdin (RUN-STDIN)',
      stdin: 'open',
      budgetMs: stdinBudget(S, lastPoll),
      label: `order_status ${taskId} (stdin open)`,
    });
    judgeStdin(L, [{ base: lastPoll, probe }]);
  }
  // A second order must get a new task id. It is also the RUN-STDIN probe of order (a third
  // order would cost money): it runs with an open, never-written stdin.
  const order2 = await run.call('order', [configId], {
    purpose: `order config ${configId} again (ORD-TASK-UNIQUE${stdinOn ? ', RUN-STDIN: with an open, never-written stdin' : ''})`,
    ...(stdinOn && !order1.res.timedOut && !order1.res.spawnError ? { stdin: 'open' as const, budgetMs: stdinBudget(S, order1) } : {}),
  });
  const order2Stdin = order2.rec.stdin === 'open';
  if (order2Stdin) judgeStdin(L, [{ base: order1, probe: order2 }]);
  if (order2Stdin && order2.res.timedOut) {
    L.skip('ORD-TASK-UNIQUE', 'the second order waited on its open stdin (RUN-STDIN), so it returned no task id');
    return res;
  }
  judgeOrderSpeed(L, order2, S.slowMs);
  judgeTaskUnique(L, order2, judgeTaskId(L, order2, false), taskId);
  return res;
}

