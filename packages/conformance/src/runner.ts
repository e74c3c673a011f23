/**
 * The conformance runner: runs a plugin as the host does and judges every rule of
 * host-contract.md §5 that applies to the target.
 *
 * Phases: target (folder / archive / executable) and settings → PKG-* / ARCH-* → the
 * independent calls, concurrently (help and configs twice, from the plugin folder, with an
 * open stdin, and the bad-argument probes) → the order lifecycle, in order → the host round
 * trip through the emulator. Every check reports to the Ledger, which gives the verdicts.
 */
import { promises as fs, constants as fsc, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KitError, RULES, SAFE_WORD, matchRules, readPluginStdout } from '@bx-provider-kit/schemas';
import { checkPluginFolder, verifyArchive, extractArchive } from '@bx-provider-kit/packer';
import { execa } from 'execa';
import { DEFAULTS, loadConfig, type ConformanceConfig } from './config.js';
import { Ledger } from './ledger.js';
import { limiter, sleep } from './pool.js';
import { addMarker, describeSurvivors, explainSpawnError, ProcessTracker, releaseHandlers, removeMarker, runProcess, type ProcessResult, type SweepResult } from './proc.js';
import type { CallRecord, HostCallRecord, Report, ReportSettings, ReportTarget } from './report.js';
import { excerpt, firstDifference, isPositiveInt, isServerAddress, isValidUtf8, jsonEqual, oneLine, show } from './text.js';
import { hostRoundTrip, installArchive } from './host-trip.js';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface RunOptions {
  /** The provider NAME (default: provider.json, the single file in bin/, the archive name). */
  name?: string;
  /** A conformance.json to use instead of the plugin folder's. */
  configFile?: string;
  /** Settings that override the file (the CLI's flags); the flat keys below do the same. */
  overrides?: ConformanceConfig;
  allowOrder?: boolean;
  configId?: string;
  callTimeoutMs?: number;
  slowMs?: number;
  lifecycleTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Extra environment for every plugin call (over conformance.json `env`). */
  env?: Record<string, string>;
  /** Rule ids or prefixes to judge (default: all). */
  only?: string[];
  /** Rule ids or prefixes to report skipped. */
  skip?: string[];
  /** Stop after the first phase with a failed rule. */
  bail?: boolean;
  /** Independent calls run at once (default 4). */
  concurrency?: number;
  /** Live progress (one line per event). */
  onProgress?: (line: string) => void;
}

/** The variable every plugin call of a run carries (so leftovers can be found and killed). */
export const RUN_MARKER_VAR = 'BX_PROVIDER_KIT_RUN';

/** What the runner says when order rules cannot run. */
export const NO_ORDER_REASON =
  'ordering is not allowed (it may cost money): pass --allow-order or set "allowOrder": true in conformance.json';

/** The environment sudo gives a plugin on a BitrixVM (secure_path), with HOME in a temp folder. */
function baseEnv(home: string): Record<string, string> {
  let user = 'root';
  try {
    user = os.userInfo().username;
  } catch {
    /* keep root */
  }
  return { PATH: '/sbin:/bin:/usr/sbin:/usr/bin', HOME: home, USER: user, LOGNAME: user, SHELL: '/bin/bash' };
}

function markerEnv(run: { marker: string }): Record<string, string> {
  const i = run.marker.indexOf('=');
  return { [run.marker.slice(0, i)]: run.marker.slice(i + 1) };
}

type AnswerKind = 'success' | 'error' | 'bad-error' | 'success-with-error-key';
interface Answer {
  kind: AnswerKind;
  value: Record<string, unknown>;
}

interface Call {
  id: string;
  action: string;
  args: string[];
  rec: CallRecord;
  res: ProcessResult;
  answer?: Answer;
  /** Why the call gave no usable answer (names the rule), when it did not. */
  why?: string;
}

const DATA_KEYS = ['options', 'configurations', 'task_id', 'status', 'server'];
const KNOWN_OPTIONS = ['help', 'init', 'configs', 'order', 'order_status'];
const REQUIRED_OPTIONS = ['help', 'configs', 'order', 'order_status'];
const STATUSES = ['in_progress', 'finished', 'error'];
const UNKNOWN_ACTION = 'bxkit-no-such-action';
const UNKNOWN_TASK = 'bxkit-no-such-task-7305';
const UNKNOWN_CONFIG = 'bxkit-no-such-config-7305';

export interface ResolvedTarget extends ReportTarget {
  archiveFile?: string;
  /** The folder the plugin files live in, for RUN-CWD (plugin folder, or the executable's folder). */
  cwdDir: string;
  /** Whether bin/NAME can be run at all. */
  runnable: boolean;
  notRunnableWhy?: string;
  configCandidates: string[];
}

class Run {
  readonly ledger = new Ledger();
  readonly tracker = new ProcessTracker();
  readonly calls: Call[] = [];
  readonly hostCalls: HostCallRecord[] = [];
  private ids = new Map<string, number>();
  env: Record<string, string> = {};
  settings!: ReportSettings;
  target!: ResolvedTarget;
  tmp!: string;
  selected = new Set<string>();
  forced = new Map<string, string>();
  bailed = false;
  marker = '';

  constructor(readonly opts: RunOptions) {}

  progress(line: string): void {
    this.opts.onProgress?.(line);
  }

  wants(...prefixes: string[]): boolean {
    for (const id of this.selected) if (!this.forced.has(id) && prefixes.some((p) => id === p || id.startsWith(p))) return true;
    return false;
  }

  /** --bail: stop when a selected, judged rule failed. */
  shouldStop(): boolean {
    if (!this.opts.bail || this.bailed) return this.bailed;
    for (const id of this.selected) {
      if (!this.forced.has(id) && this.ledger.status(id) === 'failed') {
        this.bailed = true;
        this.progress(`--bail: ${id} failed, stopping`);
        return true;
      }
    }
    return false;
  }

  callId(base: string): string {
    const n = (this.ids.get(base) ?? 0) + 1;
    this.ids.set(base, n);
    return n === 1 ? base : `${base} #${n}`;
  }

  async newCwd(): Promise<string> {
    return fs.mkdtemp(path.join(this.tmp, 'cwd-'));
  }

  /** One plugin call as the host makes it, judged for OUT-*, ERR-*, RUN-TIMEOUT/SLOW/CRASH. */
  async call(
    action: string,
    args: string[],
    o: { label?: string; purpose: string; cwd?: 'empty' | 'plugin'; stdin?: 'closed' | 'open'; budgetMs?: number; expect?: 'success' | 'error' },
  ): Promise<Call> {
    const argv = action === '' ? [...args] : [action, ...args];
    const id = this.callId(o.label ?? (argv.length ? argv.join(' ') : '(no arguments)'));
    const cwdKind = o.cwd ?? 'empty';
    const cwd = cwdKind === 'plugin' ? this.target.cwdDir : await this.newCwd();
    const budgetMs = o.budgetMs ?? this.settings.callTimeoutMs;
    const slot = this.calls.length;
    this.calls.push(undefined as unknown as Call); // keep the table in start order
    const res = await runProcess({
      file: this.target.executable,
      args: argv,
      cwd,
      env: this.env,
      timeoutMs: budgetMs,
      stdin: o.stdin ?? 'closed',
      tracker: this.tracker,
    });
    const rec: CallRecord = {
      id,
      purpose: o.purpose,
      argv: [this.target.executable, ...argv],
      cwd: cwdKind,
      stdin: o.stdin ?? 'closed',
      budgetMs,
      durationMs: Math.round(res.durationMs),
      exitCode: res.exitCode,
      signal: res.signal,
      timedOut: res.timedOut,
      stdoutBytes: res.stdoutBytes,
      stderrBytes: res.stderrBytes,
      stdoutTruncated: res.stdoutTruncated,
      stdoutExcerpt: excerpt(res.stdout),
      stderrExcerpt: excerpt(res.stderr),
    };
    if (res.spawnError) rec.spawnError = res.spawnError;
    const c: Call = { id, action, args, rec, res };
    this.calls[slot] = c;
    this.progress(
      `${id.padEnd(34)} ${String(rec.durationMs).padStart(6)} ms${res.timedOut ? '  TIMED OUT' : ''}${res.spawnError ? `  ${res.spawnError}` : ''}`,
    );
    await this.judgeRun(c, o.stdin === 'open');
    this.judgeOutput(c);
    return c;
  }

