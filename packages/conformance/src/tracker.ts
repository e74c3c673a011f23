/**
 * The `ProcessTracker`: follows one run's processes by every fingerprint contain.ts lists (the
 * run's cgroup, the parent chain, each call's group and session, the run marker, the run's
 * folders, orphans born in a call) and sweeps them (stop until nothing new appears, then kill,
 * then check). /proc reading is in procfs.ts, the cgroup v2 backend in cgroup.ts.
 */
import { readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cgroupOff, cgroupPidsDeep, makeCgroup, removeCgroupDir, selfInside, type Cgroup } from './cgroup.js';
import { childrenOf, cwdInside, environHas, isAlive, keyOf, readProc, scanProcs, selfAndAncestors, signal, sleepSync, uptimeTicks, type ProcInfo } from './procfs.js';
import type { FoundBy, SweepResult, SweptProcess, Survivor } from './survivors.js';

export interface TrackerOptions {
  /** NAME=VALUE every plugin call of the run carries in its environment. */
  marker?: string;
  /** Folders that belong to the run alone: a process working inside one is the run's. */
  dirs?: string[];
  /** Use a cgroup when one can be made (default true; `BX_PROVIDER_KIT_CGROUP=0` turns it off). */
  cgroup?: boolean;
  /** How often the parent chain is looked at while the run lives (default 50 ms). */
  pollMs?: number;
  /**
   * Only processes started at or after this many clock ticks after boot can be the run's
   * (default: when the tracker is made; 0 for a sweep by marker alone).
   */
  bornAfter?: number;
}

const SWEEP_MS = 3000;
const MAX_STOP_PASSES = 200;

interface Known {
  pid: number;
  start: number;
  comm: string;
  how: FoundBy;
}

/** Live trackers: the exit and signal handlers sweep each. */
export const LIVE_TRACKERS = new Set<ProcessTracker>();
/** Process groups any tracker started (legacy view, for `killAllGroups`). */
export const ALL_GROUPS = new Set<number>();
let onActivate: () => void = () => {};
/** Set by proc.ts: installs the exit and signal handlers when a tracker starts watching. */
export function setActivateHook(f: () => void): void {
  onActivate = f;
}

/**
 * The processes of one run: the calls' process groups (what `runProcess` registers), their
 * descendants, and whatever carries the run marker or works in the run's folders.
 */
export class ProcessTracker {
  /** Process groups of the calls (each call's leader pid). */
  readonly groups = new Set<number>();
  private marker?: Buffer;
  private dirs: string[] = [];
  private readonly useCgroup: boolean;
  private readonly pollMs: number;
  /** undefined: not tried yet; null: none can be made (or it failed): /proc only. */
  private cg: Cgroup | null | undefined;
  /** This process could not step back out of the run's cgroup: never use cgroup.kill. */
  private selfStuck = false;
  /** Every process recognised as the run's, by pid:start. */
  private known = new Map<string, Known>();
  /** Known and outside the cgroup: followed by the poll. */
  private followed = new Map<string, Known>();
  /** Call leaders by pid (their number is the group and session id): start and end (ticks), cwd. */
  private roots = new Map<number, { start: number; end?: number; cwd?: string }>();
  private timer: NodeJS.Timeout | undefined;
  /** Nothing older can be the run's: it is never read nor touched (start ticks). */
  private readonly bornAfter: number;
  /** Children of this process found not to carry the marker (pid:start:comm; exec changes comm). */
  private notOurs = new Set<string>();

  constructor(opts: TrackerOptions = {}) {
    this.bornAfter = opts.bornAfter ?? uptimeTicks() - 1;
    this.useCgroup = opts.cgroup ?? true;
    this.pollMs = opts.pollMs ?? 50;
    if (opts.marker || opts.dirs) this.watch(opts);
  }

  /** What to look for besides the calls themselves: the run marker and the run's own folders. */
  watch(o: { marker?: string; dirs?: string[] }): void {
    if (o.marker) {
      this.marker = Buffer.from(`\0${o.marker}\0`);
    }
    if (o.dirs) {
      this.dirs = o.dirs.map((d) => {
        try {
          return realpathSync(d);
        } catch {
          return path.resolve(d);
        }
      });
    }
    this.activate();
  }

