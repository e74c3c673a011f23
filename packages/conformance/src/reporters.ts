/**
 * Reporters: text (people), json (machines), junit (CI test reports), tap (TAP 14),
 * github (workflow commands + a job summary) and gitlab (a Code Quality report).
 * Each is a pure function of the report; the CLI decides where the text goes.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RuleArea } from '@bx-provider-kit/schemas';
import type { Report, RuleResult } from './report.js';
import { summaryLine } from './report.js';

export type ReporterName = 'text' | 'json' | 'junit' | 'tap' | 'github' | 'gitlab';
export const REPORTER_NAMES: readonly ReporterName[] = ['text', 'json', 'junit', 'tap', 'github', 'gitlab'];

type Paint = (on: boolean, s: string) => string;
export interface TextOptions {
  /** Colour the verdicts (the CLI decides: TTY and no NO_COLOR). */
  color?: boolean;
  paint?: { red: Paint; green: Paint; yellow: Paint; dim: Paint; bold: Paint };
  /** Show passed rules too (default true). */
  showPassed?: boolean;
  /** github, gitlab: paths in annotations are made relative to this folder (the repository root; default process.cwd()). */
  cwd?: string;
  /** github, gitlab: the text of settings.configFile, to point budget rules at the line of their key. */
  configText?: string;
}

const plain: Paint = (_on, s) => s;
const NO_PAINT = { red: plain, green: plain, yellow: plain, dim: plain, bold: plain };

const AREA_TITLE: Record<RuleArea, string> = {
  output: 'output (every action)',
  errors: 'errors and bad arguments',
  help: 'help',
  configs: 'configs',
  order: 'order',
  order_status: 'order_status',
  lifecycle: 'the order lifecycle',
  running: 'running (time, cwd, stdin, crashes)',
  package: 'the plugin folder',
  archive: 'the archive',
  host: 'the host round trip (bx-provider emulator)',
  api: 'when the API fails (fault proxy)',
  concurrency: 'concurrent calls',
};

