/** The report model: what `runConformance` returns and every reporter renders. */
import type { RuleArea, Severity } from '@bx-provider-kit/schemas';

export type Verdict = 'passed' | 'failed' | 'warned' | 'skipped';

/** One thing found wrong (or fragile) about the plugin, on one call or file. */
export interface RuleFinding {
  severity: Severity;
  /** What was found, in words (one line). */
  message: string;
  /** The call it was found on (an id of `Report.calls`), if any. */
  call?: string;
  /** A file or archive entry, if any. */
  entry?: string;
  /** What the plugin printed (cut to a few lines), if relevant. */
  excerpt?: string;
}

export interface RuleResult {
  id: string;
  area: RuleArea;
  title: string;
  /** The rule's severity as catalogued (`error|warning` rules pick per finding). */
  severity: Severity | 'error|warning';
  status: Verdict;
  /** One line: why it passed, failed, warned or was skipped. */
  message: string;
  findings: RuleFinding[];
  /** What the real host does when this rule is broken (from the catalogue). */
  host: string;
  /** How to fix it (from the catalogue). */
  fix: string;
  /** The calls this rule was checked on. */
  calls: string[];
}

/** One plugin call the runner made (directly, not through the host emulator). */
export interface CallRecord {
  id: string;
  /** Why this call was made, e.g. "help (2nd call, RUN-DETERMINISTIC)". */
  purpose: string;
  argv: string[];
  cwd: 'empty' | 'plugin';
  stdin: 'closed' | 'open';
  budgetMs: number;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  spawnError?: string;
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  /** The start of stdout and stderr (escaped, at most a few hundred characters). */
  stdoutExcerpt: string;
  stderrExcerpt: string;
}

/** One `bx-provider` action run through the emulator (HOST-*). */
export interface HostCallRecord {
  id: string;
  args: string[];
  exitCode: number;
  durationMs: number;
  pluginCalls: number;
  /** The plugin's argv (after bin/NAME) of each call the emulated host made. */
  pluginArgv: string[][];
  stdoutExcerpt: string;
  stderrExcerpt: string;
}

export interface ReportTarget {
  /** The path as given. */
  path: string;
  kind: 'folder' | 'archive' | 'executable';
  name: string;
  /** The folder whose bin/NAME was run (the installed copy for an archive). */
  pluginDir?: string;
  executable: string;
}

export interface ReportSettings {
  allowOrder: boolean;
  configId?: string;
  callTimeoutMs: number;
  slowMs: number;
  lifecycleTimeoutMs: number;
  pollIntervalMs: number;
  /** Where the settings came from (a conformance.json, --config, defaults). */
  configFile?: string;
}

export interface Report {
  tool: 'bx-provider-kit';
  version: string;
  target: ReportTarget;
  settings: ReportSettings;
  startedAt: string;
  durationMs: number;
  /** Every selected rule, in catalogue order. */
  rules: RuleResult[];
  calls: CallRecord[];
  hostCalls: HostCallRecord[];
  summary: { passed: number; failed: number; warned: number; skipped: number };
  /** No rule failed. */
  ok: boolean;
  /** --bail stopped the run after a failure: rules not reached are skipped. */
  bailed: boolean;
}

export function summaryLine(r: Report): string {
  const s = r.summary;
  return `${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} skipped`;
}
