/**
 * The concurrency probes (issue 13), harness side: K `help` and K `configs` at once, N `order`
 * at once (only with ordering allowed), then every task polled to its end, the first one K
 * times at once per round. Verdicts come from rules/conc.ts.
 */
import type { Call } from './call.js';
import { DEFAULTS } from './config.js';
import type { Run } from './harness.js';
import { sleep } from './pool.js';
import { CONC_RULES, judgeConcEnds, judgeConcOrders, judgeConcRepeat, judgeConcStatus, statusOf, type ConcContext, type TaskPolls } from './rules/conc.js';
import { skipAll } from './rules/shape.js';

export interface ConcInput {
  help: Call;
  configs: Call;
  /** The configuration the lifecycle ordered (undefined: no order is placed). */
  configId?: string;
  /** Why orders are not placed (ordering not allowed, no configuration). */
  noOrderWhy?: string;
}

export async function runConcurrency(run: Run, inp: ConcInput): Promise<void> {
  const L = run.ledger;
  const n = Math.max(2, run.settings.parallel ?? DEFAULTS.parallel);
  const S = run.settings;
  const many = (k: number, f: (i: number) => Promise<Call>) => Promise.all(Array.from({ length: k }, (_, i) => f(i)));

  // K help and K configs at once (csi-sanity's repeated calls).
  const repeatOf = async (base: Call, action: 'help' | 'configs') => {
    if (!base.answer || base.res.timedOut || base.res.spawnError) return judgeConcRepeat(L, base, []);
    const calls = await many(n, (i) => run.call(action, [], { purpose: `${action}, ${n} at once (CONC-REPEAT)`, label: `${action} (${n} at once, ${i + 1})` }));
    judgeConcRepeat(L, base, calls, { flapping: L.status('RUN-DETERMINISTIC') === 'warned' });
  };
  const repeats = Promise.all([repeatOf(inp.help, 'help'), repeatOf(inp.configs, 'configs')]);

  const orders = (async () => {
    if (inp.configId === undefined) {
      skipAll(L, CONC_RULES.filter((r) => r !== 'CONC-REPEAT'), inp.noOrderWhy ?? 'no order was placed');
      return;
    }
    const ctx: ConcContext = {};
    // A bug the sequential lifecycle already reported is not reported again (when it ran).
    const broken = (id: 'ORD-TASK-ID' | 'ORD-TASK-SAFE' | 'LIFE-REACHES-END' | 'LIFE-MONOTONIC' | 'STAT-SCHEMA') => !L.untouched(id) && L.status(id) !== 'passed' && L.status(id) !== 'warned';
    if (broken('ORD-TASK-ID')) ctx.orderWhy = 'order gives no usable task id even alone (ORD-TASK-ID)';
    else if (broken('ORD-TASK-SAFE')) ctx.orderWhy = 'order gives unsafe task ids even alone (ORD-TASK-SAFE)';
    if (L.status('ORD-TASK-UNIQUE') === 'failed') ctx.sequentialReuse = true;
    if (broken('LIFE-REACHES-END')) ctx.endWhy = 'an order placed alone does not reach its end either (LIFE-REACHES-END)';
    // A task that moves back when asked alone may be seen ending or not, by the luck of the
    // interleaving; the sequential bug says it and the concurrent verdict would be a coin toss.
    else if (broken('LIFE-MONOTONIC')) ctx.endWhy = 'a task moves back even when asked one call at a time (LIFE-MONOTONIC), so whether one is seen ending when polled at once is luck';
    if (ctx.orderWhy) {
      skipAll(L, ['CONC-TASK-UNIQUE', 'CONC-REACHES-END', 'CONC-STATUS'], ctx.orderWhy);
      return;
    }
    run.progress(`concurrency: ${n} orders of config ${inp.configId} at once`);
    const placed = await many(n, (i) => run.call('order', [inp.configId!], { purpose: `order, ${n} at once (CONC-TASK-UNIQUE)`, label: `order ${inp.configId} (${n} at once, ${i + 1})` }));
    const ids = judgeConcOrders(L, placed, ctx);
    if (!ids.length) {
      skipAll(L, ['CONC-REACHES-END', 'CONC-STATUS'], 'the orders placed at once gave no usable task id (CONC-TASK-UNIQUE)');
      return;
    }
    // Poll every task to its end. After a first round (one call per task), a task that answered a
    // valid status (preferably one still in progress) is also asked n times at once per round.
    const tasks: TaskPolls[] = ids.map((taskId) => ({ taskId, calls: [] }));
    const rounds: Call[][] = [];
    const deadline = performance.now() + S.lifecycleTimeoutMs;
    const last = (t: TaskPolls) => t.calls[t.calls.length - 1];
    // polling a task stops at its end, or at an answer that is no status (CONC-REACHES-END says it)
    const done = (t: TaskPolls) => !!last(t) && ['finished', 'error', undefined].includes(statusOf(last(t)!));
    let watched: TaskPolls | undefined;
    let extra = 1; // one more round of n at once after the watched task ended
    for (let round = 1; ; round++) {
      const asks = tasks.filter((t) => !done(t) && t !== watched);
      const statusRound = !!watched && (!done(watched) || extra-- > 0);
      if (!asks.length && !statusRound) break;
      const work: Promise<unknown>[] = asks.map(async (t) => {
        t.calls.push(await run.call('order_status', [t.taskId], { purpose: `poll ${round} of a task ordered ${n} at once (CONC-REACHES-END)`, label: `order_status ${t.taskId}` }));
      });
      if (statusRound) {
        const w = watched!;
        work.push(
          many(n, (i) => run.call('order_status', [w.taskId], { purpose: `order_status, ${n} at once on one task (CONC-STATUS)`, label: `order_status ${w.taskId} (${n} at once, ${i + 1})` })).then((cs) => {
            rounds.push(cs);
            // the task's progress is the most advanced valid answer of the round
            if (!done(w)) w.calls.push(cs.find((c) => ['finished', 'error'].includes(statusOf(c) ?? '')) ?? cs.find((c) => statusOf(c) === 'in_progress') ?? cs[0]!);
          }),
        );
      }
      await Promise.all(work);
      if (round === 1) watched = tasks.find((t) => statusOf(last(t)!) === 'in_progress') ?? tasks.find((t) => statusOf(last(t)!) !== undefined);
      if (performance.now() + S.pollIntervalMs > deadline) break;
      await sleep(S.pollIntervalMs);
    }
    const statusWhy = broken('STAT-SCHEMA')
      ? 'order_status answers no valid status even alone (STAT-SCHEMA)'
      : broken('LIFE-MONOTONIC')
        ? 'a task moves back even when asked one call at a time (LIFE-MONOTONIC)'
        : watched
          ? undefined
          : 'no task ordered at once answered a valid status to watch (CONC-REACHES-END)';
    judgeConcStatus(L, watched?.taskId ?? '', rounds, statusWhy ? { why: statusWhy } : {});
    judgeConcEnds(L, tasks, S.lifecycleTimeoutMs, ctx);
  })();
  await Promise.all([repeats, orders]);
}
