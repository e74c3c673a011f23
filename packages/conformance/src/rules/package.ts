/** PKG-* and ARCH-*: the packer's findings on the plugin folder and the archive, as verdicts. */
import { RULES, isRuleId, type Finding, type RuleId } from '@bx-provider-kit/schemas';
import type { Ledger } from '../ledger.js';

export const PACKAGE_RULES: RuleId[] = RULES.filter((r) => r.area === 'package').map((r) => r.id);
export const ARCHIVE_RULES: RuleId[] = RULES.filter((r) => r.area === 'archive').map((r) => r.id);

function record(L: Ledger, f: Finding): void {
  if (!isRuleId(f.rule)) throw new Error(`the packer reported an unknown rule ${f.rule}`);
  L.find(f.rule, f.severity, f.entry ? `${f.entry}: ${f.message}` : f.message, f.entry ? { entry: f.entry } : {});
}

/** ARCH-* (and the PKG-* verify reports) from verifyArchive's findings. */
export function judgeArchive(L: Ledger, findings: Finding[], format: string): void {
  const unreadable = findings.some((f) => f.rule === 'ARCH-FORMAT' && f.severity === 'error');
  for (const f of findings) if (ARCHIVE_RULES.includes(f.rule as RuleId) || f.rule.startsWith('PKG-')) record(L, f);
  for (const id of ARCHIVE_RULES) {
    if (findings.some((f) => f.rule === id)) continue;
    if (id === 'ARCH-ZIP-MODES' && format !== 'zip') {
      L.skip(id, 'the archive is not a .zip');
      continue;
    }
    // Every other archive rule requires a readable archive.
    const nameIndependent = id === 'ARCH-SUFFIX' || id === 'ARCH-FILENAME' || id === 'ARCH-FORMAT';
    if (unreadable && !nameIndependent) L.skip(id, 'the archive could not be read (ARCH-FORMAT)');
    else L.ok(id);
  }
}

/** PKG-* from checkPluginFolder's findings; `salvagedBecause`: only the archive's safe entries were there. */
export function judgePackage(L: Ledger, findings: Finding[], salvagedBecause?: string): void {
  if (salvagedBecause) {
    for (const r of PACKAGE_RULES) L.note(r, `judged on the archive's safe entries only (the archive breaks ${salvagedBecause}; the runner did not unpack the rest)`);
  }
  for (const f of findings) if (f.rule.startsWith('PKG-')) record(L, f);
  for (const r of PACKAGE_RULES) if (!findings.some((f) => f.rule === r)) L.ok(r);
}