  /** RUN-TIMEOUT, RUN-SLOW, RUN-CRASH on one call. */
  async judgeRun(c: Call, stdinProbe: boolean): Promise<void> {
    const { res, id } = c;
    const L = this.ledger;
    if (res.cut) return; // stopped by the runner at 1 MiB: time and exit say nothing (OUT-SIZE)
    if (!stdinProbe) {
      if (res.timedOut) {
        L.fail(
          'RUN-TIMEOUT',
          res.stdoutHeld
            ? `${id}: the plugin exited, but a process it left behind kept stdout open past the ${c.rec.budgetMs} ms budget; the host reads stdout to EOF and would wait for it`
            : `${id}: still running after the ${c.rec.budgetMs} ms budget (the runner killed its process group)`,
          { call: id, excerpt: c.rec.stdoutExcerpt || undefined },
        );
      } else {
        L.ok('RUN-TIMEOUT', id);
        if (res.durationMs > this.settings.slowMs) {
          L.warn('RUN-SLOW', `${id}: took ${Math.round(res.durationMs)} ms (soft budget ${this.settings.slowMs} ms)`, { call: id });
        } else L.ok('RUN-SLOW', id);
      }
    }
    if (res.spawnError) {
      const why = await explainSpawnError(this.target.executable, res.spawnError);
      L.fail('RUN-CRASH', `${id}: could not start: ${why}`, { call: id });
      c.why = `${c.action || 'the call'} could not start (RUN-CRASH)`;
    } else if (res.signal && !res.timedOut) {
      L.fail('RUN-CRASH', `${id}: killed by ${res.signal}`, { call: id, excerpt: c.rec.stderrExcerpt || undefined });
      if (!res.stdoutBytes) c.why = `${c.action} was killed by ${res.signal} (RUN-CRASH)`;
    } else if ((res.exitCode === 126 || res.exitCode === 127) && !res.timedOut) {
      L.fail('RUN-CRASH', `${id}: exit ${res.exitCode} (${res.exitCode === 127 ? 'command or interpreter not found' : 'cannot execute'})`, {
        call: id,
        excerpt: c.rec.stderrExcerpt || undefined,
      });
      if (!res.stdoutBytes) c.why = `${c.action} could not run its interpreter (RUN-CRASH)`;
    } else if (!res.timedOut) L.ok('RUN-CRASH', id);
    if (res.timedOut) c.why = `${c.action || 'the call'} timed out (RUN-TIMEOUT)`;
  }

  /** OUT-*, ERR-SUCCESS-KEY/TYPE/MESSAGE/EXIT on one call's stdout. */
  judgeOutput(c: Call): void {
    if (c.why) return; // timed out or crashed: the output is not judged (see RUN-*)
    const L = this.ledger;
    const { res, id } = c;
    const ex = c.rec.stdoutExcerpt;
    if (res.stdoutTruncated) {
      L.fail('OUT-SIZE', `${id}: printed more than 1 MiB on stdout (the runner stopped reading at 1 MiB and ended the call)`, { call: id, excerpt: ex });
      c.why = `${c.action} printed over 1 MiB (OUT-SIZE)`;
      return;
    }
    L.ok('OUT-SIZE', id);
    const bytes = res.stdout;
    const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    if (!hasBom) L.ok('OUT-BOM', id);
    if (isValidUtf8(bytes)) L.ok('OUT-UTF8', id);
    if (/[^\s]/.test(bytes.toString('latin1'))) L.ok('OUT-EMPTY', id);
    const r = readPluginStdout(bytes);
    if (!r.ok) {
      const msg = bytes.length === 0 ? 'printed nothing on stdout' : r.message;
      L.fail(r.rule, `${id}: ${msg}`, { call: id, excerpt: ex || undefined });
      c.why = `${c.action || 'the call'} printed no usable JSON object (${r.rule})`;
      return;
    }
    for (const rid of ['OUT-EMPTY', 'OUT-JSON', 'OUT-BOM', 'OUT-OBJECT', 'OUT-UTF8']) L.ok(rid, id);
    const text = r.text;
    const trailing = text.slice(text.trimEnd().length);
    if (trailing === '\n') L.ok('OUT-NEWLINE', id);
    else
      L.warn('OUT-NEWLINE', `${id}: the document is followed by ${trailing === '' ? 'no newline' : JSON.stringify(trailing)} instead of one "\\n"`, {
        call: id,
      });
    const v = r.value;
    let kind: AnswerKind;
    const hasData = DATA_KEYS.some((k) => k in v);
    if ('error' in v) {
      if (isPositiveInt(v.error)) {
        kind = 'error';
        L.ok('ERR-TYPE', id);
      } else if (hasData) {
        kind = 'success-with-error-key';
        L.fail('ERR-SUCCESS-KEY', `${id}: a success answer carries "error": ${show(v.error)}`, { call: id, excerpt: ex });
      } else {
        kind = 'bad-error';
        L.fail('ERR-TYPE', `${id}: "error" is ${show(v.error)}, not a positive integer`, { call: id, excerpt: ex });
      }
      if (kind !== 'success-with-error-key') {
        const m = v.error_message;
        if (typeof m === 'string' && m.trim()) L.ok('ERR-MESSAGE', id);
        else
          L.fail(
            'ERR-MESSAGE',
            `${id}: error answer without a non-empty string "error_message"${'message' in v ? ' ("message" is ignored by the host)' : ''}`,
            { call: id, excerpt: ex },
          );
        if (res.exitCode === 0) L.warn('ERR-EXIT', `${id}: exit 0 after an error answer`, { call: id });
        else L.ok('ERR-EXIT', id);
      }
    } else {
      kind = 'success';
      L.ok('ERR-SUCCESS-KEY', id);
    }
    if (kind === 'success' || kind === 'success-with-error-key') {
      if (res.exitCode !== 0) L.warn('ERR-EXIT', `${id}: exit ${res.exitCode} after a success answer`, { call: id });
      else L.ok('ERR-EXIT', id);
      if (res.stderrBytes > 0)
        L.warn('OUT-STDERR', `${id}: ${res.stderrBytes} bytes on stderr on a successful call`, { call: id, excerpt: c.rec.stderrExcerpt });
      else L.ok('OUT-STDERR', id);
    }
    c.answer = { kind, value: v };
  }

  /** The call's answer as a success object, or the reason there is none. */
  success(c: Call): { value: Record<string, unknown> } | { why: string } {
    if (!c.answer) return { why: c.why ?? `${c.action} gave no answer` };
    if (c.answer.kind === 'error' || c.answer.kind === 'bad-error') {
      const m = c.answer.value.error_message ?? c.answer.value.message;
      return { why: `${c.action} answered an error${typeof m === 'string' ? `: ${oneLine(m, 80)}` : ''}` };
    }
    return { value: c.answer.value };
  }
}

// ---------------------------------------------------------------------------------------------
// Target resolution

/** NAME from NAME-vVERSION.tar.gz (or NAME.zip); undefined when that is not a safe name. */
export function nameFromArchive(base: string): string | undefined {
  const stem = base.replace(/\.(tar\.gz|tgz|zip|tar\.bz2|tbz2?|tar|tar\.xz)$/i, '');
  const m = /^(.+?)-v?\d[0-9A-Za-z.+_~-]*$/.exec(stem);
  const n = m ? m[1]! : stem;
  return /^[A-Za-z][A-Za-z0-9_-]*$/.test(n) ? n : undefined;
}

