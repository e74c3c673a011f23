/**
 * Process containment: runs one plugin call as the host would (argv, never a shell), with a
 * hard time budget after which the whole process group is killed (grandchildren included),
 * stdout/stderr read up to a cap and then drained and discarded (memory stays bounded), and
 * every call tracked (contain.ts: cgroup, parent chain, group and session, run marker, run
 * folders) so that nothing is left running when the run ends, the process exits, or the user
 * presses Ctrl-C.
 */
import { execa } from 'execa';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { ALL_GROUPS, killGroup, LIVE_TRACKERS, ProcessTracker, setActivateHook, type SweepResult } from './contain.js';

export { cgroupAvailable, describeSurvivors, killGroup, ProcessTracker, type FoundBy, type SweepResult, type SweptProcess, type Survivor, type TrackerOptions } from './contain.js';

/** Bytes of stdout/stderr kept per call (OUT-SIZE). */
export const OUTPUT_CAP = 1024 * 1024;

export interface ProcessSpec {
  /** The executable (absolute path). */
  file: string;
  args: string[];
  cwd: string;
  /** The complete environment (nothing is inherited). */
  env: Record<string, string>;
  /** Hard budget: the process group is killed after this many ms. */
  timeoutMs: number;
  /** `closed` (default): stdin is an empty pipe closed at once; `open`: a pipe never written nor closed. */
  stdin?: 'closed' | 'open';
  /** Bytes kept of each stream (default OUTPUT_CAP). */
  maxBytes?: number;
  /** Groups are registered here so the caller can kill leftovers (see `ProcessTracker`). */
  tracker?: ProcessTracker;
}

export interface ProcessResult {
  argv: string[];
  stdout: Buffer;
  stderr: Buffer;
  /** Bytes the process wrote, including what was cut. */
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  exitCode: number | null;
  signal: string | null;
  /** The runner killed it at the hard budget (the leader had not exited or stdout was still open). */
  timedOut: boolean;
  /** The leader exited but something it left behind kept stdout open until the budget. */
  stdoutHeld: boolean;
  /** stdout passed the cap: the runner stopped reading and killed the process group (OUT-SIZE). */
  cut: boolean;
  /** It could not be started: ENOENT, EACCES, ENOEXEC, ... */
  spawnError?: string;
  spawnMessage?: string;
  /** Until the leader exited and stdout reached EOF (what the host waits for), or the kill. */
  durationMs: number;
}

const MARKERS = new Set<string>();

/** Registers a run marker so that leftovers carrying it are killed on exit and on signals. */
export function addMarker(marker: string): void {
  MARKERS.add(marker);
  installHandlers();
}
export function removeMarker(marker: string): void {
  MARKERS.delete(marker);
}

/**
 * Kills every process (but this one and its ancestors) whose environment carries `marker`,
 * and everything they started: what escaped its process group (setsid) is found this way as
 * long as it kept the variable. Linux /proc only. A run's `ProcessTracker.killAll()` does this
 * and more (cgroup, parent chain, run folders).
 */
export function sweep(marker: string): SweepResult {
  return new ProcessTracker({ marker, cgroup: false, bornAfter: 0 }).killAll();
}
let handlersInstalled = false;

/** Kills everything every live tracker of this process follows (used by the exit and signal handlers). */
export function killAllGroups(): void {
  for (const t of [...LIVE_TRACKERS]) t.killAll();
  for (const g of ALL_GROUPS) killGroup(g);
  ALL_GROUPS.clear();
  for (const m of MARKERS) sweep(m);
}

function onSignal(sig: NodeJS.Signals): void {
  killAllGroups();
  // Re-raise with the default behaviour unless someone else handles the signal.
  if (process.listenerCount(sig) <= 1) {
    process.removeListener(sig, onSignal);
    process.kill(process.pid, sig);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllGroups);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}
setActivateHook(installHandlers);

/** Removes the signal handlers when nothing is tracked any more (so a library user's process can exit normally). */
export function releaseHandlers(): void {
  if (!handlersInstalled || ALL_GROUPS.size || MARKERS.size || LIVE_TRACKERS.size) return;
  handlersInstalled = false;
  process.removeListener('exit', killAllGroups);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGHUP', onSignal);
}

/** A byte sink that keeps the first `cap` bytes and counts the rest. */
class CappedSink {
  private chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.cap) return;
    const room = this.cap - this.kept;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
  get truncated(): boolean {
    return this.total > this.kept;
  }
}

/** Is a live (not zombie) process still in this group? Reads /proc where it exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return true; // no /proc: the group exists
  }
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') return true;
    } catch {
      /* gone */
    }
  }
  return false;
}

/**
 * Runs one call. Never throws for anything the plugin does: a start failure is reported in
 * `spawnError`, a hang as `timedOut`.
 */
