/** ORD-*: the answers to `order` (ORD-TASK-ID and ORD-TASK-SAFE from the schema). */
import type { Ledger } from '../ledger.js';
import { success, type Call } from '../call.js';
import { judgeShape, skipAll } from './shape.js';

/** ORD-SPEED: order must return at once (it provisions asynchronously). */
export function judgeOrderSpeed(L: Ledger, c: Call, slowMs: number): void {
  if (c.res.timedOut) L.fail('ORD-SPEED', `${c.id}: did not return within the hard budget (${c.rec.budgetMs} ms)`, { call: c.id });
  else if (c.res.durationMs > slowMs) L.warn('ORD-SPEED', `${c.id}: took ${c.rec.durationMs} ms (soft budget ${slowMs} ms): order must return at once`, { call: c.id });
  else L.ok('ORD-SPEED', c.id);
}

/** ORD-TASK-ID and ORD-TASK-SAFE on one order answer; the task id when there is one. */
export function judgeTaskId(L: Ledger, c: Call, first: boolean): string | undefined {
  const s = success(c);
  if (!('value' in s)) {
    if (first) skipAll(L, ['ORD-TASK-ID', 'ORD-TASK-SAFE'], s.why);
    return undefined;
  }
  const failed = judgeShape(L, c, ['ORD-TASK-ID', 'ORD-TASK-SAFE']);
  const tid = s.value.task_id;
  if (failed.has('ORD-TASK-ID') || (typeof tid !== 'string' && typeof tid !== 'number')) return undefined;
  return String(tid);
}

/** ORD-TASK-UNIQUE: a second order gets a new task id (else the host truncates the first task's file). */
export function judgeTaskUnique(L: Ledger, order2: Call, task2: string | undefined, task1: string): void {
  if (task2 === undefined) L.skip('ORD-TASK-UNIQUE', `the second order gave no task id (${order2.why ?? 'see ORD-TASK-ID'})`);
  else if (task2 === task1)
    L.fail('ORD-TASK-UNIQUE', `two orders both returned task id ${JSON.stringify(task1)}: the host truncates the first task's file`, { call: order2.id, excerpt: order2.rec.stdoutExcerpt });
  else L.ok('ORD-TASK-UNIQUE', order2.id);
}
