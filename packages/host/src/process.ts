/**
 * The one process runner of the kit: the emulator's plugin calls (run.ts) and the conformance
 * runner's direct calls (conformance/src/proc.ts) both start plugins here.
 *
 * - argv, never a shell; node's child_process.spawn;
 * - its own process group (unless it shares the caller's terminal: an inherited TTY stdin and
 *   no budget), so a kill (budget, cap, a signal to the kit) reaches its grandchildren too;
 * - stdout kept up to a cap: past it the runner stops reading and kills the group (`cut`);
 * - stderr kept up to a cap (and drained past it), optionally forwarded as it comes, with
 *   back-pressure when the receiver returns a promise;
 * - a call is over, as the host sees it, when the process has exited AND stdout reached EOF;
 *   an optional hard budget (SIGKILL to the group) until then; none: wait as the host does;
 * - after a kill, pipes a process outside the group still holds are given up `giveUpMs` later;
 * - `spawnWith` wraps the synchronous spawn call (a tracker puts the child in its cgroup and
 *   registers it at fork time, with nothing patched globally).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Keeps the first `cap` bytes pushed, counts the rest. */
export class CappedSink {
  private readonly chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  constructor(readonly cap: number) {}
  get truncated(): boolean {
    return this.total > this.kept;
  }
  push(b: Buffer): void {
    this.total += b.length;
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const k = b.length <= room ? b : b.subarray(0, room);
    this.chunks.push(k);
    this.kept += k.length;
  }
  /** Adds bytes past the cap (a note saying what was left out); not counted. */
  append(b: Buffer): void {
    this.chunks.push(b);
  }
  /** Whether what is kept ends a line (or is empty). */
  get endsLine(): boolean {
    const last = this.chunks[this.chunks.length - 1];
    return !last || last[last.length - 1] === 0x0a;
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** SIGKILL to a whole process group; nothing if it is gone. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* already gone */
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

export interface SpawnedCall {
  file: string;
  args: string[];
  cwd: string;
}

export interface ProcessOptions {
  /** The executable; `args` are passed as they are (no shell). */
  file: string;
  args: string[];
  cwd: string;
  /** The complete environment of the process. */
  env: NodeJS.ProcessEnv;
  /**
   * `ignore` (default): /dev/null; `inherit`: this process's; `closed`: an empty pipe closed at
   * once; `open`: a pipe never written nor closed.
   */
  stdin?: 'ignore' | 'inherit' | 'closed' | 'open';
  /** Its own process group; default: yes, unless stdin is an inherited terminal and there is no budget. */
  group?: boolean;
  /** Bytes of stdout kept; past it the runner stops reading and kills the group (`cut`). */
  stdoutCap: number;
  /** Bytes of stderr kept (the rest is drained); default `stdoutCap`. */
  stderrCap?: number;
  /** Receives stderr as it comes; a returned promise holds reading back until it settles. */
  onStderr?: (chunk: Buffer) => unknown;
  /** Hard budget until the call is over (exit and stdout EOF); past it the group is killed. Default: none. */
  timeoutMs?: number;
  /** Once the call is over, how long a still open stderr is read (default 200 ms; longer while the receiver holds it back, up to 5 s). */
  stderrGraceMs?: number;
  /** Kill the group when stderr is still open after that grace (default: just stop reading it, as the host would not wait). */
  killHeldStderr?: boolean;
  /** After a kill, how long to wait for the exit and the pipes before giving them up (default 250 ms). */
  giveUpMs?: number;
  /** Past the stdout cap, return at once after the kill (default: wait up to `giveUpMs` for the exit, reading stderr meanwhile). */
  returnOnCut?: boolean;
  /** Called with the spawn, synchronously: e.g. starts it inside a cgroup and registers the child at fork time. */
  spawnWith?: (start: () => ChildProcess, call: SpawnedCall) => ChildProcess;
  /** The call is over (exited and stdout ended, or the budget ran out), before any kill. */
  onOver?: (pid: number) => void;
}

export interface ProcessOutcome {
  argv: string[];
  pid?: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Bytes the process wrote, including what was not kept. */
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  exitCode: number | null;
  signal: string | null;
  /** Killed at the budget (not exited, or stdout still open). */
  timedOut: boolean;
  /** At the budget the process had exited but something it left kept stdout open. */
  stdoutHeld: boolean;
  /** stdout passed the cap: reading stopped and the group was killed. */
  cut: boolean;
  /** It could not be started: ENOENT, EACCES, ENOEXEC, ... */
  spawnError?: string;
  spawnMessage?: string;
  /** ms until the call was over (exit and stdout EOF), or the budget kill. */
  durationMs: number;
  /** ms until the runner returned (stderr grace and held pipes included). */
  totalMs: number;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  /** Whether it leads its own process group. */
  readonly group: boolean;
  /** SIGKILL to its group (or to it, without a group). */
  kill(): void;
  readonly result: Promise<ProcessOutcome>;
}

/** How long stderr held back by a slow receiver is still read after the call is over. */
const BACKPRESSURE_MS = 5000;

/** Starts one process; never throws for anything the process does (a start failure is in `spawnError`). */
export function startProcess(o: ProcessOptions): RunningProcess {
  const argv = [o.file, ...o.args];
  const t0 = performance.now();
  const out = new CappedSink(o.stdoutCap);
  const err = new CappedSink(o.stderrCap ?? o.stdoutCap);
  const stdinMode = o.stdin ?? 'ignore';
  const group = o.group ?? (o.timeoutMs !== undefined || !(stdinMode === 'inherit' && process.stdin.isTTY));
  const graceMs = o.stderrGraceMs ?? 200;
  const giveUpMs = o.giveUpMs ?? 250;

  let child: ChildProcess | undefined;
  let exited = false;
  let outEnded = false;
  let errEnded = false;
  let exitCode: number | null = null;
  let signal: string | null = null;
  let timedOut = false;
  let stdoutHeld = false;
  let cut = false;
  let overAt = 0;
  let killedAt = 0;
  let finished = false;
  let spawnError: string | undefined;
  let spawnMessage: string | undefined;
  const timers: NodeJS.Timeout[] = [];
  const later = (ms: number, f: () => void) => timers.push(setTimeout(f, ms));

  let resolve!: (r: ProcessOutcome) => void;
  const result = new Promise<ProcessOutcome>((r) => (resolve = r));

  const kill = () => {
    const pid = child?.pid;
    if (pid === undefined) return;
    if (group) killGroup(pid); // the whole group, whether the leader exited or not
    if (!exited) {
      try {
        child!.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  };

  const finish = () => {
    if (finished) return;
    finished = true;
    timers.forEach((t) => clearTimeout(t));
    if (!exited && (timedOut || cut)) {
      exitCode = null;
      signal = 'SIGKILL';
    }
    // what was read but not yet forwarded still reaches the receiver (without waiting on it)
    for (const b of backlog.splice(0)) o.onStderr?.(b);
    // never wait on a pipe held by a process out of reach
    child?.stdout?.destroy();
    child?.stderr?.destroy();
    child?.stdin?.destroy();
    const now = performance.now();
    resolve({
      argv,
      pid: child?.pid,
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
      ...(spawnError !== undefined ? { spawnError, spawnMessage } : {}),
      durationMs: (overAt || now) - t0,
      totalMs: now - t0,
    });
  };

  /** Killed: the exit and the pipes get `giveUpMs`, then they are given up. */
  const killed = () => {
    kill();
    if (killedAt) return;
    killedAt = performance.now();
    later(giveUpMs, finish);
    check();
  };

  const over = () => {
    overAt = performance.now();
    if (child?.pid !== undefined) o.onOver?.(child.pid);
  };

  // stderr held back by a slow receiver is still read after the call is over, for up to 5 s
  let errPaused = false;
  let graceAfterResume = false;
  /** Chunks read while the receiver was not ready (a stream may emit one more after pause()). */
  const backlog: Buffer[] = [];
  const forward = (b: Buffer) => {
    if (!o.onStderr) return;
    if (errPaused) {
      backlog.push(b);
      child?.stderr?.pause();
      return;
    }
    const wait = o.onStderr(b) as PromiseLike<unknown> | undefined;
    if (wait && typeof wait.then === 'function') {
      // back-pressure: the plugin blocks on its stderr as it would on a slow terminal
      child?.stderr?.pause();
      errPaused = true;
      wait.then(resume, resume);
    }
  };
  const resume = () => {
    errPaused = false;
    if (finished) return;
    while (backlog.length && !errPaused) forward(backlog.shift()!);
    if (errPaused) return;
    child?.stderr?.resume();
    if (graceAfterResume) {
      graceAfterResume = false;
      grace();
    }
  };
  const grace = () =>
    later(graceMs, () => {
      if (errEnded || finished) return;
      if (errPaused && performance.now() - overAt < BACKPRESSURE_MS) graceAfterResume = true;
      else if (o.killHeldStderr) killed();
      else finish();
    });

  function check(): void {
    if (finished) return;
    if (exited && outEnded && errEnded) return finish();
    if (exited && outEnded && !overAt) {
      over();
      if (!killedAt) grace();
    }
  }

  const failed = (e: NodeJS.ErrnoException) => {
    spawnError ??= e.code ?? 'ESPAWN';
    spawnMessage ??= e.message;
    finish();
  };

  const start = () =>
    spawn(o.file, o.args, {
      cwd: o.cwd,
      env: o.env,
      stdio: [stdinMode === 'closed' || stdinMode === 'open' ? 'pipe' : stdinMode, 'pipe', 'pipe'],
      detached: group,
      windowsHide: true,
    });
  try {
    child = o.spawnWith ? o.spawnWith(start, { file: o.file, args: o.args, cwd: o.cwd }) : start();
  } catch (e) {
    failed(e as NodeJS.ErrnoException);
    return { pid: undefined, group, kill: () => {}, result };
  }
  const c = child;
  if (c.stdin) {
    // an open stdin the plugin never reads must not crash the caller with EPIPE
    c.stdin.on('error', () => {});
    if (stdinMode === 'closed') c.stdin.end();
  }
  c.on('error', (e: NodeJS.ErrnoException) => {
    if (c.pid === undefined) failed(e); // could not start (a failed kill also lands here: ignored)
  });
  if (c.pid === undefined) return { pid: undefined, group, kill: () => {}, result };

  c.stdout!.on('data', (b: Buffer) => {
    if (finished || cut) return;
    out.push(b);
    if (out.truncated) {
      // over the cap: stop here (memory stays bounded, a runaway writer cannot hold the call)
      cut = true;
      killed();
      c.stdout!.destroy();
      if (o.returnOnCut) finish();
    }
  });
  c.stderr!.on('data', (b: Buffer) => {
    if (finished) return;
    err.push(b);
    forward(b);
  });
  c.stdout!.on('error', () => {});
  c.stderr!.on('error', () => {});
  c.stdout!.on('close', () => {
    outEnded = true;
    check();
  });
  c.stderr!.on('close', () => {
    errEnded = true;
    check();
  });
  c.on('exit', (code, sig) => {
    exited = true;
    exitCode = code;
    signal = sig;
    check();
  });
  if (o.timeoutMs !== undefined) {
    later(Math.max(1, o.timeoutMs), () => {
      if (overAt) return; // over from the host's view; only stderr's grace is running
      timedOut = true;
      stdoutHeld = exited && !outEnded;
      over();
      killed();
    });
  }
  return { pid: c.pid, group, kill, result };
}
