/**
 * Files the kit reads from or deletes for a user, guarded: a document is read only from a
 * regular file and only up to a bound (a FIFO, /dev/zero or a 4 GB file must not hang the kit
 * or eat its memory), and a folder is removed only when its real path is inside the folder the
 * caller owns (a name like `../../victim` must never reach `rm -r`).
 */
import { constants as fsc, promises as fs } from 'node:fs';
import path from 'node:path';
import { KitError } from './errors.js';

/** The most a settings or manifest document (conformance.json, provider.json) may weigh. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

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
    if (st.isDirectory()) throw new KitError(`cannot read ${file}: it is a folder`);
    if (!st.isFile()) throw new KitError(`cannot read ${file}: not a regular file (a FIFO, socket or device); give a JSON file`);
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
 * The real path `target` would have, resolving every link of its existing part; refuses (an
 * Error, a bug guard: names are validated before a path is built) when it is not strictly
 * inside the real path of `owner`.
 */
export async function assertInside(owner: string, target: string): Promise<string> {
  const realOwner = await fs.realpath(owner);
  let existing = path.resolve(target);
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await fs.realpath(existing);
      const resolved = path.join(real, ...rest);
      if (resolved === realOwner || !isInside(realOwner, resolved)) {
        throw new Error(`refusing to touch ${target}: it resolves to ${resolved}, outside ${realOwner}`);
      }
      return resolved;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const parent = path.dirname(existing);
      if (parent === existing) throw e;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/** `rm -rf target`, only when its real path is inside `owner` (see assertInside). */
export async function removeInside(owner: string, target: string): Promise<void> {
  const real = await assertInside(owner, target);
  await fs.rm(real, { recursive: true, force: true, maxRetries: 3 });
}
