/**
 * What /proc says about processes, for the run's process tracker (tracker.ts): one line of
 * /proc/PID/stat, the children, environment and working folder of a process, the clock, and a
 * signal sent only to the process that was seen (same pid and start time).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One line of /proc/PID/stat, the fields the tracker uses. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  /** R, S, D, T, Z, ... */
  state: string;
  /** Field 22: clock ticks after boot; with the pid, it names one process for good. */
  start: number;
  threads: number;
  comm: string;
}

export function readProc(pid: number): ProcInfo | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses
  const open = s.indexOf('(');
  const close = s.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = s.slice(close + 2).split(' '); // f[0] is field 3
  return {
    pid,
    comm: s.slice(open + 1, close),
    state: f[0] ?? '?',
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    sid: Number(f[3]),
    threads: Number(f[17]),
    start: Number(f[19]),
  };
}

export const isAlive = (p: ProcInfo): boolean => p.state !== 'Z' && p.state !== 'X' && p.state !== 'x';
export const keyOf = (p: { pid: number; start: number }): string => `${p.pid}:${p.start}`;

function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
  } catch {
    return [];
  }
}

/** Every process /proc shows, by pid. */
export function scanProcs(): Map<number, ProcInfo> {
  const m = new Map<number, ProcInfo>();
  for (const pid of listPids()) {
    const p = readProc(pid);
    if (p) m.set(pid, p);
  }
  return m;
}

/** Children of a process (every thread's), from /proc/PID/task/TID/children. */
export function childrenOf(pid: number, threads: number): number[] {
  const tids = threads > 1 ? (() => {
    try {
      return readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
  })() : [String(pid)];
  const out: number[] = [];
  for (const t of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function environHas(pid: number, needle: Buffer): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`);
    return Buffer.concat([Buffer.from([0]), env, Buffer.from([0])]).includes(needle);
  } catch {
    return false;
  }
}

export function cwdInside(pid: number, dirs: string[]): boolean {
  let cwd: string;
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return false;
  }
  return dirs.some((d) => cwd === d || cwd.startsWith(d.endsWith('/') ? d : `${d}/`));
}

/** Clock ticks since boot (USER_HZ, 100 a second: the unit of field 22 of /proc/PID/stat). */
export function uptimeTicks(): number {
  try {
    return Math.ceil(Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]) * 100);
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks for `ms` (the sweep also runs in exit and signal handlers, where nothing async runs). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** This process and its ancestors: never touched, whatever they carry. */
export function selfAndAncestors(snap: Map<number, ProcInfo>): Set<number> {
  const s = new Set<number>([process.pid, 0, 1, 2]);
  let p = snap.get(process.pid)?.ppid;
  while (p && !s.has(p)) {
    s.add(p);
    p = snap.get(p)?.ppid;
  }
  return s;
}

/** Sends `sig` to the process if it is still the one we saw (same start time). */
export function signal(p: { pid: number; start: number }, sig: NodeJS.Signals): 'sent' | 'gone' | 'EPERM' {
  const now = readProc(p.pid);
  if (!now || now.start !== p.start || !isAlive(now)) return 'gone';
  try {
    process.kill(p.pid, sig);
    return 'sent';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'EPERM' : 'gone';
  }
}