const LABEL = { passed: 'PASS', failed: 'FAIL', warned: 'WARN', skipped: 'SKIP' } as const;

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/** The text report: grouped by area, one line per rule, details under failures and warnings, a timing table, the summary last. */
export function renderText(report: Report, opts: TextOptions = {}): string {
  const on = !!opts.color;
  const p = opts.paint ?? NO_PAINT;
  const out: string[] = [];
  const t = report.target;
  const s = report.settings;
  out.push(p.bold(on, `bx-provider-kit test: provider ${t.name} (${t.kind} ${t.path})`));
  const budgets = `call ${s.callTimeoutMs} ms, slow ${s.slowMs} ms, lifecycle ${s.lifecycleTimeoutMs} ms, poll ${s.pollIntervalMs} ms`;
  out.push(
    p.dim(
      on,
      `ordering ${s.allowOrder ? `allowed${s.configId ? ` (config ${s.configId})` : ''}` : 'not allowed (order rules skipped; --allow-order to run them)'}; budgets: ${budgets}${s.configFile ? `; settings from ${s.configFile}` : ''}`,
    ),
  );
  const idWidth = Math.max(...report.rules.map((r) => r.id.length), 10);
  let lastArea = '';
  for (const r of report.rules) {
    if (r.area !== lastArea) {
      out.push('', p.bold(on, AREA_TITLE[r.area] ?? r.area));
      lastArea = r.area;
    }
    if (r.status === 'passed' && opts.showPassed === false) continue;
    const label = LABEL[r.status];
    const colored =
      r.status === 'passed' ? p.green(on, label) : r.status === 'failed' ? p.red(on, label) : r.status === 'warned' ? p.yellow(on, label) : p.dim(on, label);
    const tail = r.status === 'passed' ? r.title : r.status === 'skipped' ? p.dim(on, r.message) : r.title;
    out.push(`  ${colored}  ${r.id.padEnd(idWidth)}  ${tail}`);
    if (r.status === 'failed' || r.status === 'warned') {
      const pad = ' '.repeat(8);
      const shown = r.findings.slice(0, 5);
      const excerpts = new Set<string>();
      for (const f of shown) {
        const mark = f.severity === 'error' ? p.red(on, '✗') : p.yellow(on, '!');
        out.push(`${pad}${mark} ${f.message}`);
        // The same output on several calls is shown once.
        if (f.excerpt && !excerpts.has(f.excerpt) && excerpts.size < 2) {
          excerpts.add(f.excerpt);
          out.push(p.dim(on, indent(f.excerpt.replace(/\n$/, ''), `${pad}  | `)));
        }
      }
      if (r.findings.length > shown.length) out.push(`${pad}… and ${r.findings.length - shown.length} more`);
      out.push(`${pad}${p.bold(on, 'host:')} ${r.host}`);
      out.push(`${pad}${p.bold(on, 'fix:')}  ${r.fix}`);
    }
  }
  if (report.calls.length) {
    out.push('', p.bold(on, 'calls'));
    const w = Math.max(4, ...report.calls.map((c) => c.id.length));
    out.push(p.dim(on, `  ${'call'.padEnd(w)}  ${'ms'.padStart(7)}  ${'exit'.padStart(7)}  ${'stdout'.padStart(9)}  ${'stderr'.padStart(9)}  note`));
    for (const c of report.calls) {
      const exit = c.spawnError ?? (c.timedOut ? 'killed' : c.signal ?? String(c.exitCode));
      const note = [c.timedOut ? `over the ${c.budgetMs} ms budget` : '', c.stdoutTruncated ? 'stdout cut at 1 MiB' : '', c.cwd === 'plugin' ? 'cwd = plugin folder' : '', c.stdin === 'open' ? 'stdin open' : '']
        .filter(Boolean)
        .join(', ');
      out.push(`  ${c.id.padEnd(w)}  ${String(c.durationMs).padStart(7)}  ${exit.padStart(7)}  ${fmtBytes(c.stdoutBytes).padStart(9)}  ${fmtBytes(c.stderrBytes).padStart(9)}  ${note}`.trimEnd());
    }
  }
  if (report.hostCalls.length) {
    out.push('', p.bold(on, 'host round trip'));
    const w = Math.max(...report.hostCalls.map((c) => c.id.length));
    for (const c of report.hostCalls) {
      out.push(`  ${c.id.padEnd(w)}  ${String(c.durationMs).padStart(6)} ms  exit ${c.exitCode}  (${c.pluginCalls} plugin call${c.pluginCalls === 1 ? '' : 's'})`);
    }
  }
  if (report.bailed) out.push('', p.yellow(on, '--bail: stopped after the first failure; rules not reached are skipped'));
  out.push('', `total ${report.durationMs} ms`);
  const line = summaryLine(report);
  out.push(report.summary.failed ? p.red(on, line) : p.green(on, line));
  return out.join('\n') + '\n';
}

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}

// ---- time per rule

