/**
 * The cgroup v2 side of containment (Linux, when this process may create one: root on a writable
 * /sys/fs/cgroup): the per-run cgroup a run's calls are started in, its members, and its removal.
 * The tracker (tracker.ts) steps into it for each spawn and writes `cgroup.kill` when it sweeps.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Cgroup {
  /** The run's cgroup folder. */
  dir: string;
  /** Where cgroup v2 is mounted (/proc/PID/cgroup paths are relative to it). */
  mount: string;
  /** The cgroup this process lives in (it steps back there after each spawn). */
  home: string;
}

/** The cgroup v2 folder this process is in, when cgroup v2 is mounted. */
export function ownCgroup(): string | undefined {
  const o = ownCgroupParts();
  return o && path.join(o.mount, o.rel);
}

function ownCgroupParts(): { mount: string; rel: string } | undefined {
  let mount: string | undefined;
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [pre, post] = line.split(' - ');
      if (post?.startsWith('cgroup2 ')) {
        mount = pre!.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
        break;
      }
    }
    if (!mount) return undefined;
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    const rel = line?.slice(3);
    if (!rel || !rel.startsWith('/') || rel.includes('/..') || rel.endsWith(' (deleted)')) return undefined;
    return { mount, rel };
  } catch {
    return undefined;
  }
}

export function cgroupOff(): boolean {
  const v = process.env.BX_PROVIDER_KIT_CGROUP;
  return v === '0' || v === 'off' || v === 'false' || v === 'no';
}

let cgSeq = 0;
export function makeCgroup(): Cgroup | undefined {
  const own = ownCgroupParts();
  if (!own) return undefined;
  const home = path.join(own.mount, own.rel);
  removeStaleCgroups(home);
  const dir = path.join(home, `bx-provider-kit-${process.pid}-${++cgSeq}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    mkdirSync(dir);
  } catch {
    return undefined; // read-only, not ours, or no cgroup v2 delegation: /proc only
  }
  if (!existsSync(path.join(dir, 'cgroup.procs'))) {
    removeCgroupDir(dir);
    return undefined;
  }
  return { dir, home, mount: own.mount };
}

/** Whether a run's calls can be started in a cgroup of their own here (root on a writable cgroup v2, not turned off). */
export function cgroupAvailable(): boolean {
  if (cgroupOff()) return false;
  const cg = makeCgroup();
  if (!cg) return false;
  let ok = false;
  try {
    writeFileSync(path.join(cg.dir, 'cgroup.procs'), String(process.pid));
    writeFileSync(path.join(cg.home, 'cgroup.procs'), String(process.pid));
    ok = true;
  } catch {
    try {
      writeFileSync(path.join(cg.home, 'cgroup.procs'), String(process.pid));
    } catch {
      /* not inside */
    }
  }
  removeCgroupDir(cg.dir);
  return ok && !selfInside(cg.dir);
}

/**
 * Removes the empty cgroups of kit processes that died without sweeping (SIGKILL). rmdir only
 * succeeds on an empty cgroup: one that still holds processes is left as it is.
 */
function removeStaleCgroups(home: string): void {
  try {
    for (const d of readdirSync(home)) {
      const m = /^bx-provider-kit-(\d+)-/.exec(d);
      if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
      removeCgroupDir(path.join(home, d));
    }
  } catch {
    /* not listable */
  }
}

function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'latin1')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Members of the cgroup and of every cgroup below it. */
export function cgroupPidsDeep(dir: string): number[] {
  const out = cgroupPids(dir);
  try {
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) out.push(...cgroupPidsDeep(path.join(dir, d.name)));
  } catch {
    /* gone */
  }
  return out;
}

export function removeCgroupDir(dir: string): boolean {
  try {
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) removeCgroupDir(path.join(dir, d.name));
  } catch {
    /* gone */
  }
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

export function selfInside(dir: string): boolean {
  const own = ownCgroup();
  return own !== undefined && (own === dir || own.startsWith(`${dir}/`));
}
