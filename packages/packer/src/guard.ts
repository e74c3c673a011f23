/**
 * Guards for a kit that handles untrusted plugins and archives: a real-path "is inside" check to
 * run before every write or remove, and a bounded reader that opens regular files only (a FIFO,
 * a socket or /dev/zero as provider.json must neither hang nor fill memory).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';

/**
 * (Always the kernel's realpath: Node's JS `fs.realpathSync` resolves `a/..` after a link `a`
 * lexically, so `b -> a/..` with `a -> .` looks inside to it while the kernel leaves.)
 *
 * The real path `p` has, or would have once created: the kernel's real path of `p` when it
 * exists (links followed, the last one too), else that of its nearest existing ancestor with
 * the rest of `p` appended. A dangling link counts as its own path (a write through it must
 * use O_NOFOLLOW, as the emulator's writes do).
 */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync.native(abs);
  } catch {
    /* not there (yet) */
  }
  const rest: string[] = [path.basename(abs)];
  let dir = path.dirname(abs);
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(dir), ...rest);
    } catch {
      if (dir === path.dirname(dir)) return abs;
      rest.unshift(path.basename(dir));
      dir = path.dirname(dir);
    }
  }
}

/** Whether `p` (resolved as realPathOf does) is `root` or inside it, `root` taken by its real path. */
export function isRealInside(root: string, p: string, { allowRoot = true } = {}): boolean {
  let r: string;
  try {
    r = fs.realpathSync.native(root);
  } catch {
    r = path.resolve(root);
  }
  const real = realPathOf(p);
  if (real === r) return allowRoot;
  return real.startsWith(r.endsWith(path.sep) ? r : r + path.sep);
}

/** Throws a KitError unless `p` is inside `root` by its real path (run it before a write or remove). */
export function assertRealInside(root: string, p: string, what = 'write'): void {
  if (!isRealInside(root, p)) throw new KitError(`refusing to ${what} ${p}: through a link it resolves to ${realPathOf(p)}, outside ${root}`);
}

/** Default bound of readDocumentFile: 1 MiB, far above any provider.json. */
export const DOCUMENT_MAX_BYTES = 1024 * 1024;

const kindOf = (st: fs.Stats) =>
  st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isDirectory() ? 'a folder' : 'not a regular file';

/**
 * Reads a regular file of at most `maxBytes` as UTF-8. Checks the type before opening, opens
 * non-blocking (a FIFO swapped in meanwhile does not hang the open), checks again on the open
 * handle, and reads no more than maxBytes + 1. KitError (exit 2) saying what is wrong; an
 * ENOENT error is passed through unchanged (callers word "missing" themselves).
 * (The i12 branch adds a readDocumentFile to packages/schemas; one of the two should go.)
 */
export async function readDocumentFile(file: string, maxBytes = DOCUMENT_MAX_BYTES): Promise<string> {
  const st = await fsp.stat(file);
  if (!st.isFile()) throw new KitError(`${file} is ${kindOf(st)}, not a regular file: refusing to read it`);
  const fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st2 = await fh.stat();
    if (!st2.isFile()) throw new KitError(`${file} is ${kindOf(st2)}, not a regular file: refusing to read it`);
    const parts: Buffer[] = [];
    let n = 0;
    while (n <= maxBytes) {
      const buf = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - n));
      const { bytesRead } = await fh.read(buf, 0, buf.length, n);
      if (bytesRead === 0) break;
      parts.push(buf.subarray(0, bytesRead));
      n += bytesRead;
    }
    if (n > maxBytes) throw new KitError(`${file} is larger than ${maxBytes} bytes: not a document the kit reads`);
    return Buffer.concat(parts).toString('utf8');
  } finally {
    await fh.close();
  }
}