/** The time of the calls that judged a rule (plugin calls and host round trips), in ms. */
export function ruleTimeMs(report: Report, r: RuleResult): number {
  if (!r.calls.length) return 0;
  const ms = new Map<string, number>();
  for (const c of report.calls) ms.set(c.id, c.durationMs);
  for (const c of report.hostCalls) ms.set(c.id, c.durationMs);
  let total = 0;
  for (const id of r.calls) total += ms.get(id) ?? 0;
  return total;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

// ---- JUnit

const XML_BAD = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
function xml(s: string): string {
  return s
    .replace(XML_BAD, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function details(r: RuleResult): string {
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(`${f.severity === 'error' ? 'error' : 'warning'}: ${f.message}`);
    if (f.excerpt) lines.push(...f.excerpt.split('\n').map((l) => `  | ${l}`));
  }
  lines.push(`host: ${r.host}`, `fix: ${r.fix}`);
  return lines.join('\n');
}

/**
 * JUnit XML in the shape of the Jenkins xunit junit-10.xsd (what CI importers follow; the
 * project's copy is packages/conformance/xsd/junit-10.xsd): one testcase per rule, classname by area,
 * its time the time of the calls that judged it; failures carry message and excerpt; skipped
 * rules are <skipped>; <testsuites> carries no `skipped` (the XSD has none there).
 */
export function renderJunit(report: Report): string {
  const s = report.summary;
  const suiteName = `bx-provider-kit conformance: ${report.target.name}`;
  const time = seconds(report.durationMs);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${xml(suiteName)}" tests="${report.rules.length}" failures="${s.failed}" errors="0" disabled="0" time="${time}">`);
  out.push(
    `  <testsuite name="${xml(suiteName)}" tests="${report.rules.length}" failures="${s.failed}" errors="0" skipped="${s.skipped}" disabled="0" time="${time}" timestamp="${xml(report.startedAt.replace(/(\.\d+)?Z$/, ''))}" id="0" package="bx-provider-kit">`,
  );
  out.push('    <properties>');
  out.push(`      <property name="target" value="${xml(report.target.path)}"/>`);
  out.push(`      <property name="kind" value="${report.target.kind}"/>`);
  out.push(`      <property name="allowOrder" value="${report.settings.allowOrder}"/>`);
  out.push('    </properties>');
  for (const r of report.rules) {
    const name = `${r.id}: ${r.title}`;
    const head = `    <testcase classname="bx-provider-kit.${xml(r.area)}" name="${xml(name)}" time="${seconds(ruleTimeMs(report, r))}"`;
    if (r.status === 'passed') {
      out.push(`${head}/>`);
    } else if (r.status === 'skipped') {
      out.push(`${head}>`, `      <skipped message="${xml(r.message)}"/>`, '    </testcase>');
    } else if (r.status === 'failed') {
      out.push(`${head}>`, `      <failure message="${xml(r.message)}" type="${xml(r.id)}">${xml(details(r))}</failure>`, '    </testcase>');
    } else {
      out.push(`${head}>`, `      <system-out>${xml(`WARNING ${r.id}: ${r.message}\n${details(r)}`)}</system-out>`, '    </testcase>');
    }
  }
  out.push('  </testsuite>', '</testsuites>');
  return out.join('\n') + '\n';
}

// ---- TAP

/** TAP 14 (testanything.org/tap-version-14-specification): one test point per rule; skipped rules `# SKIP reason`; failures and warnings with a YAML block. */
export function renderTap(report: Report): string {
  const out: string[] = ['TAP version 14', `1..${report.rules.length}`];
  const q = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar
  // A description or a directive reason: one line, `\` and `#` escaped as TAP 14 asks.
  const desc = (s: string) => s.replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\').replace(/#/g, '\\#');
  report.rules.forEach((r, i) => {
    const n = i + 1;
    const d = desc(`${r.id}: ${r.title}`);
    if (r.status === 'skipped') out.push(`ok ${n} - ${d} # SKIP ${desc(r.message)}`);
    else if (r.status === 'passed') out.push(`ok ${n} - ${d}`);
    else {
      out.push(`${r.status === 'failed' ? 'not ok' : 'ok'} ${n} - ${d}`);
      out.push('  ---');
      out.push(`  severity: ${r.status === 'failed' ? 'error' : 'warning'}`);
      out.push(`  message: ${q(r.message)}`);
      out.push(`  duration_ms: ${ruleTimeMs(report, r)}`);
      out.push('  findings:');
      for (const f of r.findings) {
        out.push(`    - message: ${q(f.message)}`);
        if (f.call) out.push(`      call: ${q(f.call)}`);
        if (f.entry) out.push(`      entry: ${q(f.entry)}`);
        if (f.excerpt) out.push(`      excerpt: ${q(f.excerpt)}`);
      }
      out.push(`  host: ${q(r.host)}`);
      out.push(`  fix: ${q(r.fix)}`);
      out.push('  ...');
    }
  });
  out.push(`# ${summaryLine(report)}`);
  return out.join('\n') + '\n';
}

// ---- where a finding points (github, gitlab)

/** The key of conformance.json that sets the budget a rule is judged against. */
const BUDGET_KEY: Partial<Record<string, string>> = {
  'RUN-TIMEOUT': 'callTimeoutMs',
  'RUN-SLOW': 'slowMs',
  'ORD-SPEED': 'slowMs',
  'LIFE-REACHES-END': 'lifecycleTimeoutMs',
};
/** Rules about the first line of bin/NAME. */
const LINE_ONE = new Set(['PKG-SHEBANG', 'ARCH-SHEBANG']);

export interface Location {
  /** A path relative to opts.cwd (the repository root), `/` separated. */
  file: string;
  line?: number;
}

function rel(p: string, cwd: string): string {
  const r = path.relative(cwd, path.resolve(cwd, p));
  return (r === '' ? '.' : r).split(path.sep).join('/');
}

function lineOf(text: string, key: string): number {
  const i = text.indexOf(`"${key}"`);
  return i < 0 ? 0 : text.slice(0, i).split('\n').length;
}

/**
 * Where a failed or warned rule points, when it points somewhere in the repository: the file
 * or archive entry of its first finding (an archive's entries are reported on the archive),
 * the conformance.json line of the budget it was judged against, or bin/NAME for a rule
 * judged on the plugin's calls. Undefined for a rule about something that is not a file.
 */
export function locate(report: Report, r: RuleResult, opts: TextOptions = {}): Location | undefined {
  const cwd = opts.cwd ?? process.cwd();
  const t = report.target;
  const entry = r.findings.find((f) => f.entry)?.entry;
  const line = LINE_ONE.has(r.id) ? 1 : undefined;
  if (t.kind === 'archive') {
    if (entry !== undefined || r.area === 'archive') return { file: rel(t.path, cwd) };
  } else if (entry !== undefined && t.kind === 'folder') {
    return { file: rel(path.join(t.path, entry), cwd), ...(line ? { line } : {}) };
  }
  const key = BUDGET_KEY[r.id];
  if (key && report.settings.configFile && opts.configText !== undefined) {
    const l = lineOf(opts.configText, key);
    if (l) return { file: rel(report.settings.configFile, cwd), line: l };
  }
  if (t.kind === 'folder' && (r.calls.length || r.area === 'package')) {
    return { file: rel(path.join(t.path, 'bin', t.name), cwd), ...(line ? { line } : {}) };
  }
  if (t.kind === 'executable' && (r.calls.length || line)) return { file: rel(t.path, cwd), ...(line ? { line } : {}) };
  return undefined;
}

const flagged = (report: Report) => report.rules.filter((r) => r.status === 'failed' || r.status === 'warned');

/** The findings of a rule in one line each (at most five), for annotations and summaries. */
function findingLines(r: RuleResult, max = 5): string[] {
  const lines = r.findings.slice(0, max).map((f) => f.message);
  if (r.findings.length > max) lines.push(`… and ${r.findings.length - max} more`);
  if (!lines.length) lines.push(r.message);
  return lines;
}

// ---- GitHub Actions

/** Workflow command data: %, CR and LF escaped (docs.github.com, "Workflow commands"). */
const ghData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** Workflow command property values: also `:` and `,`. */
const ghProp = (s: string) => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * GitHub workflow commands: one `::error` per failed rule and one `::warning` per warned rule,
 * titled `RULE-ID: title`, with file and line where one applies; the message lists the
 * findings and the fix. A last `::notice` gives the summary line.
 */
export function renderGithub(report: Report, opts: TextOptions = {}): string {
  const out: string[] = [];
  for (const r of flagged(report)) {
    const props: string[] = [];
    const loc = locate(report, r, opts);
    if (loc) {
      props.push(`file=${ghProp(loc.file)}`);
      if (loc.line) props.push(`line=${loc.line}`);
    }
    props.push(`title=${ghProp(`${r.id}: ${r.title}`)}`);
    const msg = [...findingLines(r), `fix: ${r.fix}`].join('\n');
    out.push(`::${r.status === 'failed' ? 'error' : 'warning'} ${props.join(',')}::${ghData(msg)}`);
  }
  const verdict = report.ok ? 'passed' : 'failed';
  out.push(`::notice title=${ghProp(`bx-provider-kit test ${verdict}`)}::${ghData(`provider ${report.target.name}: ${summaryLine(report)}`)}`);
  return out.join('\n') + '\n';
}

const md = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const mdCode = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** The Markdown job summary ($GITHUB_STEP_SUMMARY): verdict, failed and warned rules with their fix, the calls' time. */
export function renderGithubSummary(report: Report): string {
  const t = report.target;
  const s = report.summary;
  const out: string[] = [];
  out.push(`### ${report.ok ? '✅' : '❌'} bx-provider-kit test: provider ${mdCode(t.name)} ${report.ok ? 'passed' : 'failed'}`, '');
  out.push(
    `**${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} skipped** · ${t.kind} ${mdCode(t.path)} · ordering ${report.settings.allowOrder ? 'allowed' : 'not allowed'} · ${seconds(report.durationMs)} s`,
    '',
  );
  const rows = flagged(report);
  if (rows.length) {
    out.push('| | rule | what was found | fix |', '|---|---|---|---|');
    for (const r of rows) {
      out.push(`| ${r.status === 'failed' ? '❌' : '⚠️'} | ${mdCode(r.id)} ${md(r.title)} | ${findingLines(r, 3).map(md).join('<br>')} | ${md(r.fix)} |`);
    }
    out.push('');
  } else {
    out.push('No rule failed or warned.', '');
  }
  if (report.calls.length || report.hostCalls.length) {
    const total = report.calls.reduce((a, c) => a + c.durationMs, 0) + report.hostCalls.reduce((a, c) => a + c.durationMs, 0);
    const n = report.calls.length + report.hostCalls.length;
    out.push(`<details><summary>${n} call${n === 1 ? '' : 's'}, ${seconds(total)} s in all (the slowest first)</summary>`, '');
    out.push('| call | ms | exit |', '|---|---:|---|');
    const all = [
      ...report.calls.map((c) => ({ id: c.id, ms: c.durationMs, exit: c.spawnError ?? (c.timedOut ? 'killed' : c.signal ?? String(c.exitCode)) })),
      ...report.hostCalls.map((c) => ({ id: c.id, ms: c.durationMs, exit: String(c.exitCode) })),
    ].sort((a, b) => b.ms - a.ms);
    for (const c of all.slice(0, 20)) out.push(`| ${mdCode(c.id)} | ${c.ms} | ${md(c.exit)} |`);
    if (all.length > 20) out.push(`| … and ${all.length - 20} more | | |`);
    out.push('', '</details>', '');
  }
  return out.join('\n') + '\n';
}

// ---- GitLab Code Quality

/** A GitLab Code Quality issue (docs.gitlab.com, "Code Quality report format"). */
export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

/**
 * A GitLab Code Quality report: one issue per failed (major) or warned (minor) rule. The
 * fingerprint hashes the rule, the provider and the location, so the same problem keeps its
 * fingerprint from run to run and a merge request shows what it fixed or introduced.
 */
export function renderGitlab(report: Report, opts: TextOptions = {}): string {
  const issues: CodeQualityIssue[] = flagged(report).map((r) => {
    const loc = locate(report, r, opts) ?? { file: rel(report.target.path, opts.cwd ?? process.cwd()) };
    return {
      description: `${r.id}: ${r.title}: ${findingLines(r, 3).join('; ')} (fix: ${r.fix})`,
      check_name: r.id,
      fingerprint: createHash('sha256').update(`${r.id}\0${report.target.name}\0${loc.file}`).digest('hex'),
      severity: r.status === 'failed' ? 'major' : 'minor',
      location: { path: loc.file, lines: { begin: loc.line ?? 1 } },
    };
  });
  return JSON.stringify(issues, null, 2) + '\n';
}

export const reporters: Record<ReporterName, (r: Report, o?: TextOptions) => string> = {
  text: renderText,
  json: renderJson,
  junit: renderJunit,
  tap: renderTap,
  github: renderGithub,
  gitlab: renderGitlab,
};
