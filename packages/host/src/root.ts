/** The folder standing for /opt/webdir: making it, and the provider names it takes. */
import fs from 'node:fs';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import { hasPool, writePool } from './pool.js';
import { isDir, strerror } from './files.js';

/** Creates ROOT/providers, ROOT/logs and, for a new root (no logs/ yet) unless `pool: false`, the pool inventory. */
export function initRoot(root: string, opts: { pool?: boolean } = {}): { created: boolean; pool: boolean } {
  const abs = path.resolve(root);
  if (fs.existsSync(abs) && !isDir(abs)) throw new KitError(`host root ${abs} exists and is not a folder: pick another --root`);
  // ROOT/logs marks an initialised root (a real /opt/webdir always has it); providers/ may be made by hand
  const fresh = !fs.existsSync(path.join(abs, 'logs'));
  try {
    fs.mkdirSync(path.join(abs, 'providers'), { recursive: true });
    fs.mkdirSync(path.join(abs, 'logs'), { recursive: true });
    if (fresh && opts.pool !== false && !hasPool(abs)) writePool(abs, { hosts: [] });
  } catch (e) {
    throw new KitError(`cannot create the host root ${abs}: ${strerror(e)}`);
  }
  return { created: fresh, pool: hasPool(abs) };
}

/** NAME_MAX: the longest file name the host's file system takes (a provider name is one). */
const NAME_MAX = 255;

/**
 * A provider name the emulator can place under ROOT/providers: one folder name (no "/", not "."
 * or ".."), or a KitError saying why not. '' stays allowed where the real host takes it (status,
 * orders_list: "Provider  not exist"). A "/" would let a link inside an installed provider lead
 * anywhere (`--provider x/e/victim` through x/e -> ../..).
 */
export function checkProviderName(base: string, name: string): void {
  if (name.includes('\0')) throw new KitError('--provider contains a NUL byte');
  if (name.includes('/') || name === '.' || name === '..') {
    const leaves = name === '.' || name === '..' || name.split('/').includes('..') || path.isAbsolute(name);
    throw new KitError(
      leaves
        ? `--provider ${JSON.stringify(name)} leaves ${base}: the real host would create and run files outside its providers folder; the emulator refuses`
        : `--provider ${JSON.stringify(name)} is not one folder name: the emulator takes a single name under ${base} (no "/"), so no link inside a provider can lead it elsewhere`,
    );
  }
  if (Buffer.byteLength(name) > NAME_MAX) {
    throw new KitError(`--provider is ${Buffer.byteLength(name)} bytes long: a folder name has at most ${NAME_MAX} (NAME_MAX); use a short provider name`);
  }
}
