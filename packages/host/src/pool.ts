import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isServerAddress } from '@bx-provider-kit/schemas';

/**
 * The emulator's stand-in for a BitrixVM server pool: `ROOT/pool/hosts.json`. A root with this
 * file "has a pool" (as a BitrixVM that offers providers does); a root without it answers
 * `order_to_host` as a host without a pool does (host-observed h4/h5).
 */
export interface PoolHost {
  /** The server address as the plugin reported it (IPv4, IPv6 or host name). */
  host: string;
  provider: string;
  taskId: string;
  /** ISO time the emulator added it. */
  added: string;
}

export interface PoolInventory {
  hosts: PoolHost[];
}

export const poolFile = (root: string): string => path.join(root, 'pool', 'hosts.json');

export function hasPool(root: string): boolean {
  return fs.existsSync(poolFile(root));
}

export function readPool(root: string): PoolInventory {
  const file = poolFile(root);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { hosts: [] };
  }
  try {
    const v = JSON.parse(text) as PoolInventory;
    if (!v || !Array.isArray(v.hosts)) throw new Error('no "hosts" array');
    return v;
  } catch (e) {
    throw new Error(`${file} is not a pool inventory (${(e as Error).message}); fix or delete it`);
  }
}

export function writePool(root: string, inv: PoolInventory): void {
  const file = poolFile(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(inv, null, 2) + '\n', { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** An IPv4 or IPv6 address, or a host name (what `ssh root@ADDR` could reach): the one definition, in schemas. */
export { isServerAddress };

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** How long a lock may be held before it is taken as left behind by a crashed process. */
const LOCK_STALE_MS = 60_000;
/** How long to wait for the lock before giving up (generous: holders keep it for milliseconds). */
const LOCK_WAIT_MS = 60_000;

/** A lock file left by a process that is gone (same host), or older than LOCK_STALE_MS. */
function staleLock(lock: string): boolean {
  let text = '';
  let mtime: number;
  try {
    text = fs.readFileSync(lock, 'utf8');
    mtime = fs.statSync(lock).mtimeMs;
  } catch {
    return false; // gone already: just try again
  }
  const pid = /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
  if (pid !== undefined && pid !== process.pid) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  return Date.now() - mtime > LOCK_STALE_MS;
}

/**
 * Runs `f` holding ROOT/pool/hosts.json.lock (created O_EXCL, holding the pid): parallel
 * `host -a order_to_host` runs read, change and write the pool one at a time. A lock whose
 * process is gone, or older than a minute, is taken over.
 */
export function withPoolLock<T>(root: string, f: () => T): T {
  const lock = `${poolFile(root)}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(lock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
      fs.writeSync(fd, String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot lock the pool (${lock}): ${(e as Error).message}`);
      if (staleLock(lock)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`the pool is locked by another process for over ${LOCK_WAIT_MS / 1000} s (${lock}); if no bx-provider-kit host is running, delete that file`);
      sleepSync(5 + Math.floor(Math.random() * 20));
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  try {
    return f();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Adds a host, refusing a bad address or one already in the pool. Returns the error text. */
export function addPoolHost(root: string, entry: PoolHost): string | undefined {
  if (!entry.host) return 'Host: the order_status answer has no server address';
  if (!isServerAddress(entry.host)) return `Host: server=${entry.host} is not an IPv4/IPv6 address or a host name`;
  // read-modify-write under the lock, written to a temp file and renamed into place
  return withPoolLock(root, () => {
    const inv = readPool(root);
    const key = (h: string) => (net.isIPv6(h) ? h.toLowerCase() : h.toLowerCase().replace(/\.$/, ''));
    if (inv.hosts.some((h) => key(h.host) === key(entry.host))) return `Host: server=${entry.host} already exists in the pool`;
    inv.hosts.push(entry);
    writePool(root, inv);
    return undefined;
  });
}
