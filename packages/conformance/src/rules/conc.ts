/**
 * CONC-*: what only calls made at once show (issue 13). Pure judges of recorded calls: the
 * probing (who is called, how many at once) is concurrency.ts's.
 */
import { RULES, SAFE_WORD, type RuleId } from '@bx-provider-kit/schemas';
import type { Ledger } from '../ledger.js';
import { answerKey, didNotRun, isErrorKind, success, type Call } from '../call.js';
import { firstDifference, jsonEqual, oneLine, show } from '../text.js';
import { STATUSES } from './status.js';

export const CONC_RULES: RuleId[] = RULES.filter((r) => r.area === 'concurrency').map((r) => r.id);

/** A task id the host can use: a safe shell word and file name, not . or .., at most 64 characters. */
export const safeTaskId = (id: string): boolean => SAFE_WORD.test(id) && id !== '.' && id !== '..' && id.length <= 64;

/**
 * CONC-REPEAT: K calls of one action made at once answer as the single call `base` did.
 * `flapping`: the action already answers differently one call at a time (RUN-DETERMINISTIC).
 */
export function judgeConcRepeat(L: Ledger, base: Call, repeats: Call[], ctx: { flapping?: boolean } = {}): void {
  if (didNotRun(base) || !base.answer) {
    L.skip('CONC-REPEAT', `${base.action} gave no answer even alone (${base.why ?? 'no answer'})`);
    return;
  }
  if (ctx.flapping) {
    L.skip('CONC-REPEAT', `${base.action} answers differently even one call at a time (RUN-DETERMINISTIC)`);
    return;
  }
  const n = repeats.length;
  for (const c of repeats) {
    if (!c.answer || didNotRun(c) || (isErrorKind(c.answer) && !isErrorKind(base.answer))) {
      const what = !c.answer || didNotRun(c) ? `no answer (${c.why ?? 'no JSON object'})` : `an error: ${oneLine(String(c.answer.value.error_message ?? c.rec.stdoutExcerpt), 100)}`;
      L.fail('CONC-REPEAT', `${c.id}: called ${n} times at once, ${base.action} gave ${what}; alone it answers`, { call: c.id, excerpt: c.rec.stdoutExcerpt || undefined });
      continue;
    }
    const a = answerKey(base);
    const b = answerKey(c);
    if (jsonEqual(a, b)) L.ok('CONC-REPEAT', c.id);
    else L.warn('CONC-REPEAT', `${c.id}: called ${n} times at once, ${base.action} answered differently (${firstDifference(a, b)})`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
  }
}

/** What the sequential lifecycle already found (a bug there is not reported again here). */
export interface ConcContext {
  /** Why the parallel orders cannot be judged (the first order already gives no task id, ...). */
  orderWhy?: string;
  /** ORD-TASK-UNIQUE failed: two orders one after the other already share a task id. */
  sequentialReuse?: boolean;
  /** Why the tasks' ends cannot be judged (LIFE-REACHES-END did not pass). */
  endWhy?: string;
}

/** CONC-TASK-UNIQUE on N orders placed at once; returns the distinct usable task ids. */
export function judgeConcOrders(L: Ledger, orders: Call[], ctx: ConcContext = {}): string[] {
  if (ctx.orderWhy) {
    L.skip('CONC-TASK-UNIQUE', ctx.orderWhy);
    return [];
  }
  const n = orders.length;
  const ids: string[] = [];
  const byId = new Map<string, string[]>();
  for (const c of orders) {
    const s = success(c);
    if (!('value' in s)) {
      L.fail('CONC-TASK-UNIQUE', `${c.id}: one of ${n} orders placed at once got no task id (${s.why}); alone, order answers one`, { call: c.id, excerpt: c.rec.stdoutExcerpt || undefined });
      continue;
    }
    const t = s.value.task_id;
    if (typeof t !== 'string' && typeof t !== 'number') {
      L.fail('CONC-TASK-UNIQUE', `${c.id}: one of ${n} orders placed at once answered no usable task_id (${show(t, 40)})`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
      continue;
    }
    const id = String(t);
    if (!safeTaskId(id)) {
      L.fail('CONC-TASK-UNIQUE', `${c.id}: task id ${JSON.stringify(oneLine(id, 60))} from an order placed with ${n - 1} others is not a safe word and file name`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
      continue;
    }
    byId.set(id, [...(byId.get(id) ?? []), c.id]);
    if (byId.get(id)!.length === 1) ids.push(id);
  }
  let shared = false;
  for (const [id, calls] of byId) {
    if (calls.length < 2) continue;
    shared = true;
    if (ctx.sequentialReuse) {
      L.skip('CONC-TASK-UNIQUE', 'two orders share a task id even one after the other (ORD-TASK-UNIQUE)');
      return ids;
    }
    L.fail('CONC-TASK-UNIQUE', `${calls.length} of ${n} orders placed at once got the same task id ${JSON.stringify(id)} (${calls.join(', ')}): the host keeps one task file for them and loses the others`, { call: calls[1] });
  }
  if (!shared && L.status('CONC-TASK-UNIQUE') !== 'failed') for (const c of orders) L.ok('CONC-TASK-UNIQUE', c.id);
  return ids;
}

export const statusOf = (c: Call): string | undefined => {
  const s = success(c);
  return 'value' in s && typeof s.value.status === 'string' ? s.value.status : undefined;
};

const isFinal = (s: string | undefined) => s === 'finished' || s === 'error';

/**
 * CONC-STATUS: rounds of order_status calls made at once on one task (each round starts when the
 * previous one has answered). Every answer must be a valid status of that task, and once a round
 * saw the task final, no later answer may differ from that final answer.
 */
export function judgeConcStatus(L: Ledger, taskId: string, rounds: Call[][], ctx: { why?: string } = {}): void {
  if (ctx.why) {
    L.skip('CONC-STATUS', ctx.why);
    return;
  }
  let final: { call: Call; key: unknown; status: string } | undefined;
  let bad = false;
  for (const round of rounds) {
    let roundFinal: typeof final;
    for (const c of round) {
      const st = statusOf(c);
      if (!st || !STATUSES.includes(st)) {
        bad = true;
        const what = didNotRun(c) ? c.why : c.answer && isErrorKind(c.answer) ? `an error: ${oneLine(String(c.answer.value.error_message ?? ''), 100)}` : st ? `status ${show(st)}` : c.why ?? 'no answer';
        L.fail('CONC-STATUS', `${c.id}: asked ${round.length} times at once about task ${taskId}, order_status answered ${what} (a torn or locked state file?)`, { call: c.id, excerpt: c.rec.stdoutExcerpt || undefined });
        continue;
      }
      if (final) {
        const v = success(c) as { value: Record<string, unknown> };
        const key = { status: v.value.status, server: v.value.server };
        if (!jsonEqual(key, final.key)) {
          bad = true;
          L.fail('CONC-STATUS', `${c.id}: task ${taskId} was already ${final.status} (${final.call.id}), then a call made at once with others answered ${show(st)}${v.value.server !== undefined ? ` on ${show(v.value.server)}` : ''}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
        }
      } else if (isFinal(st) && !roundFinal) {
        const v = success(c) as { value: Record<string, unknown> };
        roundFinal = { call: c, key: { status: v.value.status, server: v.value.server }, status: st };
      }
    }
    final ??= roundFinal;
  }
  if (!bad) for (const r of rounds) for (const c of r) L.ok('CONC-STATUS', c.id);
}

export interface TaskPolls {
  taskId: string;
  /** The order_status calls made for this task, in order. */
  calls: Call[];
}

/** CONC-REACHES-END: every task of the parallel orders ended (finished or error) within the budget. */
export function judgeConcEnds(L: Ledger, tasks: TaskPolls[], budgetMs: number, ctx: ConcContext = {}): void {
  if (ctx.endWhy) {
    L.skip('CONC-REACHES-END', ctx.endWhy);
    return;
  }
  if (!tasks.length) {
    L.skip('CONC-REACHES-END', 'the parallel orders gave no usable task id (CONC-TASK-UNIQUE)');
    return;
  }
  for (const t of tasks) {
    const last = t.calls[t.calls.length - 1];
    const st = last ? statusOf(last) : undefined;
    if (last && isFinal(st)) {
      L.ok('CONC-REACHES-END', last.id);
      continue;
    }
    const seen = t.calls.map((c) => statusOf(c) ?? (c.answer && isErrorKind(c.answer) ? 'an error' : 'no answer'));
    const why = last && isErrorKind(last.answer) ? `order_status answered an error: ${oneLine(String(last.answer!.value.error_message ?? ''), 100)}` : `no final status within ${budgetMs} ms`;
    L.fail('CONC-REACHES-END', `task ${t.taskId}, ordered with ${tasks.length - 1} others at once, never ended (${why}; polls: ${[...new Set(seen)].join(', ')})`, { call: last?.id, excerpt: last?.rec.stdoutExcerpt || undefined });
  }
}
