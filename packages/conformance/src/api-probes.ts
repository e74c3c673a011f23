/**
 * The API fault probes (issue 13), harness side. Each probe is one plugin call behind a fault
 * proxy of its own (faults.ts: a port per probe, so its connection count is that call's), with
 * every proxy variable pointing at it. The calls are judged by API-* only (rules/api.ts): their
 * OUT/ERR/RUN verdicts go to a scratch ledger that API-OUTPUT reads.
 *
 *   phase 1, at once: help and configs under every fault mode
 *   phase 2, only with ordering allowed and when a configs probe reached the proxy (a plugin
 *           that ignores the proxy variables would place real orders): order under every fault
 *           mode, and at the same time one order placed with the API up (no proxy), its status
 *           asked once, then under every fault mode at once, then polled through a proxy that
 *           passes requests on again (API-RECOVERS)
 */
import type { Call } from './call.js';
import { FAULT_MODES, FaultProxy, type FaultMode } from './faults.js';
import type { Run } from './harness.js';
import { Ledger } from './ledger.js';
import { limiter, sleep } from './pool.js';
import { judgeApi, type ApiProbes, type FaultCall, type Recovery } from './rules/api.js';
import { statusOf } from './rules/conc.js';
import { success } from './call.js';

export interface ApiInput {
  configId?: string;
  noOrderWhy?: string;
}

export async function runApiProbes(run: Run, inp: ApiInput): Promise<void> {
  const S = run.settings;
  const modes: readonly FaultMode[] = run.settings.faults?.length ? run.settings.faults : FAULT_MODES;
  const proxies = new Set<FaultProxy>();
  const lim = limiter(6); // most probes wait on a dead API, not on the CPU
  const slowMs = S.slowMs + 1000;
  const probe = (mode: FaultMode, action: string, args: string[]): Promise<FaultCall> =>
    lim(async () => {
      const proxy = await FaultProxy.start(mode, { slowMs });
      proxies.add(proxy);
      try {
        const scratch = new Ledger();
        const call = await run.call(action, args, {
          purpose: `${action} with the API failing (${mode}, through the fault proxy) (API-*)`,
          label: `${[action, ...args].join(' ')} (API ${mode})`,
          env: proxy.env(),
          ledger: scratch,
        });
        return { mode, call, connections: proxy.connections, scratch };
      } finally {
        proxies.delete(proxy);
        await proxy.close();
      }
    });
  const probes: ApiProbes = { help: [], configs: [], order: [], status: [] };
  try {
    run.progress(`API faults: ${modes.join(', ')}`);
    const [help, configs] = await Promise.all([Promise.all(modes.map((m) => probe(m, 'help', []))), Promise.all(modes.map((m) => probe(m, 'configs', [])))]);
    Object.assign(probes, { help, configs });
    if (inp.configId === undefined) probes.noOrderWhy = inp.noOrderWhy ?? 'no order was placed';
    else if (!configs.some((f) => f.connections > 0)) {
      // A plugin that ignores the proxy variables would place real orders behind the runner's back.
      probes.noOrderWhy = 'no configs probe reached the fault proxy, so no order was risked through it (a plugin that ignores the proxy variables would place real orders)';
    } else {
      const cfg = inp.configId;
      const follow = async () => {
        // A task to follow through the faults, ordered with the API up.
        const placed = await run.call('order', [cfg], { purpose: `order config ${cfg}, a task to follow through the API faults (API-STATUS, API-RECOVERS)` });
        const s = success(placed);
        const taskId = 'value' in s && (typeof s.value.task_id === 'string' || typeof s.value.task_id === 'number') ? String(s.value.task_id) : undefined;
        if (taskId === undefined) {
          probes.noStatusWhy = `the order to follow through the faults gave no task id (${'why' in s ? s.why : 'ORD-TASK-ID'})`;
          return;
        }
        probes.taskId = taskId;
        const before = await run.call('order_status', [taskId], { purpose: 'order_status with the API up, before the faults (API-STATUS)' });
        const b = success(before);
        if ('value' in b) probes.lastKnown = b.value;
        probes.status = await Promise.all(modes.map((m) => probe(m, 'order_status', [taskId])));
        probes.recovery = await recover(run, taskId, proxies);
      };
      const [order] = await Promise.all([Promise.all(modes.map((m) => probe(m, 'order', [cfg]))), follow()]);
      probes.order = order;
    }
  } finally {
    await Promise.all([...proxies].map((p) => p.close()));
  }
  judgeApi(run.ledger, probes, { slowMs: S.slowMs });
}

/** Polls order_status through a proxy that passes requests on (the API is back) until the task ends. */
async function recover(run: Run, taskId: string, proxies: Set<FaultProxy>): Promise<Recovery> {
  const S = run.settings;
  const proxy = await FaultProxy.start('pass');
  proxies.add(proxy);
  const calls: Call[] = [];
  const deadline = performance.now() + S.lifecycleTimeoutMs;
  try {
    for (let i = 1; ; i++) {
      const c = await run.call('order_status', [taskId], {
        purpose: `poll ${i} with the API back (API-RECOVERS)`,
        label: `order_status ${taskId} (API back)`,
        env: proxy.env(),
        ledger: new Ledger(),
      });
      calls.push(c);
      const st = statusOf(c);
      if (st === 'finished' || st === 'error' || proxy.refusedTargets.size) break;
      // an error answered twice in a row with the API back: it does not recover
      if (!st && calls.length >= 2 && !statusOf(calls[calls.length - 2]!)) break;
      if (performance.now() + S.pollIntervalMs > deadline) break;
      await sleep(S.pollIntervalMs);
    }
    return { taskId, calls, connections: proxy.connections, refusedTargets: [...proxy.refusedTargets], budgetMs: S.lifecycleTimeoutMs };
  } finally {
    proxies.delete(proxy);
    await proxy.close();
  }
}
