/** The report model: what `runConformance` returns and every reporter renders. */
import type {
  Report as SchemaReport,
  Rule as SchemaRule,
  Call as SchemaCall,
  HostCall as SchemaHostCall,
} from '@bx-provider-kit/schemas';
import type { Finding } from '@bx-provider-kit/schemas';

// The report's types are generated from schemas/report.schema.json (packages/schemas
// src/types.generated.ts), so the JSON reporter's schema and the runner cannot drift apart.
export type Report = SchemaReport;
/** One verdict per selected rule. */
export type RuleResult = SchemaRule;
export type Verdict = RuleResult['status'];
/** One thing found wrong (or fragile) about the plugin, on one call or file: the kit's one finding shape. */
export type RuleFinding = Finding;
/** One plugin call the runner made (directly, not through the host emulator). */
export type CallRecord = SchemaCall;
/** One `bx-provider` action run through the emulator (HOST-*). */
export type HostCallRecord = SchemaHostCall;
export type ReportTarget = Report['target'];
export type ReportSettings = Report['settings'];

export function summaryLine(r: Report): string {
  const s = r.summary;
  return `${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} skipped`;
}
