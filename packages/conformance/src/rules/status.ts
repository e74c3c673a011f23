/**
 * STAT-* and LIFE-*: the answers to `order_status` (STAT-SCHEMA and STAT-FINISHED's shape from
 * the schema) and what a task does across calls (echo, monotonic lifecycle), which no schema sees.
 */
import type { Ledger } from '../ledger.js';
import { success, type Call } from '../call.js';
import { jsonEqual, show } from '../text.js';
import { judgeShape } from './shape.js';

export const STATUSES = ['in_progress', 'finished', 'error'];

/** STAT-* on one order_status answer; returns the answer when there is one. */
export function judgeStatus(L: Ledger, c: Call, taskId: string): { value?: Record<string, unknown>; why?: string } {
  const s = success(c);
  if (!('value' in s)) return { why: s.why };
  const v = s.value;
  judgeShape(L, c, ['STAT-SCHEMA']);
  // STAT-FINISHED: the server's shape (and its presence on "finished") is the schema's; only a
  // missing password, which works, is judged here.
  const serverProblems = (c.answer?.problems ?? []).filter((p) => p.rule === 'STAT-FINISHED');
  if (serverProblems.length || v.status === 'finished') {
    const failed = judgeShape(L, c, ['STAT-FINISHED']);
    if (!failed.has('STAT-FINISHED') && (typeof v.server_password !== 'string' || !v.server_password))
      L.warn('STAT-FINISHED', `${c.id}: "finished" without "server_password": the host cannot copy the pool's SSH key`, { call: c.id });
  }
  if (v.task_id === undefined) L.warn('STAT-ECHO', `${c.id}: no "task_id" in the answer`, { call: c.id });
  else if (String(v.task_id) !== taskId) L.warn('STAT-ECHO', `${c.id}: "task_id" is ${show(v.task_id, 40)}, not the ${JSON.stringify(taskId)} asked for`, { call: c.id });
  else L.ok('STAT-ECHO', c.id);
  if (v.status === 'error') {
    if (typeof v.message === 'string' && v.message.trim()) L.ok('STAT-ERROR-STATUS', c.id);
    else L.warn('STAT-ERROR-STATUS', `${c.id}: "status": "error" without a "message": the web interface shows nothing`, { call: c.id });
  }
  return { value: v };
}

/** LIFE-MONOTONIC on one later answer for a task that already ended; false when it moved. */
export function judgeStaysPut(L: Ledger, taskId: string, final: Record<string, unknown>, c: Call, later: { value?: Record<string, unknown>; why?: string }): boolean {
  if (!later.value) {
    if (c.answer) L.fail('LIFE-MONOTONIC', `task ${taskId} was ${final.status}, then order_status answered: ${later.why}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    else L.skip('LIFE-MONOTONIC', `a later order_status gave no answer (${later.why})`);
    return false;
  }
  const v = later.value;
  if (v.status !== final.status || (final.status === 'finished' && !jsonEqual(v.server, final.server))) {
    L.fail(
      'LIFE-MONOTONIC',
      `task ${taskId} was ${show(final.status)}${final.server !== undefined ? ` on ${show(final.server)}` : ''}, then ${show(v.status)}${v.server !== undefined ? ` on ${show(v.server)}` : ''}`,
      { call: c.id, excerpt: c.rec.stdoutExcerpt },
    );
    return false;
  }
  L.ok('LIFE-MONOTONIC', c.id);
  return true;
}

/** "in_progress ×3 → finished": a poll history, folded. */
export function summarize(h: string[]): string {
  const out: string[] = [];
  for (const s of h) {
    const last = out[out.length - 1];
    const m = last && /^(.*) ×(\d+)$/.exec(last);
    if (last === s) out[out.length - 1] = `${s} ×2`;
    else if (m && m[1] === s) out[out.length - 1] = `${s} ×${Number(m[2]) + 1}`;
    else out.push(s);
  }
  return out.join(' → ');
}
