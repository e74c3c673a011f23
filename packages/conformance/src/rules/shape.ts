/**
 * Shape verdicts come from the published schemas and nowhere else: a rule an answer's
 * validate() problems name fails with the text `bx-provider-kit validate` prints; a rule of the
 * area without a problem held on the call. Judges add only what a schema cannot say.
 */
import type { RuleId } from '@bx-provider-kit/schemas';
import type { Ledger } from '../ledger.js';
import type { Call } from '../call.js';

/**
 * Judges `rules` on one answered call from its schema problems; rules in `skip` get that reason
 * instead of a pass (a failed precondition). Returns the rules that failed.
 */
export function judgeShape(L: Ledger, c: Call, rules: readonly RuleId[], skip: ReadonlyMap<RuleId, string> = new Map()): Set<RuleId> {
  const failed = new Set<RuleId>();
  const problems = c.answer?.problems ?? [];
  for (const r of rules) {
    const mine = problems.filter((p) => p.rule === r);
    if (mine.length) {
      failed.add(r);
      for (const p of mine) L.fail(r, `${c.id}: ${p.message}`, { call: c.id, excerpt: c.rec.stdoutExcerpt || undefined });
    } else if (skip.has(r)) L.skip(r, skip.get(r)!);
    else L.ok(r, c.id);
  }
  return failed;
}

/** Every rule in `rules` skipped for one reason (a precondition that failed, named in `why`). */
export function skipAll(L: Ledger, rules: readonly RuleId[], why: string): void {
  for (const r of rules) L.skip(r, why);
}
