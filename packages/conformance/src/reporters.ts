/** Reporters: text (people), json (machines), junit (CI test reports), tap. */
import type { RuleArea } from '@bx-provider-kit/schemas';
import type { Report, RuleResult } from './report.js';
import { summaryLine } from './report.js';

export type ReporterName = 'text' | 'json' | 'junit' | 'tap';

type Paint = (on: boolean, s: string) => string;
export interface TextOptions {
  /** Colour the verdicts (the CLI decides: TTY and no NO_COLOR). */
  color?: boolean;
  paint?: { red: Paint; green: Paint; yellow: Paint; dim: Paint; bold: Paint };
  /** Show passed rules too (default true). */
  showPassed?: boolean;
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

/** JUnit XML: one testcase per rule, classname by area; failures carry message and excerpt; skipped rules are <skipped>. */
export function renderJunit(report: Report): string {
  const s = report.summary;
  const suiteName = `bx-provider-kit conformance: ${report.target.name}`;
  const time = (report.durationMs / 1000).toFixed(3);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${xml(suiteName)}" tests="${report.rules.length}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${time}">`);
  out.push(
    `  <testsuite name="${xml(suiteName)}" tests="${report.rules.length}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${time}" timestamp="${xml(report.startedAt.replace(/\.\d+Z$/, ''))}">`,
  );
  out.push('    <properties>');
  out.push(`      <property name="target" value="${xml(report.target.path)}"/>`);
  out.push(`      <property name="kind" value="${report.target.kind}"/>`);
  out.push(`      <property name="allowOrder" value="${report.settings.allowOrder}"/>`);
  out.push('    </properties>');
  for (const r of report.rules) {
    const name = `${r.id}: ${r.title}`;
    const head = `    <testcase classname="bx-provider-kit.${xml(r.area)}" name="${xml(name)}" time="0"`;
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

/** TAP 13: one test point per rule; skipped rules `# SKIP reason`; failures and warnings with a YAML block. */
export function renderTap(report: Report): string {
  const out: string[] = ['TAP version 13', `1..${report.rules.length}`];
  const q = (s: string) => JSON.stringify(s);
  const desc = (s: string) => s.replace(/#/g, '\\#').replace(/\n/g, ' ');
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
      out.push('  findings:');
      for (const f of r.findings) {
        out.push(`    - message: ${q(f.message)}`);
        if (f.call) out.push(`      call: ${q(f.call)}`);
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

export const reporters: Record<ReporterName, (r: Report, o?: TextOptions) => string> = {
  text: renderText,
  json: renderJson,
  junit: renderJunit,
  tap: renderTap,
};
