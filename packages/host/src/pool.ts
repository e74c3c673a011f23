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
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(inv, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** An IPv4 or IPv6 address, or a host name (what `ssh root@ADDR` could reach): the one definition, in schemas. */
export { isServerAddress };

/** Adds a host, refusing a bad address or one already in the pool. Returns the error text. */
export function addPoolHost(root: string, entry: PoolHost): string | undefined {
  if (!entry.host) return 'Host: the order_status answer has no server address';
  if (!isServerAddress(entry.host)) return `Host: server=${entry.host} is not an IPv4/IPv6 address or a host name`;
  const inv = readPool(root);
  const key = (h: string) => (net.isIPv6(h) ? h.toLowerCase() : h.toLowerCase().replace(/\.$/, ''));
  if (inv.hosts.some((h) => key(h.host) === key(entry.host))) return `Host: server=${entry.host} already exists in the pool`;
  inv.hosts.push(entry);
  writePool(root, inv);
  return undefined;
}
