/**
 * The one finding shape of the kit. `test` (a rule's findings in the report), `validate` (a
 * document's problems), `verify` and `pack` (an archive's or a folder's findings) all report
 * this: the report schema's `$defs/finding` (schemas/report.schema.json) defines it, the type
 * is generated from there, and this module adds the catalogue's id type and the helpers.
 */
import { rule as ruleDef, type RuleId } from './rules.js';
import type { Finding as SchemaFinding } from './types.generated.js';

/** One thing found wrong (or fragile): the rule it breaks, how bad, what, where, and the fix. */
export type Finding = Omit<SchemaFinding, 'rule'> & {
  /** A catalogue id, or SCHEMA for a document kind that carries no rule ids. */
  rule: RuleId | 'SCHEMA';
};

/** A finding inside a document (validate): always an error, always with its JSON Pointer. */
export type Problem = Finding & { severity: 'error'; path: string };

/** A finding with the catalogue's fix filled in (verify, pack). */
export type FixedFinding = Finding & { fix: string };

/**
 * A finding of rule `id` (a typo is an error: ids are the catalogue's), with the catalogue's
 * fix unless one is given, about `entry` (a file or an archive entry) when there is one.
 */
export function finding(id: RuleId, severity: 'error' | 'warning', entry: string | undefined, message: string, fix?: string): FixedFinding {
  const def = ruleDef(id);
  const f: FixedFinding = { rule: id, severity, message, fix: fix ?? def.fix };
  if (entry !== undefined) f.entry = entry;
  return f;
}

/** Keeps at most `perRule` findings of each rule and severity, and one entry-less line for the rest. */
export function capFindings<F extends Finding>(findings: F[], perRule = 20): F[] {
  const seen = new Map<string, number>();
  const out: F[] = [];
  const dropped = new Map<string, F[]>();
  for (const f of findings) {
    const key = `${f.rule}\u0000${f.severity}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= perRule) out.push(f);
    else dropped.set(key, [...(dropped.get(key) ?? []), f]);
  }
  for (const list of dropped.values()) {
    const f = list[0]!;
    const rest = { rule: f.rule, severity: f.severity, message: `${list.length} more entries break ${f.rule} (not listed)` } as F;
    if (f.fix !== undefined) rest.fix = f.fix;
    out.push(rest);
  }
  return out;
}

export const hasErrors = (findings: readonly Finding[]): boolean => findings.some((f) => f.severity === 'error');