const ARCHIVE_RE = /\.(tar\.gz|tgz|zip|tar\.bz2|tbz2?|tar|tar\.xz)$/i;

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, fsc.X_OK);
    return (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

async function readJsonName(file: string): Promise<string | undefined> {
  try {
    const v = JSON.parse(await fs.readFile(file, 'utf8'));
    return typeof v?.name === 'string' && v.name ? v.name : undefined;
  } catch {
    return undefined;
  }
}

async function folderName(dir: string, given?: string): Promise<string | undefined> {
  if (given) return given;
  const fromManifest = await readJsonName(path.join(dir, 'provider.json'));
  if (fromManifest) return fromManifest;
  const bin = await fs.readdir(path.join(dir, 'bin'), { withFileTypes: true }).catch(() => []);
  const files = bin.filter((d) => !d.isDirectory() && !d.name.startsWith('.'));
  return files.length === 1 ? files[0]!.name : undefined;
}

// ---------------------------------------------------------------------------------------------

/** Runs the conformance suite on a plugin folder, an archive or an executable. */
export async function runConformance(target: string, options: RunOptions = {}): Promise<Report> {
  const run = new Run(options);
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  run.tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-run-'));
  // Every plugin process of this run carries this variable: whatever escapes its process group
  // (setsid) is still found and killed at the end.
  run.marker = `${RUN_MARKER_VAR}=${path.basename(run.tmp)}-${process.pid}`;
  addMarker(run.marker);
  // Leftovers are also found by the cgroup, the parent chain and the run's folder (proc.ts).
  run.tracker.watch({ marker: run.marker, dirs: [run.tmp] });
  let swept: SweepResult | undefined;
  try {
    await execute(run, target);
  } finally {
    swept = run.tracker.killAll();
    removeMarker(run.marker);
    releaseHandlers();
  }
  const unkilled = describeSurvivors(swept);
  if (unkilled) run.ledger.warn('RUN-TIMEOUT', unkilled);
  explainUnchecked(run);
  const rules = run.ledger.results(run.selected, run.forced);
  if (run.bailed) {
    for (const r of rules) {
      if (r.status === 'skipped' && !run.forced.has(r.id) && r.message.startsWith('not checked')) {
        r.message = 'not reached: --bail stopped the run after the first failure';
      }
    }
  }
  const summary = { passed: 0, failed: 0, warned: 0, skipped: 0 };
  for (const r of rules) summary[r.status]++;
  const { archiveFile: _a, cwdDir: _c, runnable: _r, notRunnableWhy: _n, configCandidates: _cc, ...tgt } = run.target;
  const report: Report = {
    tool: 'bx-provider-kit',
    version: VERSION,
    target: tgt,
    settings: run.settings,
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    rules,
    calls: run.calls.filter(Boolean).map((c) => c.rec),
    hostCalls: run.hostCalls,
    summary,
    ok: summary.failed === 0,
    bailed: run.bailed,
  };
  await fs.rm(run.tmp, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
  return report;
}

/** A reason for every rule that no call reached (instead of a bare "not checked"). */
function explainUnchecked(run: Run): void {
  const L = run.ledger;
  const calls = run.calls.filter(Boolean);
  // "help could not start (RUN-CRASH)" -> "could not start (RUN-CRASH)": one line for many calls
  const whys = [...new Set(calls.map((c) => c.why?.replace(/^\S+ /, '')).filter((w): w is string => !!w))];
  const answered = calls.filter((c) => c.answer);
  for (const id of run.selected) {
    if (!L.untouched(id)) continue;
    const def = RULES.find((r) => r.id === id)!;
    if (!['output', 'errors', 'running'].includes(def.area)) continue;
    if (!calls.length) L.skip(id, 'no plugin call was made');
    else if (!answered.length) L.skip(id, `no call gave an answer to judge: the calls ${whys.slice(0, 3).join('; ')}`);
    else if (id === 'ERR-TYPE' || id === 'ERR-MESSAGE') L.skip(id, 'no call answered with an error, so there was no error answer to check');
    else if (id === 'OUT-STDERR' || id === 'ERR-SUCCESS-KEY') L.skip(id, 'no call answered with success');
    else if (whys.length) L.skip(id, `no call reached this check (${whys.slice(0, 3).join('; ')})`);
  }
}

function selectRules(run: Run, cfg: ConformanceConfig): void {
  const opts = run.opts;
  const pick = (sel: string, flag: string) => {
    const m = matchRules(sel);
    if (!m.length) throw new KitError(`${flag} ${sel}: no rule matches (try an id such as OUT-JSON or a prefix such as ARCH; list them with bx-provider-kit rules)`);
    return m;
  };
  if (opts.only?.length) for (const s of opts.only) for (const r of pick(s, '--only')) run.selected.add(r.id);
  else for (const r of RULES) run.selected.add(r.id);
  for (const s of cfg.skip ?? []) for (const r of matchRules(s.rule)) run.forced.set(r.id, `skipped by conformance.json: ${s.reason}`);
  for (const s of opts.skip ?? []) for (const r of pick(s, '--skip')) run.forced.set(r.id, 'skipped with --skip');
}

async function resolveTarget(run: Run, target: string): Promise<ResolvedTarget> {
  const abs = path.resolve(target);
  const st = await fs.stat(abs).catch((e: NodeJS.ErrnoException) => {
    throw new KitError(`cannot read ${target}: ${e.code === 'ENOENT' ? 'no such file or folder' : e.code ?? e.message}; give a plugin folder, a .tar.gz/.zip archive or an executable`);
  });
  const name = run.opts.name;
  if (st.isDirectory()) {
    const n = await folderName(abs, name);
    if (!n) {
      throw new KitError(`${target}: no plugin found (no provider.json and no single file in bin/): give the plugin folder, or name the provider with --name`);
    }
    const exe = path.join(abs, 'bin', n);
    const runnable = await isExecutable(exe);
    return {
      path: target,
      kind: 'folder',
      name: n,
      pluginDir: abs,
      executable: exe,
      cwdDir: abs,
      runnable,
      notRunnableWhy: runnable ? undefined : `bin/${n} is missing or not executable (PKG-LAYOUT): the host cannot run it`,
      configCandidates: [path.join(abs, 'conformance.json')],
    };
  }
  if (!st.isFile()) throw new KitError(`${target} is neither a file nor a folder`);
  if (ARCHIVE_RE.test(abs)) {
    return { path: target, kind: 'archive', name: name ?? '', executable: '', cwdDir: '', runnable: false, archiveFile: abs, configCandidates: [] };
  }
  try {
    await fs.access(abs, fsc.R_OK);
  } catch {
    throw new KitError(`cannot read ${target}: permission denied`);
  }
  if (!(await isExecutable(abs))) {
    throw new KitError(`${target} is not executable and not an archive (.tar.gz or .zip): give a plugin folder, an archive, or chmod +x the executable`);
  }
  const n = name ?? path.basename(abs);
  const parent = path.dirname(abs);
  const pluginDir = path.basename(parent) === 'bin' ? path.dirname(parent) : undefined;
  return {
    path: target,
    kind: 'executable',
    name: n,
    pluginDir,
    executable: abs,
    cwdDir: pluginDir ?? parent,
    runnable: true,
    configCandidates: pluginDir ? [path.join(pluginDir, 'conformance.json')] : [],
  };
}

async function loadSettings(run: Run): Promise<ConformanceConfig> {
  const opts = run.opts;
  let cfg: ConformanceConfig = {};
  let file: string | undefined;
  if (opts.configFile) {
    cfg = (await loadConfig(opts.configFile, true))!;
    file = opts.configFile;
  } else {
    for (const c of run.target.configCandidates) {
      const got = await loadConfig(c, false);
      if (got) {
        cfg = got;
        file = c;
        break;
      }
    }
  }
  const flat: ConformanceConfig = {
    allowOrder: opts.allowOrder,
    configId: opts.configId,
    callTimeoutMs: opts.callTimeoutMs,
    slowMs: opts.slowMs,
    lifecycleTimeoutMs: opts.lifecycleTimeoutMs,
    pollIntervalMs: opts.pollIntervalMs,
  };
  const o: ConformanceConfig = { ...(opts.overrides ?? {}) };
  for (const [k, v] of Object.entries(flat)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  for (const k of ['callTimeoutMs', 'slowMs', 'lifecycleTimeoutMs', 'pollIntervalMs'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new KitError(`${k} ${v}: give a positive number of milliseconds`);
  }
  const merged: ConformanceConfig = { ...cfg, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
  merged.env = { ...(cfg.env ?? {}), ...(o.env ?? {}), ...(opts.env ?? {}) };
  merged.skip = [...(cfg.skip ?? []), ...(o.skip ?? [])];
  const callTimeoutMs = merged.callTimeoutMs ?? DEFAULTS.callTimeoutMs;
  run.settings = {
    allowOrder: merged.allowOrder ?? false,
    callTimeoutMs,
    slowMs: Math.min(merged.slowMs ?? DEFAULTS.slowMs, callTimeoutMs),
    lifecycleTimeoutMs: merged.lifecycleTimeoutMs ?? DEFAULTS.lifecycleTimeoutMs,
    pollIntervalMs: merged.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
  };
  if (merged.configId !== undefined) run.settings.configId = String(merged.configId);
  if (file) run.settings.configFile = file;
  return merged;
}

/** Where ARCH-* rules stand for this target. */
function judgeArchiveFindings(run: Run, findings: { rule: string; severity: 'error' | 'warning'; message: string; entry?: string }[], format: string): void {
  const L = run.ledger;
  const archRules = RULES.filter((r) => r.area === 'archive').map((r) => r.id);
  const unreadable = findings.some((f) => f.rule === 'ARCH-FORMAT' && f.severity === 'error');
  for (const f of findings) {
    if (!archRules.includes(f.rule) && !f.rule.startsWith('PKG-')) continue;
    L.find(f.rule, f.severity, f.entry ? `${f.entry}: ${f.message}` : f.message, f.entry ? { entry: f.entry } : {});
  }
  for (const id of archRules) {
    if (findings.some((f) => f.rule === id)) continue;
    if (id === 'ARCH-ZIP-MODES' && format !== 'zip') {
      L.skip(id, 'the archive is not a .zip');
      continue;
    }
    const nameIndependent = id === 'ARCH-SUFFIX' || id === 'ARCH-FILENAME' || id === 'ARCH-FORMAT';
    if (unreadable && !nameIndependent) L.skip(id, 'the archive could not be read (ARCH-FORMAT)');
    else L.ok(id);
  }
}

async function prepareArchive(run: Run): Promise<void> {
  const t = run.target;
  const file = t.archiveFile!;
  const L = run.ledger;
  run.progress(`verifying ${path.basename(file)}`);
  const vr = await verifyArchive(file, t.name ? { name: t.name } : {});
  const name = t.name || vr.name || nameFromArchive(path.basename(file));
  if (!name) {
    throw new KitError(`cannot tell the provider NAME of ${path.basename(file)}: pass --name NAME (the --provider value it will be installed as)`);
  }
  t.name = name;
  judgeArchiveFindings(run, vr.findings, vr.format);
  // Install it into a throw-away emulated host, as `bx-provider -a install` would.
  const root = path.join(run.tmp, 'host');
  const holder = path.join(root, 'providers', name);
  t.pluginDir = holder;
  t.cwdDir = holder;
  t.executable = path.join(holder, 'bin', name);
  t.configCandidates = [path.join(holder, 'conformance.json')];
  hostState.set(run, { root, installedByHost: false, installMessage: '' });
  const st = hostState.get(run)!;
  if (run.wants('HOST')) {
    const r = await installArchive(run as unknown as HostRun, root, name, file);
    st.installedByHost = r.ok;
    st.installMessage = r.message;
  }
  if (!(await isExecutable(t.executable))) {
    // The host could not install it (or HOST-* was not selected): unpack it ourselves to test
    // the plugin anyway, refusing anything that would write outside the folder.
    await fs.rm(holder, { recursive: true, force: true });
    await fs.mkdir(holder, { recursive: true });
    try {
      if (vr.format === 'tar.gz' || vr.format === 'zip') await extractArchive(file, holder, { format: vr.format });
      else if (/\.(tar\.bz2|tbz2?)$/i.test(file)) {
        await execa('tar', ['-xjf', file, '-C', holder, '--no-same-owner'], { reject: true, timeout: 60_000, stdin: 'ignore' });
      } else throw new KitError(`${path.basename(file)} is not a format the runner can unpack`);
      st.extractedByRunner = true;
    } catch (e) {
      st.extractError = (e as Error).message;
      // A hostile entry (.., an absolute path, a link out, a device) makes a safe unpack refuse
      // the whole archive. The plugin is still worth testing: salvage the plain files and
      // folders of a .tar.gz (never links, devices or anything outside), within a size bound.
      const rule = /\((ARCH-[A-Z-]+)\)/.exec(st.extractError)?.[1];
      if (vr.format === 'tar.gz' && rule && ['ARCH-TRAVERSAL', 'ARCH-ABSOLUTE', 'ARCH-LINK', 'ARCH-SPECIAL'].includes(rule)) {
        try {
          await salvageTarGz(file, holder);
          if (await isExecutable(t.executable)) {
            st.salvagedBecause = rule;
            st.extractError = undefined;
          }
        } catch {
          /* keep the first reason */
        }
      }
    }
  }
  t.runnable = await isExecutable(t.executable);
  if (!t.runnable) {
    const refusedBy = st.extractError ? /\((ARCH-[A-Z-]+)\)/.exec(st.extractError)?.[1] : undefined;
    t.notRunnableWhy = st.extractError
      ? `the archive could not be unpacked safely (${refusedBy ?? oneLine(st.extractError, 120)})`
      : `the archive installs no executable bin/${name} (see ARCH-LAYOUT, ARCH-EXEC)`;
  }
}

export interface HostState {
  root: string;
  installedByHost: boolean;
  installMessage: string;
  extractedByRunner?: boolean;
  extractError?: string;
  /** The archive was refused for this rule; only its safe entries were unpacked. */
  salvagedBecause?: string;
}

/** Unpacks only the regular files and folders of a .tar.gz whose paths stay inside `dest` (at most 64 MiB). */
async function salvageTarGz(file: string, dest: string): Promise<void> {
  const tarMod = await import('tar');
  let bytes = 0;
  const LIMIT = 64 * 1024 * 1024;
  await tarMod.x({
    file,
    cwd: dest,
    preservePaths: false,
    preserveOwner: false,
    filter: (p: string, entry: unknown) => {
      const e = entry as { type?: string; size?: number };
      const parts = p.split('/');
      if (p.startsWith('/') || parts.includes('..')) return false;
      if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile' && e.type !== 'Directory') return false;
      bytes += e.size ?? 0;
      return bytes <= LIMIT;
    },
  });
  // No setuid/setgid/world-writable bits survive the salvage.
  const walk = async (d: string): Promise<void> => {
    for (const ent of await fs.readdir(d, { withFileTypes: true })) {
      const f = path.join(d, ent.name);
      const st = await fs.lstat(f);
      await fs.chmod(f, st.mode & 0o755);
      if (ent.isDirectory()) await walk(f);
    }
  };
  await walk(dest);
}
const hostState = new WeakMap<Run, HostState>();

/** What host-trip.ts needs of a run. */
export interface HostRun {
  ledger: Ledger;
  settings: ReportSettings;
  target: ResolvedTarget;
  env: Record<string, string>;
  hostCalls: HostCallRecord[];
  tmp: string;
  progress(line: string): void;
  newCwd(): Promise<string>;
  wants(...prefixes: string[]): boolean;
}

async function execute(run: Run, targetPath: string): Promise<void> {
  const L = run.ledger;
  run.target = await resolveTarget(run, targetPath);
  const t = run.target;
  // Settings: for an archive, conformance.json comes from --config or the unpacked copy, so
  // the archive goes first when there is no --config.
  if (t.kind === 'archive' && !run.opts.configFile) {
    // A cheap pass for --only/--skip given on the command line (config skips come after).
    selectRules(run, {});
    run.settings = { allowOrder: false, callTimeoutMs: DEFAULTS.callTimeoutMs, slowMs: DEFAULTS.slowMs, lifecycleTimeoutMs: DEFAULTS.lifecycleTimeoutMs, pollIntervalMs: DEFAULTS.pollIntervalMs };
    run.env = { ...baseEnv(path.join(run.tmp, 'home')), ...markerEnv(run) };
    await fs.mkdir(run.env.HOME!, { recursive: true });
    await prepareArchive(run);
    const cfg = await loadSettings(run);
    run.selected.clear();
    run.forced.clear();
    selectRules(run, cfg);
    run.env = { ...baseEnv(run.env.HOME!), ...(cfg.env ?? {}), ...markerEnv(run) };
  } else {
    const cfg = await loadSettings(run);
    selectRules(run, cfg);
    run.env = { ...baseEnv(path.join(run.tmp, 'home')), ...(cfg.env ?? {}), ...markerEnv(run) };
    await fs.mkdir(run.env.HOME!, { recursive: true });
    if (t.kind === 'archive') await prepareArchive(run);
  }
  const settings = run.settings;
  run.progress(`testing ${t.kind} ${t.path} as provider ${t.name}`);

  // ---- PKG-* (the folder, or the installed copy of an archive)
  if (t.kind === 'executable' && !t.pluginDir) {
    for (const r of RULES.filter((x) => x.area === 'package')) L.skip(r.id, 'the target is a bare executable, not a plugin folder');
  } else if (t.kind === 'archive' && hostState.get(run)?.extractError) {
    for (const r of RULES.filter((x) => x.area === 'package')) L.skip(r.id, t.notRunnableWhy ?? 'the archive could not be unpacked');
  } else if (t.pluginDir && (await fs.stat(t.pluginDir).catch(() => null))) {
    const salvaged = hostState.get(run)?.salvagedBecause;
    if (salvaged) {
      for (const r of RULES.filter((x) => x.area === 'package')) {
        L.note(r.id, `judged on the archive's safe entries only (the archive breaks ${salvaged}; the runner did not unpack the rest)`);
      }
    }
    const findings = await checkPluginFolder(t.pluginDir, { name: t.name });
    for (const f of findings) {
      if (!f.rule.startsWith('PKG-')) continue;
      L.find(f.rule, f.severity, f.entry ? `${f.entry}: ${f.message}` : f.message, f.entry ? { entry: f.entry } : {});
    }
    for (const r of RULES.filter((x) => x.area === 'package')) if (!findings.some((f) => f.rule === r.id)) L.ok(r.id);
  } else {
    for (const r of RULES.filter((x) => x.area === 'package')) L.skip(r.id, t.notRunnableWhy ?? 'no plugin folder');
  }
  if (t.kind !== 'archive') {
    for (const r of RULES.filter((x) => x.area === 'archive')) {
      L.skip(r.id, t.kind === 'folder' ? 'the target is a folder: pack it (bx-provider-kit pack) and test the archive to check ARCH-*' : 'the target is not an archive');
    }
  }
  if (run.shouldStop()) return;

  if (!t.runnable) {
    const why = t.notRunnableWhy ?? `bin/${t.name} cannot be run`;
    for (const r of RULES) if (!['package', 'archive'].includes(r.area)) L.skip(r.id, `no call was made: ${why}`);
    return;
  }

  // ---- independent calls, concurrently
  if (!run.wants('OUT', 'ERR', 'HELP', 'CFG', 'RUN', 'ORD', 'STAT', 'LIFE', 'HOST')) return; // only PKG-*/ARCH-* asked for
  const lim = limiter(Math.max(1, run.opts.concurrency ?? 4));
  const allowOrder = settings.allowOrder;
  // The order probes place no order on a correct plugin, but a broken one might: only when the
  // rules they serve are judged.
  const orderProbes = allowOrder && run.wants('ERR', 'OUT', 'RUN');
  const calls = {
    help: lim(() => run.call('help', [], { purpose: 'help, as the host runs it before every action' })),
    help2: lim(() => run.call('help', [], { purpose: 'help again (RUN-DETERMINISTIC)' })),
    helpCwd: lim(() => run.call('help', [], { purpose: 'help from the plugin folder as cwd (RUN-CWD)', cwd: 'plugin', label: 'help (cwd = plugin folder)' })),
    configs: lim(() => run.call('configs', [], { purpose: 'configs' })),
    configs2: lim(() => run.call('configs', [], { purpose: 'configs again (RUN-DETERMINISTIC)' })),
    configsCwd: lim(() =>
      run.call('configs', [], { purpose: 'configs from the plugin folder as cwd (RUN-CWD)', cwd: 'plugin', label: 'configs (cwd = plugin folder)' }),
    ),
    noTask: lim(() => run.call('order_status', [], { purpose: 'order_status without a task id (ERR-BAD-ARGS)', label: 'order_status (no task id)' })),
    badTask: lim(() => run.call('order_status', [UNKNOWN_TASK], { purpose: 'order_status for a task that never existed (ERR-BAD-ARGS)' })),
    badAction: lim(() => run.call(UNKNOWN_ACTION, [], { purpose: 'an unknown action (ERR-BAD-ARGS)' })),
    noConfig: orderProbes ? lim(() => run.call('order', [], { purpose: 'order without a config id (ERR-BAD-ARGS)', label: 'order (no config id)' })) : undefined,
  };
  const stdinProbe = async (base: Promise<Call>, action: string) => {
    const b = await base;
    if (b.res.timedOut || b.res.spawnError) return { base: b, probe: undefined };
    const budget = Math.min(settings.callTimeoutMs, Math.max(2000, Math.round(b.res.durationMs * 4) + 1000));
    const probe = await lim(() =>
      run.call(action, [], { purpose: `${action} with an open, never-written stdin (RUN-STDIN)`, stdin: 'open', budgetMs: budget, label: `${action} (stdin open)` }),
    );
    return { base: b, probe };
  };
  const stdinHelp = run.wants('RUN-STDIN') ? stdinProbe(calls.help, 'help') : undefined;
  const stdinConfigs = run.wants('RUN-STDIN') ? stdinProbe(calls.configs, 'configs') : undefined;
  const help = await calls.help;
  const configs = await calls.configs;
  // The unknown config id probe needs the list of ids.
  const cfgIds = (() => {
    const s = run.success(configs);
    const list = 'value' in s && Array.isArray(s.value.configurations) ? (s.value.configurations as unknown[]) : [];
    return list.map((x) => (x && typeof x === 'object' ? String((x as Record<string, unknown>).id) : ''));
  })();
  let unknownConfig = UNKNOWN_CONFIG;
  while (cfgIds.includes(unknownConfig)) unknownConfig += 'x';
  const badConfig = orderProbes
    ? lim(() => run.call('order', [unknownConfig], { purpose: 'order an unknown config id (ERR-BAD-ARGS)' }))
    : undefined;
  const [help2, helpCwd, configs2, configsCwd, noTask, badTask, badAction, noConfig, badCfg, sHelp, sConfigs] = await Promise.all([
    calls.help2,
    calls.helpCwd,
    calls.configs2,
    calls.configsCwd,
    calls.noTask,
    calls.badTask,
    calls.badAction,
    calls.noConfig,
    badConfig,
    stdinHelp,
    stdinConfigs,
  ]);

  judgeHelp(run, help);
  judgeConfigs(run, configs);
  judgeDeterministic(run, [help, help2], [configs, configs2]);
  judgeCwd(run, [help, help2, helpCwd], [configs, configs2, configsCwd]);
  judgeStdin(run, [sHelp, sConfigs]);
  judgeBadArgs(run, [
    { c: noTask, what: 'order_status without a task id' },
    { c: badTask, what: 'order_status for a task that never existed' },
    { c: badAction, what: 'an unknown action' },
    ...(noConfig ? [{ c: noConfig, what: 'order without a config id' }] : []),
    ...(badCfg ? [{ c: badCfg, what: 'order with an unknown config id' }] : []),
  ]);
  if (!allowOrder) L.note('ERR-BAD-ARGS', 'the order probes were not run: ordering is not allowed (--allow-order)');
  if (run.shouldStop()) return;

  // ---- the order lifecycle, in order
  const orderRules = RULES.filter((r) => r.area === 'order' || r.area === 'order_status' || r.area === 'lifecycle');
  let lifecycle: LifecycleResult | undefined;
  if (!allowOrder) {
    for (const r of orderRules) L.skip(r.id, NO_ORDER_REASON);
  } else if (run.wants('ORD', 'STAT', 'LIFE', 'HOST')) {
    lifecycle = await runLifecycle(run, configs, cfgIds);
  }
  if (run.shouldStop()) return;

  // ---- the host round trip
  if (run.wants('HOST')) {
    const hs = hostState.get(run) ?? { root: path.join(run.tmp, 'host'), installedByHost: false, installMessage: '' };
    await hostRoundTrip(run as unknown as HostRun, hs, {
      help: run.success(help),
      configs: run.success(configs),
      configId: lifecycle?.configId,
      oversized: new Set(run.calls.filter((c) => c?.res.cut).map((c) => c.action)),
      configsStable: jsonEqual(answerKey(configs), answerKey(configs2)),
      lifecycleEnded: lifecycle?.final !== undefined,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// help, configs

function judgeHelp(run: Run, help: Call): void {
  const L = run.ledger;
  const helpRules = ['HELP-SCHEMA', 'HELP-REQUIRED', 'HELP-UNKNOWN', 'HELP-STATUS', 'HELP-ERROR'];
  const id = help.id;
  if (help.answer && (help.answer.kind === 'error' || help.answer.kind === 'bad-error')) {
    const m = help.answer.value.error_message ?? help.answer.value.message;
    L.fail('HELP-ERROR', `help answered an error${typeof m === 'string' ? `: ${oneLine(m, 100)}` : ''}`, { call: id, excerpt: help.rec.stdoutExcerpt });
    for (const r of helpRules.slice(0, 4)) L.skip(r, 'help answered an error (HELP-ERROR)');
    return;
  }
  const s = run.success(help);
  if (!('value' in s)) {
    for (const r of helpRules) L.skip(r, s.why);
    return;
  }
  L.ok('HELP-ERROR', id);
  const v = s.value;
  const opts = v.options;
  if (!Array.isArray(opts) || !opts.every((o) => typeof o === 'string')) {
    L.fail('HELP-SCHEMA', `"options" is ${opts === undefined ? 'missing' : Array.isArray(opts) ? 'an array with non-strings' : `${typeof opts} ${show(opts, 60)}`}, not an array of strings`, {
      call: id,
      excerpt: help.rec.stdoutExcerpt,
    });
    L.skip('HELP-REQUIRED', '"options" is not an array of strings (HELP-SCHEMA)');
    L.skip('HELP-UNKNOWN', '"options" is not an array of strings (HELP-SCHEMA)');
  } else {
    L.ok('HELP-SCHEMA', id);
    const missing = REQUIRED_OPTIONS.filter((o) => !opts.includes(o));
    if (missing.length) L.fail('HELP-REQUIRED', `"options" lacks ${missing.join(', ')}: the host refuses ${missing.length > 1 ? 'those actions' : 'that action'}`, { call: id, excerpt: help.rec.stdoutExcerpt });
    else L.ok('HELP-REQUIRED', id);
    const unknown = (opts as string[]).filter((o) => !KNOWN_OPTIONS.includes(o));
    if (unknown.length) L.warn('HELP-UNKNOWN', `"options" names ${unknown.map((u) => JSON.stringify(u)).join(', ')}, which the host does not know (ignored)`, { call: id });
    else L.ok('HELP-UNKNOWN', id);
  }
  const st = v.status;
  if (st === 'enabled') L.ok('HELP-STATUS', id);
  else if (st === 'disabled') L.fail('HELP-STATUS', 'help answers "status": "disabled": the host refuses every action', { call: id });
  else if (st === undefined) L.warn('HELP-STATUS', 'help has no "status": the host shows the provider as "exists"', { call: id });
  else L.warn('HELP-STATUS', `help answers "status": ${show(st)}: the host passes it through as the provider's status (expected "enabled")`, { call: id });
}

function judgeConfigs(run: Run, configs: Call): void {
  const L = run.ledger;
  const id = configs.id;
  const cfgRules = ['CFG-SCHEMA', 'CFG-EMPTY', 'CFG-ID-SAFE', 'CFG-ID-UNIQUE', 'CFG-ID-STRING'];
  const s = run.success(configs);
  if (!('value' in s)) {
    for (const r of cfgRules) L.skip(r, s.why);
    return;
  }
  const list = s.value.configurations;
  const ex = configs.rec.stdoutExcerpt;
  if (!Array.isArray(list)) {
    L.fail('CFG-SCHEMA', `"configurations" is ${list === undefined ? 'missing' : `${typeof list} ${show(list, 60)}`}, not an array`, { call: id, excerpt: ex });
    for (const r of cfgRules.slice(1)) L.skip(r, '"configurations" is not an array (CFG-SCHEMA)');
    return;
  }
  let schemaOk = true;
  list.forEach((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      schemaOk = false;
      L.fail('CFG-SCHEMA', `configurations[${i}] is ${show(item, 60)}, not an object with "id" and "descr"`, { call: id, excerpt: ex });
      return;
    }
    const o = item as Record<string, unknown>;
    if (!(typeof o.id === 'string' && o.id !== '') && !(typeof o.id === 'number' && Number.isFinite(o.id))) {
      schemaOk = false;
      L.fail('CFG-SCHEMA', `configurations[${i}].id is ${o.id === undefined ? 'missing' : show(o.id, 40)}, not a non-empty string`, { call: id, excerpt: ex });
    }
    if (typeof o.descr !== 'string') {
      schemaOk = false;
      L.fail('CFG-SCHEMA', `configurations[${i}].descr is ${o.descr === undefined ? 'missing' : show(o.descr, 40)}, not a string`, { call: id, excerpt: ex });
    }
  });
  if (schemaOk) L.ok('CFG-SCHEMA', id);
  if (!list.length) L.warn('CFG-EMPTY', 'configs returned no configurations: nothing to order', { call: id });
  else L.ok('CFG-EMPTY', id);
  const ids = list
    .filter((x): x is Record<string, unknown> => !!x && typeof x === 'object')
    .map((x) => x.id)
    .filter((x) => typeof x === 'string' || typeof x === 'number') as (string | number)[];
  if (!ids.length) {
    for (const r of ['CFG-ID-SAFE', 'CFG-ID-UNIQUE', 'CFG-ID-STRING']) L.skip(r, list.length ? 'no configuration has a usable id (CFG-SCHEMA)' : 'no configurations (CFG-EMPTY)');
    return;
  }
  const unsafe = ids.filter((x) => !SAFE_WORD.test(String(x)));
  if (unsafe.length) L.fail('CFG-ID-SAFE', `config id ${unsafe.map((u) => show(u, 40)).join(', ')} does not survive an unquoted shell word`, { call: id, excerpt: ex });
  else L.ok('CFG-ID-SAFE', id);
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const x of ids) (seen.has(String(x)) ? dup : seen).add(String(x));
  if (dup.size) L.fail('CFG-ID-UNIQUE', `config id ${[...dup].map((d) => JSON.stringify(d)).join(', ')} appears more than once`, { call: id, excerpt: ex });
  else L.ok('CFG-ID-UNIQUE', id);
  const nums = ids.filter((x) => typeof x === 'number');
  if (nums.length) L.warn('CFG-ID-STRING', `config id ${nums.join(', ')} is a JSON number (documented as a string: "${nums[0]}")`, { call: id });
  else L.ok('CFG-ID-STRING', id);
}

/** The comparable form of a call's answer: the parsed object, or the raw bytes. */
function answerKey(c: Call): unknown {
  return c.answer ? c.answer.value : { raw: c.res.stdout.toString('latin1') };
}

function judgeDeterministic(run: Run, ...pairs: Call[][]): void {
  const L = run.ledger;
  for (const [a, b] of pairs) {
    if (!a || !b) continue;
    if (a.res.timedOut || b.res.timedOut || a.res.spawnError || b.res.spawnError) {
      L.skip('RUN-DETERMINISTIC', `${a.action} did not answer twice (${a.why ?? b.why})`);
      continue;
    }
    const ka = answerKey(a);
    const kb = answerKey(b);
    if (jsonEqual(ka, kb)) L.ok('RUN-DETERMINISTIC', b.id);
    else
      L.warn('RUN-DETERMINISTIC', `${a.action} answered differently on two calls (${firstDifference(ka, kb)})`, {
        call: b.id,
        excerpt: `1st: ${oneLine(a.rec.stdoutExcerpt, 140)}\n2nd: ${oneLine(b.rec.stdoutExcerpt, 140)}`,
      });
  }
}

function judgeCwd(run: Run, ...triples: Call[][]): void {
  const L = run.ledger;
  for (const [a, b, p] of triples) {
    if (!a || !b || !p) continue;
    if ([a, b, p].some((c) => c.res.timedOut || c.res.spawnError)) {
      L.skip('RUN-CWD', `${a.action} did not answer from both folders (${[a, b, p].find((c) => c.why)?.why ?? 'no answer'})`);
      continue;
    }
    if (!jsonEqual(answerKey(a), answerKey(b))) {
      L.skip('RUN-CWD', `${a.action} answers differently on every call (RUN-DETERMINISTIC), so the cwd comparison means nothing`);
      continue;
    }
    const ka = answerKey(a);
    const kp = answerKey(p);
    if (jsonEqual(ka, kp)) L.ok('RUN-CWD', p.id);
    else
      L.fail('RUN-CWD', `${a.action} answers differently from an empty cwd than from the plugin folder (${firstDifference(ka, kp)})`, {
        call: a.id,
        excerpt: `from an empty cwd:      ${oneLine(a.rec.stdoutExcerpt, 120)}\nfrom the plugin folder: ${oneLine(p.rec.stdoutExcerpt, 120)}`,
      });
  }
}

function judgeStdin(run: Run, probes: ({ base: Call; probe?: Call } | undefined)[]): void {
  const L = run.ledger;
  for (const p of probes) {
    if (!p) continue;
    if (!p.probe) {
      L.skip('RUN-STDIN', `${p.base.action} did not finish with stdin closed (${p.base.why}), so a stdin wait cannot be told apart`);
      continue;
    }
    if (p.probe.res.timedOut) {
      L.fail(
        'RUN-STDIN',
        `${p.base.action} waits on stdin: with an open, never-written stdin it was still running after ${p.probe.rec.budgetMs} ms (with stdin closed it took ${p.base.rec.durationMs} ms)`,
        { call: p.probe.id },
      );
    } else L.ok('RUN-STDIN', p.probe.id);
  }
}

function judgeBadArgs(run: Run, probes: { c: Call; what: string }[]): void {
  const L = run.ledger;
  for (const { c, what } of probes) {
    if (c.res.timedOut || c.res.spawnError || ((c.res.signal || c.res.exitCode === 126 || c.res.exitCode === 127) && !c.res.stdoutBytes)) {
      L.skip('ERR-BAD-ARGS', `${what}: ${c.why ?? 'the call did not run'}`);
      continue;
    }
    const ans = c.answer;
    if (ans && (ans.kind === 'error' || ans.kind === 'bad-error')) {
      L.ok('ERR-BAD-ARGS', c.id);
      continue;
    }
    let got: string;
    if (!ans) got = c.why ?? 'no answer';
    else if (c.action === 'order_status' && ans.value.status === 'in_progress') got = 'an "in_progress" for a task that never existed';
    else got = `a success answer ${oneLine(c.rec.stdoutExcerpt, 80)}`;
    L.fail('ERR-BAD-ARGS', `${what} (\`${c.rec.argv.slice(1).join(' ')}\`) got ${got} instead of {"error": N, "error_message": "..."}`, {
      call: c.id,
      excerpt: c.rec.stdoutExcerpt || undefined,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// the order lifecycle

interface LifecycleResult {
  configId?: string;
  taskId?: string;
  final?: Record<string, unknown>;
}

function judgeOrderSpeed(run: Run, c: Call): void {
  const L = run.ledger;
  if (c.res.timedOut) L.fail('ORD-SPEED', `${c.id}: did not return within the hard budget (${c.rec.budgetMs} ms)`, { call: c.id });
  else if (c.res.durationMs > run.settings.slowMs)
    L.warn('ORD-SPEED', `${c.id}: took ${c.rec.durationMs} ms (soft budget ${run.settings.slowMs} ms): order must return at once`, { call: c.id });
  else L.ok('ORD-SPEED', c.id);
}

/** The task id of an order answer, or a finding. */
function judgeTaskId(run: Run, c: Call, first: boolean): string | undefined {
  const L = run.ledger;
  const s = run.success(c);
  if (!('value' in s)) {
    if (first) for (const r of ['ORD-TASK-ID', 'ORD-TASK-SAFE']) L.skip(r, s.why);
    return undefined;
  }
  const tid = s.value.task_id;
  if (tid === undefined || tid === null || tid === '' || (typeof tid !== 'string' && typeof tid !== 'number')) {
    L.fail('ORD-TASK-ID', `${c.id}: "task_id" is ${tid === undefined ? 'missing' : show(tid, 40)} (the host answers "doesn't return task_id" after the plugin already ordered)`, {
      call: c.id,
      excerpt: c.rec.stdoutExcerpt,
    });
    if (first) L.skip('ORD-TASK-SAFE', 'order returned no task id (ORD-TASK-ID)');
    return undefined;
  }
  L.ok('ORD-TASK-ID', c.id);
  const t = String(tid);
  if (!SAFE_WORD.test(t) || t === '.' || t === '..' || t.length > 64) {
    L.fail('ORD-TASK-SAFE', `${c.id}: task id ${JSON.stringify(t)} is not a safe file name and shell word${t.includes('/') ? ' (the host cannot save tasks/' + t + ')' : ''}`, {
      call: c.id,
      excerpt: c.rec.stdoutExcerpt,
    });
  } else L.ok('ORD-TASK-SAFE', c.id);
  return t;
}

/** STAT-* on one order_status answer; returns the status when it is usable. */
function judgeStatus(run: Run, c: Call, taskId: string): { value?: Record<string, unknown>; why?: string } {
  const L = run.ledger;
  const s = run.success(c);
  if (!('value' in s)) return { why: s.why };
  const v = s.value;
  const st = v.status;
  if (typeof st === 'string' && STATUSES.includes(st)) L.ok('STAT-SCHEMA', c.id);
  else
    L.fail('STAT-SCHEMA', `${c.id}: "status" is ${st === undefined ? 'missing' : show(st, 40)}, not in_progress, finished or error`, {
      call: c.id,
      excerpt: c.rec.stdoutExcerpt,
    });
  if (v.task_id === undefined) L.warn('STAT-ECHO', `${c.id}: no "task_id" in the answer`, { call: c.id });
  else if (String(v.task_id) !== taskId) L.warn('STAT-ECHO', `${c.id}: "task_id" is ${show(v.task_id, 40)}, not the ${JSON.stringify(taskId)} asked for`, { call: c.id });
  else L.ok('STAT-ECHO', c.id);
  if (st === 'finished') {
    if (!isServerAddress(v.server))
      L.fail('STAT-FINISHED', `${c.id}: "finished" with "server" ${v.server === undefined ? 'missing' : `${show(v.server, 40)} (not an IPv4, IPv6 or host name)`}`, {
        call: c.id,
        excerpt: c.rec.stdoutExcerpt,
      });
    else if (typeof v.server_password !== 'string' || !v.server_password)
      L.warn('STAT-FINISHED', `${c.id}: "finished" without "server_password": the host cannot copy the pool's SSH key`, { call: c.id });
    else L.ok('STAT-FINISHED', c.id);
  }
  if (st === 'error') {
    if (typeof v.message === 'string' && v.message.trim()) L.ok('STAT-ERROR-STATUS', c.id);
    else L.warn('STAT-ERROR-STATUS', `${c.id}: "status": "error" without a "message": the web interface shows nothing`, { call: c.id });
  }
  return { value: v };
}

async function runLifecycle(run: Run, configs: Call, cfgIds: string[]): Promise<LifecycleResult> {
  const L = run.ledger;
  const S = run.settings;
  const all = ['ORD-TASK-ID', 'ORD-TASK-SAFE', 'ORD-TASK-UNIQUE', 'ORD-SPEED', 'STAT-SCHEMA', 'STAT-ECHO', 'STAT-FINISHED', 'STAT-ERROR-STATUS', 'LIFE-REACHES-END', 'LIFE-MONOTONIC'];
  const skipAll = (why: string) => all.forEach((r) => L.skip(r, why));
  let configId = S.configId;
  if (configId === undefined) {
    if (!cfgIds.length || !cfgIds[0]) {
      const s = run.success(configs);
      skipAll(`no configuration to order: ${'why' in s ? s.why : 'configs returned none'}; set "configId" in conformance.json to order one anyway`);
      return {};
    }
    configId = cfgIds[0];
  } else if (cfgIds.length && !cfgIds.includes(configId)) {
    skipAll(`configId ${JSON.stringify(configId)} from the settings is not among the ids configs returns (${cfgIds.map((x) => JSON.stringify(x)).join(', ')})`);
    return { configId };
  }
  S.configId = configId; // the report says which configuration was ordered
  run.progress(`lifecycle: ordering config ${configId}`);
  const order1 = await run.call('order', [configId], { purpose: `order config ${configId} (lifecycle)` });
  judgeOrderSpeed(run, order1);
  const taskId = judgeTaskId(run, order1, true);
  const res: LifecycleResult = { configId };
  if (taskId === undefined) {
    const s1 = run.success(order1);
    const why = `the first order gave no task id (${'why' in s1 ? s1.why : 'ORD-TASK-ID'})`;
    for (const r of ['ORD-TASK-UNIQUE', 'STAT-SCHEMA', 'STAT-ECHO', 'STAT-FINISHED', 'STAT-ERROR-STATUS', 'LIFE-REACHES-END', 'LIFE-MONOTONIC']) L.skip(r, why);
    return res;
  }
  res.taskId = taskId;
  // Poll until finished or error, within the lifecycle budget.
  const deadline = performance.now() + S.lifecycleTimeoutMs;
  let final: Record<string, unknown> | undefined;
  let finalCall: Call | undefined;
  let sawValid = false;
  let stoppedWhy: string | undefined;
  let polls = 0;
  const history: string[] = [];
  for (;;) {
    polls++;
    const c = await run.call('order_status', [taskId], { purpose: `poll ${polls} of the lifecycle`, label: `order_status ${taskId}` });
    const j = judgeStatus(run, c, taskId);
    if (!j.value) {
      stoppedWhy = j.why;
      break;
    }
    const st = j.value.status;
    history.push(typeof st === 'string' ? st : show(st, 20));
    if (typeof st === 'string' && STATUSES.includes(st)) sawValid = true;
    if (st === 'finished' || st === 'error') {
      final = j.value;
      finalCall = c;
      break;
    }
    if (performance.now() + S.pollIntervalMs > deadline) break;
    await sleep(S.pollIntervalMs);
  }
  if (final?.status === 'finished') L.skip('STAT-ERROR-STATUS', 'the order ended "finished": no order_status answered "error", so there was no error status to check');
  if (final?.status === 'error') L.skip('STAT-FINISHED', 'the order ended "error": no order_status answered "finished", so there was no server to check');
  if (final) {
    L.ok('LIFE-REACHES-END', finalCall!.id);
    res.final = final;
  } else if (stoppedWhy) {
    const c = run.calls[run.calls.length - 1]!;
    if (c.answer && (c.answer.kind === 'error' || c.answer.kind === 'bad-error') && history.length) {
      L.fail('LIFE-REACHES-END', `order_status answered an error for task ${taskId} after ${history.join(' → ')}: ${stoppedWhy}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    } else if (c.answer && (c.answer.kind === 'error' || c.answer.kind === 'bad-error')) {
      L.fail('LIFE-REACHES-END', `order_status does not know the task ${taskId} that order just returned: ${stoppedWhy}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
    } else {
      L.skip('LIFE-REACHES-END', `polling stopped: ${stoppedWhy}`);
    }
    L.skip('LIFE-MONOTONIC', `the order never reached a final status (${stoppedWhy})`);
  } else if (!sawValid) {
    L.skip('LIFE-REACHES-END', `order_status never answered a valid status (STAT-SCHEMA: ${history.slice(0, 3).join(', ')}…)`);
    L.skip('LIFE-MONOTONIC', 'the order never reached a final status');
  } else {
    L.fail(
      'LIFE-REACHES-END',
      `task ${taskId} did not reach finished or error within ${S.lifecycleTimeoutMs} ms (${polls} polls every ${S.pollIntervalMs} ms: ${summarize(history)})`,
      { call: run.calls[run.calls.length - 1]!.id },
    );
    L.skip('LIFE-MONOTONIC', 'the order never reached a final status (LIFE-REACHES-END)');
  }
  if (final) {
    // Call again: a final answer must stay put.
    for (let i = 0; i < 2; i++) {
      await sleep(Math.min(S.pollIntervalMs, 200));
      const c = await run.call('order_status', [taskId], { purpose: 'the final status must stay put (LIFE-MONOTONIC)', label: `order_status ${taskId}` });
      const j = judgeStatus(run, c, taskId);
      if (!j.value) {
        if (c.answer) L.fail('LIFE-MONOTONIC', `task ${taskId} was ${final.status}, then order_status answered: ${j.why}`, { call: c.id, excerpt: c.rec.stdoutExcerpt });
        else L.skip('LIFE-MONOTONIC', `a later order_status gave no answer (${j.why})`);
        break;
      }
      if (j.value.status !== final.status || (final.status === 'finished' && !jsonEqual(j.value.server, final.server))) {
        L.fail(
          'LIFE-MONOTONIC',
          `task ${taskId} was ${show(final.status)}${final.server !== undefined ? ` on ${show(final.server)}` : ''}, then ${show(j.value.status)}${j.value.server !== undefined ? ` on ${show(j.value.server)}` : ''}`,
          { call: c.id, excerpt: c.rec.stdoutExcerpt },
        );
        break;
      }
      L.ok('LIFE-MONOTONIC', c.id);
    }
  }
  // A second order must get a new task id.
  const order2 = await run.call('order', [configId], { purpose: `order config ${configId} again (ORD-TASK-UNIQUE)` });
  judgeOrderSpeed(run, order2);
  const task2 = judgeTaskId(run, order2, false);
  if (task2 === undefined) L.skip('ORD-TASK-UNIQUE', `the second order gave no task id (${order2.why ?? 'see ORD-TASK-ID'})`);
  else if (task2 === taskId)
    L.fail('ORD-TASK-UNIQUE', `two orders both returned task id ${JSON.stringify(taskId)}: the host truncates the first task's file`, { call: order2.id, excerpt: order2.rec.stdoutExcerpt });
  else L.ok('ORD-TASK-UNIQUE', order2.id);
  return res;
}

function summarize(h: string[]): string {
  const out: string[] = [];
  for (const s of h) {
    const last = out[out.length - 1];
    const m = last && /^(.*) ×(\d+)$/.exec(last);
    if (last === s) out[out.length - 1] = `${s} ×2`;
    else if (m && m[1] === s) out[out.length - 1] = `${s} ×${Number(m[2]) + 1}`;
    else out.push(s);
  }
  return out.join(' → ');
}
