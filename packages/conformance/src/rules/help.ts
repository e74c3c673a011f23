/** HELP-*: the answer to `help` (HELP-SCHEMA, HELP-REQUIRED, HELP-STATUS's error and HELP-ERROR from the schema). */
import type { RuleId } from '@bx-provider-kit/schemas';
import type { Ledger } from '../ledger.js';
import { isErrorKind, success, type Call } from '../call.js';
import { oneLine, show } from '../text.js';
import { judgeShape, skipAll } from './shape.js';

export const HELP_RULES = ['HELP-SCHEMA', 'HELP-REQUIRED', 'HELP-UNKNOWN', 'HELP-STATUS', 'HELP-ERROR'] as const satisfies readonly RuleId[];
/** The actions the host knows (HELP-UNKNOWN): anything else in `options` is ignored by it. */
export const KNOWN_OPTIONS = ['help', 'init', 'configs', 'order', 'order_status'];

export function judgeHelp(L: Ledger, help: Call): void {
  const id = help.id;
  if (help.answer && isErrorKind(help.answer)) {
    const p = help.answer.problems.find((x) => x.rule === 'HELP-ERROR');
    const m = help.answer.value.error_message ?? help.answer.value.message;
    L.fail('HELP-ERROR', p ? `${id}: ${p.message}` : `help answered an error${typeof m === 'string' ? `: ${oneLine(m, 100)}` : ''}`, { call: id, excerpt: help.rec.stdoutExcerpt });
    skipAll(L, ['HELP-SCHEMA', 'HELP-REQUIRED', 'HELP-UNKNOWN', 'HELP-STATUS'], 'help answered an error (HELP-ERROR)');
    return;
  }
  const s = success(help);
  if (!('value' in s)) return skipAll(L, HELP_RULES, s.why);
  L.ok('HELP-ERROR', id);
  const opts = s.value.options;
  // HELP-REQUIRED and HELP-UNKNOWN read the list: they require "options" to be an array.
  const notList = Array.isArray(opts) ? undefined : '"options" is not an array (HELP-SCHEMA)';
  const failed = judgeShape(L, help, ['HELP-SCHEMA', 'HELP-REQUIRED', 'HELP-STATUS'], new Map(notList ? [['HELP-REQUIRED', notList]] : []));
  if (notList) L.skip('HELP-UNKNOWN', notList);
  else {
    const unknown = (opts as unknown[]).filter((o) => typeof o === 'string' && !KNOWN_OPTIONS.includes(o));
    if (unknown.length) L.warn('HELP-UNKNOWN', `"options" names ${unknown.map((u) => JSON.stringify(u)).join(', ')}, which the host does not know (ignored)`, { call: id });
    else L.ok('HELP-UNKNOWN', id);
  }
  if (failed.has('HELP-STATUS')) return;
  // What the schema allows but the host treats as less than "enabled": warnings.
  const st = s.value.status;
  if (st === undefined) L.warn('HELP-STATUS', 'help has no "status": the host shows the provider as "exists"', { call: id });
  else if (st !== 'enabled') L.warn('HELP-STATUS', `help answers "status": ${show(st)}: the host passes it through as the provider's status (expected "enabled")`, { call: id });
}
