/**
 * A plugin call as the runner recorded it: what it ran, what came back, and the answer the judges
 * read. Everything a judge needs is here (no process, no clock), so judges are pure functions of
 * calls and a context, and table tests build calls without running anything.
 */
import type { Problem } from '@bx-provider-kit/schemas';
import type { ProcessResult } from './proc.js';
import type { CallRecord } from './report.js';

export type AnswerKind = 'success' | 'error' | 'bad-error' | 'success-with-error-key';

export interface Answer {
  /** success; error (a code the host takes); bad-error (an error answer with a code it dies on); success-with-error-key. */
  kind: AnswerKind;
  value: Record<string, unknown>;
  /** validate(plugin/ACTION) of the value: the one source of every shape verdict. */
  problems: Problem[];
}

export interface Call {
  id: string;
  action: string;
  args: string[];
  rec: CallRecord;
  res: ProcessResult;
  answer?: Answer;
  /** Why the call gave no usable answer (names the rule), when it did not. */
  why?: string;
}

/** The schema kind of each action's answer (the kinds `bx-provider-kit validate` knows). */
export const ACTION_KINDS: Readonly<Record<string, string>> = {
  help: 'plugin/help',
  configs: 'plugin/configs',
  order: 'plugin/order',
  order_status: 'plugin/order_status',
};

export const isErrorKind = (a: Answer | undefined): boolean => a?.kind === 'error' || a?.kind === 'bad-error';

/** The call's answer as a success object, or the reason there is none. */
export function success(c: Call): { value: Record<string, unknown> } | { why: string } {
  if (!c.answer) return { why: c.why ?? `${c.action} gave no answer` };
  if (isErrorKind(c.answer)) {
    const m = c.answer.value.error_message ?? c.answer.value.message;
    return { why: `${c.action} answered an error${typeof m === 'string' ? `: ${oneLineOf(m, 80)}` : ''}` };
  }
  return { value: c.answer.value };
}

/** The comparable form of a call's answer: the parsed object, or the raw bytes. */
export function answerKey(c: Call): unknown {
  return c.answer ? c.answer.value : { raw: c.res.stdout.toString('latin1') };
}

/** Did not run to an answer the runner can compare (timed out or could not start). */
export const didNotRun = (c: Call): boolean => c.res.timedOut || !!c.res.spawnError;

function oneLineOf(s: string, max: number): string {
  const t = s.replace(/\n/g, '⏎');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
