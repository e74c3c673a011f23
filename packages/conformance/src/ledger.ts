/**
 * The rule ledger: every check reports to it (checked-and-held, a finding, or a reason it
 * could not run), and it turns that into one verdict per rule. A rule is `passed` only if it
 * was actually checked at least once and nothing was found; a rule never checked is `skipped`
 * with the reason, never passed.
 */
import { RULES, rule as ruleDef, type RuleId, type Severity } from '@bx-provider-kit/schemas';
import type { RuleFinding, RuleResult, Verdict } from './report.js';

/** Where a finding was seen and what was printed: the rest of a finding, which the ledger fills in. */
export type FindingPlace = Omit<RuleFinding, 'rule' | 'severity' | 'message'>;

interface Entry {
  checked: number;
  calls: Set<string>;
  findings: RuleFinding[];
  skips: string[];
  notes: string[];
}

export class Ledger {
  private entries = new Map<string, Entry>();

  private entry(id: RuleId): Entry {
    ruleDef(id); // throws on a typo in the kit
    let e = this.entries.get(id);
    if (!e) {
      e = { checked: 0, calls: new Set(), findings: [], skips: [], notes: [] };
      this.entries.set(id, e);
    }
    return e;
  }

  /** The rule was checked (on `call`, if given) and held. */
  ok(id: RuleId, call?: string): void {
    const e = this.entry(id);
    e.checked++;
    if (call) e.calls.add(call);
  }

  /** The rule was checked and broken. */
  find(id: RuleId, severity: Severity, message: string, extra: FindingPlace = {}): void {
    const e = this.entry(id);
    e.checked++;
    if (extra.call) e.calls.add(extra.call);
    // The same message on another call adds nothing but noise: keep one per (message, call).
    if (e.findings.some((f) => f.message === message && f.call === extra.call && f.entry === extra.entry)) return;
    e.findings.push({ rule: id, severity, message, ...extra });
  }

  fail(id: RuleId, message: string, extra: FindingPlace = {}): void {
    this.find(id, 'error', message, extra);
  }

  warn(id: RuleId, message: string, extra: FindingPlace = {}): void {
    this.find(id, 'warning', message, extra);
  }

  /** The rule could not be checked here (a precondition failed, or it does not apply). */
  skip(id: RuleId, reason: string): void {
    const e = this.entry(id);
    if (!e.skips.includes(reason)) e.skips.push(reason);
  }

  /** Something worth saying about a rule that ran (e.g. a part of it could not run). */
  note(id: RuleId, text: string): void {
    const e = this.entry(id);
    if (!e.notes.includes(text)) e.notes.push(text);
  }

  /** Every rule some judge reported on (checked, found or skipped). */
  touched(): RuleId[] {
    return [...this.entries.keys()] as RuleId[];
  }

  /** Neither checked nor given a reason to skip. */
  untouched(id: RuleId): boolean {
    const e = this.entries.get(id);
    return !e || (!e.checked && !e.skips.length);
  }

  hasFailure(): boolean {
    for (const e of this.entries.values()) if (e.findings.some((f) => f.severity === 'error')) return true;
    return false;
  }

  status(id: RuleId): Verdict {
    const e = this.entries.get(id);
    if (!e) return 'skipped';
    if (e.findings.some((f) => f.severity === 'error')) return 'failed';
    if (e.findings.length) return 'warned';
    return e.checked ? 'passed' : 'skipped';
  }

  /** The verdict of every rule in `ids` (catalogue order), with `forced` skips applied first. */
  results(ids: Set<string>, forced: Map<string, string>): RuleResult[] {
    const out: RuleResult[] = [];
    for (const def of RULES) {
      if (!ids.has(def.id)) continue;
      const e = this.entries.get(def.id);
      const base = { id: def.id, area: def.area, title: def.title, severity: def.severity, host: def.host, fix: def.fix };
      const forcedReason = forced.get(def.id);
      if (forcedReason) {
        out.push({ ...base, status: 'skipped', message: forcedReason, findings: [], calls: [] });
        continue;
      }
      const status = this.status(def.id);
      const findings = e?.findings ?? [];
      let message: string;
      if (status === 'failed' || status === 'warned') {
        const first = findings.find((f) => f.severity === (status === 'failed' ? 'error' : 'warning'))!;
        message = first.message + (findings.length > 1 ? ` (and ${findings.length - 1} more)` : '');
      } else if (status === 'passed') {
        const n = e!.calls.size;
        message = n ? `held on ${n} call${n === 1 ? '' : 's'}` : 'held';
        if (e!.notes.length) message += `; ${e!.notes.join('; ')}`;
      } else {
        message = e?.skips.length ? e.skips.join('; ') : 'not checked: no call reached this rule';
      }
      out.push({ ...base, status, message, findings, calls: [...(e?.calls ?? [])] });
    }
    return out;
  }
}
