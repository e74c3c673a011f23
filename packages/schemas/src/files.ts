/**
 * Files the kit reads from or deletes for a user, guarded: a document is read only from a
 * regular file and only up to a bound (a FIFO, /dev/zero or a 4 GB file must not hang the kit
 * or eat its memory), and a folder is removed only when its real path is inside the folder the
 * caller owns (a name like `../../victim` must never reach `rm -r`).
 */
import { constants as fsc, promises as fs, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { KitError } from './errors.js';

/** The most a settings or manifest document (conformance.json, provider.json) may weigh. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

const kindOf = (st: Stats): string =>
  st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : 'something else';

/**
 * Reads a document a user points the kit at: only a regular file (never a FIFO, a device or a
 * folder: it is opened non-blocking and checked before a byte is read), at most `maxBytes`.
 * Every failure is a one-line KitError (exit 2); ENOENT carries `code` so callers can treat a
 * missing optional file as absent.
 */
export async function readDocumentFile(file: string, maxBytes: number = MAX_DOCUMENT_BYTES): Promise<Buffer> {
  let fh: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not wait for one.
    fh = await fs.open(file, fsc.O_RDONLY | fsc.O_NONBLOCK | (fsc.O_NOCTTY ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (code ?? (e as Error).message);
    throw Object.assign(new KitError(`cannot read ${file}: ${why}`), { code });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new KitError(`cannot read ${file}: it is ${kindOf(st)}, not a regular file; give a JSON file`);
    if (st.size > maxBytes) throw new KitError(`cannot read ${file}: ${st.size} bytes, more than the ${maxBytes} a document may have`);
    // Read at most maxBytes + 1 (the file may grow while it is read).
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n >= buf.length) break;
    }
    if (n > maxBytes) throw new KitError(`cannot read ${file}: more than the ${maxBytes} bytes a document may have`);
    return buf.subarray(0, n);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** True when `inner` is `outer` or below it (both absolute, normalised). */
export function isInside(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..');
}

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
    return realpathSync.native(abs);
  } catch {
    /* not there (yet) */
  }
  const rest: string[] = [path.basename(abs)];
  let dir = path.dirname(abs);
  for (;;) {
    try {
      return path.join(realpathSync.native(dir), ...rest);
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
    r = realpathSync.native(root);
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

/**
 * The real path `target` would have (realPathOf); refuses (an Error, a bug guard: names are
 * validated before a path is built) when it is not strictly inside the real path of `owner`.
 */
export async function assertInside(owner: string, target: string): Promise<string> {
  if (!isRealInside(owner, target, { allowRoot: false })) {
    throw new Error(`refusing to touch ${target}: it resolves to ${realPathOf(target)}, outside ${realPathOf(owner)}`);
  }
  return realPathOf(target);
}

/** `rm -rf target`, only when its real path is inside `owner` (see assertInside). */
export async function removeInside(owner: string, target: string): Promise<void> {
  const real = await assertInside(owner, target);
  await fs.rm(real, { recursive: true, force: true, maxRetries: 3 });
}