export async function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const cap = spec.maxBytes ?? OUTPUT_CAP;
  const argv = [spec.file, ...spec.args];
  const out = new CappedSink(cap);
  const err = new CappedSink(cap);
  const t0 = performance.now();
  const start = () =>
    execa(spec.file, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      detached: true, // its own process group: kill(-pid) reaches grandchildren
      cleanup: false, // we kill the group ourselves
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      encoding: 'buffer',
      stripFinalNewline: false,
      windowsHide: true,
    });
  // Started inside the run's cgroup when there is one (see ProcessTracker.spawn).
  const sub = spec.tracker ? spec.tracker.spawn(start) : start();
  const pid = sub.pid;
  if (pid !== undefined) spec.tracker?.add(pid);
  if (spec.stdin !== 'open') sub.stdin?.end();
  // An open stdin that the plugin never reads must not make the runner crash with EPIPE.
  sub.stdin?.on('error', () => {});

  let exited = false;
  let stdoutEnded = !sub.stdout;
  let stderrEnded = !sub.stderr;
  let exitCode: number | null = null;
  let signal: string | null = null;
  let timedOut = false;
  let doneAt = 0;

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const check = () => {
    if (exited && stdoutEnded && !doneAt) {
      doneAt = performance.now();
      resolveDone();
    }
  };
  let cut = false;
  sub.stdout?.on('data', (c: Buffer) => {
    out.push(c);
    if (out.truncated && !cut) {
      // Over the cap: stop here (memory stays bounded, a runaway writer cannot hold the run).
      cut = true;
      if (pid !== undefined) killGroup(pid);
      sub.stdout?.destroy();
    }
  });
  sub.stderr?.on('data', (c: Buffer) => err.push(c));
  sub.stdout?.on('error', () => {});
  sub.stderr?.on('error', () => {});
  sub.stdout?.on('close', () => {
    stdoutEnded = true;
    check();
  });
  sub.stderr?.on('close', () => {
    stderrEnded = true;
  });
  let spawnError: string | undefined;
  let spawnMessage: string | undefined;
  sub.on('error', (e: NodeJS.ErrnoException) => {
    if (pid === undefined || e.code) {
      spawnError ??= e.code;
      spawnMessage ??= e.message;
    }
  });
  sub.on('exit', (code, sig) => {
    exited = true;
    exitCode = code;
    signal = sig;
    check();
  });
  const result = sub.then(
    (r) => r,
    (e) => e,
  );

  if (pid === undefined) {
    // Could not start at all (ENOENT, EACCES...): execa resolves with the error.
    const r = (await result) as { code?: string; message?: string; originalMessage?: string };
    return {
      argv,
      stdout: Buffer.alloc(0),
      stderr: Buffer.alloc(0),
      stdoutBytes: 0,
      stderrBytes: 0,
      stdoutTruncated: false,
      stderrTruncated: false,
      exitCode: null,
      signal: null,
      timedOut: false,
      stdoutHeld: false,
      cut: false,
      spawnError: spawnError ?? r.code ?? 'ESPAWN',
      spawnMessage: spawnMessage ?? r.originalMessage ?? r.message,
      durationMs: performance.now() - t0,
    };
  }

  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((r) => {
    timer = setTimeout(r, Math.max(1, spec.timeoutMs));
  });
  await Promise.race([done, budget]);
  clearTimeout(timer);
  spec.tracker?.ended(pid);
  let stdoutHeld = false;
  if (!doneAt) {
    timedOut = true;
    stdoutHeld = exited && !stdoutEnded;
    doneAt = performance.now();
    killGroup(pid);
  } else if (!stderrEnded) {
    // The host does not wait for stderr (it is the caller's): give it a moment, then cut.
    await Promise.race([new Promise((r) => sub.stderr?.once('close', r)), new Promise((r) => setTimeout(r, 100))]);
    if (!stderrEnded) killGroup(pid);
  }
  // A process that escaped the group (setsid) may still hold a pipe: never wait on it for long.
  const settled = await Promise.race([result.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref())]);
  if (!settled) {
    sub.stdout?.destroy();
    sub.stderr?.destroy();
    sub.stdin?.destroy();
  }
  if (timedOut && !exited) {
    exitCode = null;
    signal = 'SIGKILL';
  }
  return {
    argv,
    stdout: out.buffer,
    stderr: err.buffer,
    stdoutBytes: out.total,
    stderrBytes: err.total,
    stdoutTruncated: out.truncated,
    stderrTruncated: err.truncated,
    exitCode,
    signal,
    timedOut,
    stdoutHeld,
    cut,
    spawnError,
    spawnMessage,
    durationMs: doneAt - t0,
  };
}

/** Why a file could not be started, in words (for RUN-CRASH). */
export async function explainSpawnError(file: string, code: string): Promise<string> {
  let first = '';
  try {
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      const { bytesRead } = await fh.read(buf, 0, 256, 0);
      first = buf.subarray(0, bytesRead).toString('latin1').split('\n')[0] ?? '';
    } finally {
      await fh.close();
    }
  } catch {
    if (code === 'ENOENT') return `${file} does not exist`;
  }
  if (code === 'ENOENT') {
    if (first.startsWith('#!')) {
      if (first.endsWith('\r')) return `the interpreter "${first.slice(2).trim()}\\r" does not exist: the shebang line ends in CRLF`;
      return `the interpreter of "${first}" does not exist on this machine`;
    }
    return `${file} could not be started (ENOENT)`;
  }
  if (code === 'EACCES') return `${file} is not executable (EACCES): chmod 0755 it`;
  if (code === 'ENOEXEC') return `${file} is not a valid executable (ENOEXEC): add a #! line`;
  return `${file} could not be started (${code})`;
}

/** Whether /proc can be read (Linux): used by tests that look for leftovers. */
export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}
