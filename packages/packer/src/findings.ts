import { rule } from '@bx-provider-kit/schemas';

/** One problem found in a plugin folder or an archive (docs/internals.md). */
export interface Finding {
  /** A rule id from packages/schemas/src/rules.ts (ARCH-*, PKG-*). */
  rule: string;
  severity: 'error' | 'warning';
  /** The archive entry or folder path it concerns, as stored. */
  entry?: string;
  /** One line: what is wrong. */
  message: string;
  /** One line: how to fix it. */
  fix: string;
}

export function finding(id: string, severity: 'error' | 'warning', entry: string | undefined, message: string, fix?: string): Finding {
  const def = rule(id); // throws on a typo: rule ids are the catalogue's
  const f: Finding = { rule: id, severity, message, fix: fix ?? def.fix };
  if (entry !== undefined) f.entry = entry;
  return f;
}

/** Keeps at most `perRule` findings of each rule and entry-less summary lines for the rest. */
export function capFindings(findings: Finding[], perRule = 20): Finding[] {
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  const dropped = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.rule}\u0000${f.severity}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= perRule) out.push(f);
    else dropped.set(key, [...(dropped.get(key) ?? []), f]);
  }
  for (const list of dropped.values()) {
    const f = list[0]!;
    out.push({ rule: f.rule, severity: f.severity, message: `${list.length} more entries break ${f.rule} (not listed)`, fix: f.fix });
  }
  return out;
}

export const hasErrors = (fs: Finding[]): boolean => fs.some((f) => f.severity === 'error');