  /** `cgroup` if the calls are started in a cgroup of their own, `proc` otherwise (also before the first call). */
  get mechanism(): 'cgroup' | 'proc' {
    return this.cg ? 'cgroup' : 'proc';
  }

  private activate(): void {
    LIVE_TRACKERS.add(this);
    onActivate();
    if (!this.timer) {
      this.timer = setInterval(() => this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  private cgroup(): Cgroup | null {
    if (this.cg === undefined) this.cg = this.useCgroup && !cgroupOff() ? makeCgroup() ?? null : null;
    return this.cg;
  }

  /**
   * Runs `start`, which must start one call synchronously (child_process.spawn does), with
   * this process inside the run's cgroup, so the call is born in it: nothing it forks, even in
   * its first microsecond, can be outside. Without a cgroup it just runs `start`.
   */
  spawn<T>(start: () => T): T {
    this.activate();
    const cg = this.cgroup();
    if (!cg) return start();
    let inside = false;
    try {
      writeFileSync(path.join(cg.dir, 'cgroup.procs'), String(process.pid));
      inside = true;
    } catch {
      // Not allowed after all (e.g. controllers enabled above us): /proc only from now on.
      removeCgroupDir(cg.dir);
      this.cg = null;
    }
    try {
      return start();
    } finally {
      if (inside) {
        try {
          writeFileSync(path.join(cg.home, 'cgroup.procs'), String(process.pid));
        } catch {
          this.selfStuck = true;
        }
      }
    }
  }

  /**
   * Starts one call with `spawn` (inside the run's cgroup when there is one) and registers its
   * leader the moment the fork returns, working in `cwd`: a plugin that forks and exits at once
   * is seen all the same. What the emulator (HostOptions.spawnWith) and runProcess pass.
   */
  spawnCall<T extends { pid?: number }>(start: () => T, cwd?: string): T {
    const child = this.spawn(start);
    if (child.pid !== undefined) this.add(child.pid, cwd);
    return child;
  }

  /**
   * Registers a call's leader (its pid is its process group and session: spawned `detached`),
   * started in `cwd`. Registering it again changes nothing.
   */
  add(pid: number, cwd?: string): void {
    this.groups.add(pid);
    ALL_GROUPS.add(pid);
    this.activate();
    const p = readProc(pid); // a zombie still has its start time
    if (!p) return;
    if (this.roots.get(pid)?.start === p.start) return;
    let dir: string | undefined;
    try {
      dir = realpathSync(cwd ?? readlinkSync(`/proc/${pid}/cwd`));
    } catch {
      /* gone already */
    }
    this.roots.set(pid, { start: p.start, cwd: dir });
    this.record(p, 'call', this.cg ? this.inCgroup(pid) : false);
  }

  /** The call led by `pid` has ended (a process born in its folder after that is not its). */
  ended(pid: number): void {
    const r = this.roots.get(pid);
    if (r && r.end === undefined) r.end = uptimeTicks();
  }

  private inCgroup(pid: number): boolean {
    if (!this.cg) return false;
    try {
      const rel = readFileSync(`/proc/${pid}/cgroup`, 'latin1')
        .split('\n')
        .find((l) => l.startsWith('0::'))
        ?.slice(3);
      return rel !== undefined && path.join(this.cg.mount, rel) === this.cg.dir;
    } catch {
      return false;
    }
  }

  /** Moves a process found outside into the run's cgroup (what it forks later is then in it). */
  private adopt(pid: number): boolean {
    if (!this.cg) return false;
    try {
      writeFileSync(path.join(this.cg.dir, 'cgroup.procs'), String(pid));
      return true;
    } catch {
      return false;
    }
  }

  private record(p: ProcInfo, how: FoundBy, inCgroup: boolean): void {
    if (!isAlive(p) || p.pid === process.pid) return;
    const k = keyOf(p);
    if (this.known.has(k)) return;
    const entry: Known = { pid: p.pid, start: p.start, comm: p.comm, how };
    this.known.set(k, entry);
    if (!inCgroup && !this.adopt(p.pid)) this.followed.set(k, entry);
    // What it forked before we saw it (or before it was moved into the cgroup).
    if (!inCgroup) {
      for (const c of childrenOf(p.pid, p.threads)) {
        const cp = readProc(c);
        if (cp && cp.ppid === p.pid) this.record(cp, 'chain', false);
      }
    }
  }

  /** One look while the run lives: new descendants of followed processes, new calls made through the host emulator. */
  poll(): void {
    for (const [k, e] of this.followed) {
      const p = readProc(e.pid);
      if (!p || p.start !== e.start || !isAlive(p)) {
        this.followed.delete(k);
        continue;
      }
      for (const c of childrenOf(p.pid, p.threads)) {
        const cp = readProc(c);
        if (cp && cp.ppid === p.pid) this.record(cp, 'chain', false);
      }
    }
    // A plugin call this process started without the run's tracker (an emulator given no
    // spawnWith) still carries the marker.
    if (this.marker) {
      const self = readProc(process.pid);
      for (const c of childrenOf(process.pid, self?.threads ?? 2)) {
        const cp = readProc(c);
        if (!cp || cp.ppid !== process.pid || cp.start < this.bornAfter || this.known.has(keyOf(cp))) continue;
        const seen = `${keyOf(cp)}:${cp.comm}`;
        if (this.notOurs.has(seen)) continue;
        if (environHas(c, this.marker)) this.record(cp, 'marker', false);
        else this.notOurs.add(seen);
      }
    }
  }

  /**
   * An orphan (its parent died: init adopted it) that works in the folder of one of our calls
   * and was born while that call ran: what `setsid env -i sleep &` leaves from a call made in
   * the plugin folder (RUN-CWD), which is not the run's own and so not in `dirs`.
   */
  private bornInCall(p: ProcInfo): boolean {
    let cwd: string | undefined;
    for (const r of this.roots.values()) {
      if (!r.cwd || p.start < r.start || (r.end !== undefined && p.start > r.end + 2)) continue;
      try {
        cwd ??= readlinkSync(`/proc/${p.pid}/cwd`);
      } catch {
        return false;
      }
      if (cwd === r.cwd) return true;
    }
    return false;
  }

  /** Recognises the run's processes in one look at /proc. */
  private classify(snap: Map<number, ProcInfo>, cgMembers: Set<number>): Map<number, SweptProcess & { start: number }> {
    const never = selfAndAncestors(snap);
    const ours = new Map<number, SweptProcess & { start: number }>();
    const take = (p: ProcInfo, how: FoundBy) => {
      if (never.has(p.pid) || !isAlive(p) || ours.has(p.pid) || p.start < this.bornAfter) return false;
      ours.set(p.pid, { pid: p.pid, start: p.start, comm: p.comm, how });
      return true;
    };
    for (const p of snap.values()) {
      if (never.has(p.pid) || !isAlive(p) || p.start < this.bornAfter) continue;
      const k = this.known.get(keyOf(p));
      if (k) take(p, k.how);
      else if (cgMembers.has(p.pid)) take(p, 'cgroup');
      else if (this.marker && environHas(p.pid, this.marker)) take(p, 'marker');
      else if (this.dirs.length && cwdInside(p.pid, this.dirs)) take(p, 'cwd');
      else if (p.ppid === 1 && this.bornInCall(p)) take(p, 'orphan');
    }
    const kids = new Map<number, ProcInfo[]>();
    for (const p of snap.values()) {
      const l = kids.get(p.ppid);
      if (l) l.push(p);
      else kids.set(p.ppid, [p]);
    }
    for (let grew = true; grew; ) {
      grew = false;
      // A call's group or session, while one of ours is in it (the number cannot be reused then).
      const groups = new Set<number>();
      const sessions = new Set<number>();
      for (const o of ours.values()) {
        const p = snap.get(o.pid)!;
        if (this.roots.has(p.pgrp) && !never.has(p.pgrp)) groups.add(p.pgrp);
        if (this.roots.has(p.sid) && !never.has(p.sid)) sessions.add(p.sid);
      }
      for (const p of snap.values()) {
        if (groups.has(p.pgrp)) grew = take(p, 'group') || grew;
        else if (sessions.has(p.sid)) grew = take(p, 'session') || grew;
      }
      // Descendants of ours.
      const queue = [...ours.keys()];
      while (queue.length) {
        for (const c of kids.get(queue.pop()!) ?? []) {
          if (take(c, 'chain')) {
            grew = true;
            queue.push(c.pid);
          }
        }
      }
    }
    return ours;
  }

  /**
   * Kills every process of the run (see the module comment) and forgets them; the tracker can
   * be used again. Synchronous (it also runs in exit and signal handlers); bounded by ~3 s.
   */
  killAll(): SweepResult {
    const deadline = performance.now() + SWEEP_MS;
    const mechanism = this.mechanism;
    const killed = new Map<string, SweptProcess>();
    const denied = new Map<string, SweptProcess>();
    const cg = this.cg || undefined;
    let passes = 0;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    const members = () => new Set(cg ? cgroupPidsDeep(cg.dir) : []);
    // 1. The kernel kills the cgroup at once, forks in flight included.
    if (cg) {
      if (this.selfStuck) {
        try {
          writeFileSync(path.join(cg.home, 'cgroup.procs'), String(process.pid));
        } catch {
          /* still inside */
        }
        this.selfStuck = selfInside(cg.dir);
      }
      const before = [...members()].map(readProc).filter((p): p is ProcInfo => !!p && isAlive(p));
      if (!this.selfStuck && !selfInside(cg.dir) && before.length) {
        try {
          writeFileSync(path.join(cg.dir, 'cgroup.kill'), '1');
          for (const p of before) killed.set(keyOf(p), { pid: p.pid, comm: p.comm, how: 'cgroup' });
        } catch {
          /* no cgroup.kill (kernel < 5.14): the passes below kill them one by one */
        }
      }
    }
    // 2. Stop everything found until a look finds nothing new: nothing stopped can fork.
    const handled = new Map<string, SweptProcess & { start: number }>();
    for (let i = 0; i < MAX_STOP_PASSES && performance.now() < deadline; i++) {
      passes++;
      const ours = this.classify(scanProcs(), members());
      let fresh = 0;
      for (const o of ours.values()) {
        const k = keyOf(o);
        if (handled.has(k) || killed.has(k)) continue;
        handled.set(k, o);
        fresh++;
        if (signal(o, 'SIGSTOP') === 'EPERM') denied.set(k, o);
      }
      if (!fresh) break;
    }
    // 3. Kill them all.
    for (const [k, o] of handled) {
      const r = signal(o, 'SIGKILL');
      if (r === 'sent') killed.set(k, { pid: o.pid, comm: o.comm, how: o.how });
      else if (r === 'EPERM') denied.set(k, o);
    }
    for (const g of this.groups) ALL_GROUPS.delete(g);
    // 4. Check that they are gone; kill what still shows up (a fork that raced the stop).
    let left = new Map<number, SweptProcess & { start: number }>();
    for (;;) {
      passes++;
      const ours = this.classify(scanProcs(), members());
      left = new Map([...ours].filter(([, o]) => !denied.has(keyOf(o))));
      if (!left.size || performance.now() >= deadline) {
        left = ours;
        break;
      }
      for (const o of left.values()) {
        const k = keyOf(o);
        const r = signal(o, 'SIGKILL');
        if (r === 'EPERM') denied.set(k, o);
        else if (r === 'sent' && !killed.has(k)) killed.set(k, { pid: o.pid, comm: o.comm, how: o.how });
      }
      sleepSync(10);
    }
    const survivors: Survivor[] = [];
    for (const o of left.values()) {
      const k = keyOf(o);
      killed.delete(k);
      const st = readProc(o.pid)?.state ?? '?';
      survivors.push({
        pid: o.pid,
        comm: o.comm,
        how: o.how,
        why: denied.has(k) ? 'permission denied (EPERM)' : `still alive ${SWEEP_MS} ms after SIGKILL (state ${st})`,
      });
    }
    let cgroupLeft: string | undefined;
    if (cg) {
      if (!this.selfStuck && removeCgroupDir(cg.dir)) this.cg = undefined;
      else cgroupLeft = cg.dir;
    }
    this.groups.clear();
    this.known.clear();
    this.followed.clear();
    this.roots.clear();
    this.notOurs.clear();
    LIVE_TRACKERS.delete(this);
    return { mechanism, killed: [...killed.values()], survivors, passes, ...(cgroupLeft ? { cgroupLeft } : {}) };
  }
}
