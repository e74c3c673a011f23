/**
 * The harness of a run: the plugin calls (as the host makes them: argv, cwd, environment,
 * stdin, budget), their records, the rule selection and --bail, and the ledger every judge
 * reports to. It judges nothing itself: each call goes through the output, errors and running
 * judges (rules/), the rest of the judging is the runner's.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RuleId } from '@bx-provider-kit/schemas';
import type { Call } from './call.js';
import { Ledger } from './ledger.js';
import { explainSpawnError, ProcessTracker, runProcess } from './proc.js';
import type { CallRecord, HostCallRecord, ReportSettings, ReportTarget } from './report.js';
import type { RunOptions } from './settings.js';
import { excerpt } from './text.js';
import { judgeErrors } from './rules/errors.js';
import { judgeOutput } from './rules/output.js';
import { judgeRun } from './rules/running.js';

export interface ResolvedTarget extends ReportTarget {
  archiveFile?: string;
  /** The folder the plugin files live in, for RUN-CWD (plugin folder, or the executable's folder). */
  cwdDir: string;
  /** Whether bin/NAME can be run at all. */
  runnable: boolean;
  notRunnableWhy?: string;
  configCandidates: string[];
}

/** What became of an archive target: installed by the emulated host, unpacked by the runner, or neither. */
export interface HostState {
  root: string;
  installedByHost: boolean;
  installMessage: string;
  extractedByRunner?: boolean;
  extractError?: string;
  /** The archive was refused for this rule; only its safe entries were unpacked. */
  salvagedBecause?: string;
}

/** What the host round trip (host-trip.ts) needs of a run. */
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

/** The variable every plugin call of a run carries (so leftovers can be found and killed). */
export const RUN_MARKER_VAR = 'BX_PROVIDER_KIT_RUN';

/** The environment sudo gives a plugin on a BitrixVM (secure_path), with HOME in a temp folder. */
export function baseEnv(home: string): Record<string, string> {
  let user = 'root';
  try {
    user = os.userInfo().username;
  } catch {
    /* keep root */
  }
  return { PATH: '/sbin:/bin:/usr/sbin:/usr/bin', HOME: home, USER: user, LOGNAME: user, SHELL: '/bin/bash' };
}

export interface CallOptions {
  label?: string;
  purpose: string;
  cwd?: 'empty' | 'plugin';
  stdin?: 'closed' | 'open';
  budgetMs?: number;
  /** Extra environment over the run's (the fault proxy's variables, issue 13). */
  env?: Record<string, string>;
  /** The ledger the OUT/ERR/RUN judges of this call report to (default the run's): a probe judged by its own rules passes a scratch one. */
  ledger?: Ledger;
}

export class Run implements HostRun {
  readonly ledger = new Ledger();
  readonly tracker = new ProcessTracker();
  readonly calls: Call[] = [];
  readonly hostCalls: HostCallRecord[] = [];
  private ids = new Map<string, number>();
  env: Record<string, string> = {};
  settings!: ReportSettings;
  target!: ResolvedTarget;
  hostState?: HostState;
  tmp!: string;
  selected = new Set<RuleId>();
  forced = new Map<RuleId, string>();
  bailed = false;
  marker = '';

  constructor(readonly opts: RunOptions) {}

  progress(line: string): void {
    this.opts.onProgress?.(line);
  }

  markerEnv(): Record<string, string> {
    const i = this.marker.indexOf('=');
    return { [this.marker.slice(0, i)]: this.marker.slice(i + 1) };
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
  async call(action: string, args: string[], o: CallOptions): Promise<Call> {
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
      env: o.env ? { ...this.env, ...o.env } : this.env,
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
    const spawnWhy = res.spawnError ? await explainSpawnError(this.target.executable, res.spawnError) : undefined;
    const L = o.ledger ?? this.ledger;
    judgeRun(L, c, { slowMs: this.settings.slowMs, stdinProbe: o.stdin === 'open', spawnWhy });
    judgeOutput(L, c);
    judgeErrors(L, c);
    return c;
  }
}
