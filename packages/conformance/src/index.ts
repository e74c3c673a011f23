/**
 * @bx-provider-kit/conformance: runs a provider plugin as BitrixVM's bx-provider does and
 * judges every rule of the host contract (docs/rules.md).
 */
export { runConformance, NO_ORDER_REASON, VERSION, type RunOptions } from './runner.js';
export { DEFAULT_SETTINGS } from './settings.js';
export type { Report, RuleResult, RuleFinding, CallRecord, HostCallRecord, ReportTarget, ReportSettings, Verdict } from './report.js';
export { summaryLine } from './report.js';
export { parseConfig, loadConfig, lineOfKey, DEFAULTS, CONFIG_KEYS, type ConformanceConfig, type SkipEntry } from './config.js';
export {
  reporters,
  REPORTER_NAMES,
  renderText,
  renderJson,
  renderJunit,
  renderTap,
  renderGithub,
  renderGithubSummary,
  renderGitlab,
  ruleTimeMs,
  locate,
  type ReporterName,
  type TextOptions,
  type CodeQualityIssue,
  type Location,
} from './reporters.js';
export { conformanceSuite, type SuiteOptions } from './mocha.js';
export { runProcess, ProcessTracker, killAllGroups, OUTPUT_CAP, type ProcessSpec, type ProcessResult } from './proc.js';
