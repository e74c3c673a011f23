/**
 * OUT-*: what the host makes of a call's stdout (readPluginStdout, byte for byte), and the
 * answer the other judges read: classified as validate() classifies it, with its problems.
 */
import { isErrorAnswer, isErrorCode, getSchema, readPluginStdout, validate, type Problem } from '@bx-provider-kit/schemas';
import type { Ledger } from '../ledger.js';
import { ACTION_KINDS, type Answer, type AnswerKind, type Call } from '../call.js';
import { isValidUtf8 } from '../text.js';

/** Keys that make an answer to an action without a schema (an unknown action) a success answer. */
const DATA_KEYS = ['options', 'configurations', 'task_id', 'status', 'server'];

function requiredOf(kind: string | undefined): string[] {
  if (!kind) return DATA_KEYS;
  const r = getSchema(kind).required;
  return Array.isArray(r) ? (r as string[]) : [];
}

/**
 * The answer of `action` as `bx-provider-kit validate plugin/ACTION` sees it: error answer or
 * success (isErrorAnswer, with the action's required keys), and every problem of its schema.
 */
export function classify(action: string, value: Record<string, unknown>): Answer {
  const kind = ACTION_KINDS[action];
  const errorAnswer = isErrorAnswer(value, requiredOf(kind));
  let problems: Problem[];
  if (kind) problems = validate(kind, value).problems;
  else if (errorAnswer) problems = validate('plugin/error', value).problems;
  else if ('error' in value)
    problems = [{ rule: 'ERR-SUCCESS-KEY', severity: 'error', path: '/error', message: `/error: is present (${JSON.stringify(value.error)}) in a success answer: any "error" key makes the host drop the data of a success answer (ERR-SUCCESS-KEY)` }];
  else problems = [];
  let k: AnswerKind;
  if (errorAnswer) k = isErrorCode(value.error) ? 'error' : 'bad-error';
  else k = 'error' in value ? 'success-with-error-key' : 'success';
  return { kind: k, value, problems };
}

/** OUT-* on one call's stdout; sets `c.answer` (or `c.why` when there is none to judge). */
export function judgeOutput(L: Ledger, c: Call): void {
  if (c.why) return; // timed out or crashed: the output is not judged (see RUN-*)
  const { res, id } = c;
  const ex = c.rec.stdoutExcerpt;
  if (res.stdoutTruncated) {
    L.fail('OUT-SIZE', `${id}: printed more than 1 MiB on stdout (the runner stopped reading at 1 MiB and ended the call)`, { call: id, excerpt: ex });
    c.why = `${c.action} printed over 1 MiB (OUT-SIZE)`;
    return;
  }
  L.ok('OUT-SIZE', id);
  const bytes = res.stdout;
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (!hasBom) L.ok('OUT-BOM', id);
  if (isValidUtf8(bytes)) L.ok('OUT-UTF8', id);
  if (/[^\s]/.test(bytes.toString('latin1'))) L.ok('OUT-EMPTY', id);
  const r = readPluginStdout(bytes);
  if (!r.ok) {
    const msg = bytes.length === 0 ? 'printed nothing on stdout' : r.message;
    L.fail(r.rule, `${id}: ${msg}`, { call: id, excerpt: ex || undefined });
    c.why = `${c.action || 'the call'} printed no usable JSON object (${r.rule})`;
    return;
  }
  for (const rid of ['OUT-EMPTY', 'OUT-JSON', 'OUT-BOM', 'OUT-OBJECT', 'OUT-UTF8'] as const) L.ok(rid, id);
  const text = r.text;
  const trailing = text.slice(text.trimEnd().length);
  if (trailing === '\n') L.ok('OUT-NEWLINE', id);
  else
    L.warn('OUT-NEWLINE', `${id}: the document is followed by ${trailing === '' ? 'no newline' : JSON.stringify(trailing)} instead of one "\\n"`, {
      call: id,
    });
  c.answer = classify(c.action, r.value);
  const kind = c.answer.kind;
  if (kind === 'success' || kind === 'success-with-error-key') {
    if (res.stderrBytes > 0)
      L.warn('OUT-STDERR', `${id}: ${res.stderrBytes} bytes on stderr on a successful call`, { call: id, excerpt: c.rec.stderrExcerpt });
    else L.ok('OUT-STDERR', id);
  }
}
