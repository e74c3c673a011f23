/**
 * What every archive reader (walk-tar.ts, walk-zip.ts) shares: the shape of an entry and of a
 * walk's result, the limits and how they stop a walk, opening an archive (regular files only),
 * sniffing what the container really is, and counting the uncompressed bytes as they flow.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { KitError } from '@bx-provider-kit/schemas';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'socket' | 'other';

export interface RawEntry {
  /** The path as stored in the archive. */
  path: string;
  type: EntryType;
  /** Permission bits (0o7777); for zip entries without unix modes, what unzip gives them. */
  mode: number;
  /** Uncompressed size as declared. */
  size: number;
  /** Symlink target, or the archive path a hard link points to. */
  linkpath?: string;
  /** false for zip entries that carry no unix attributes. */
  unixMode: boolean;
  /** zip only: the entry was written by a non-unix tool, so "\" may be read as a separator. */
  dosPaths?: boolean;
  /**
   * tar only, when the stored path (or link target) is not valid UTF-8: its exact bytes. `path`
   * shows them with U+FFFD; GNU tar on the host writes the bytes, and so must an extraction.
   */
  pathBytes?: Buffer;
  linkpathBytes?: Buffer;
}

export interface WalkLimits {
  maxEntries: number;
  maxBytes: number;
}

export interface WalkResult {
  /** Why reading stopped early, if it did. */
  stopped?: { reason: 'entries' | 'bytes'; at: number };
  /** Problems reading the container (corrupt gzip, bad tar headers, bad zip records). */
  formatErrors: string[];
  entries: number;
  bytes: number;
  /**
   * zip entries whose directory claims another size than the bytes they inflate to: unzip goes
   * by the data (a 143-byte entry claiming 4 GiB unzips fine), so this is reported, not judged.
   */
  sizeClaims?: { entry: string; declared: number; inflated: number }[];
}

/** The callback consumes `body` (reads it to the end or resumes it); it may be async. */
export type OnEntry = (entry: RawEntry, body: Readable) => void | Promise<void>;

export const DEFAULT_LIMITS: WalkLimits = { maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 };

export class LimitStop extends Error {
  constructor(readonly reason: 'entries' | 'bytes', readonly at: number) {
    super(`limit: ${reason}`);
  }
}

export function unreadable(file: string, e: unknown): KitError {
  const err = e as NodeJS.ErrnoException;
  const why = err?.code === 'ENOENT' ? 'no such file' : err?.code === 'EISDIR' ? 'it is a folder' : err?.code === 'EACCES' ? 'permission denied' : String(err?.message ?? e);
  return new KitError(`cannot read ${file}: ${why}`);
}

const NOT_A_FILE: [keyof fs.Stats, string][] = [
  ['isFIFO', 'a pipe (FIFO)'],
  ['isSocket', 'a socket'],
  ['isCharacterDevice', 'a character device'],
  ['isBlockDevice', 'a block device'],
];

/**
 * Opens an archive for reading; an unreadable one is a KitError saying why. Only regular files:
 * the type is checked before opening (opening a FIFO with no writer blocks forever, and a pipe
 * cannot be read twice or at an offset), and again on the open handle.
 */
export async function openArchive(file: string): Promise<fsp.FileHandle> {
  const notFile = (st: fs.Stats) => {
    const kind = NOT_A_FILE.find(([m]) => (st[m] as () => boolean).call(st))?.[1];
    if (kind) return new KitError(`cannot read ${file}: it is ${kind}, not a file; save the archive to a file first (e.g. cat > plugin.tar.gz) and give that`);
    return undefined;
  };
  let fh: fsp.FileHandle;
  try {
    const bad = notFile(await fsp.stat(file));
    if (bad) throw bad;
    fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if (e instanceof KitError) throw e;
    throw unreadable(file, e);
  }
  const bad = notFile(await fh.stat());
  if (bad) {
    await fh.close();
    throw bad;
  }
  return fh;
}

/** Sniffs the first bytes of a file: what the container really is. */
export async function sniff(file: string): Promise<'gzip' | 'zip' | 'bzip2' | 'xz' | 'zstd' | 'tar' | 'empty' | 'unknown'> {
  const fh = await openArchive(file);
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw unreadable(file, Object.assign(new Error('dir'), { code: 'EISDIR' }));
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    const b = buf.subarray(0, bytesRead);
    if (bytesRead === 0) return 'empty';
    if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5 || b[2] === 7) && (b[3] === 4 || b[3] === 6 || b[3] === 8)) return 'zip';
    if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
    if (b[0] === 0xfd && b.subarray(1, 6).toString('latin1') === '7zXZ\u0000') return 'xz';
    if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
    if (bytesRead >= 263 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return 'unknown';
  } finally {
    await fh.close();
  }
}

/** Counts bytes flowing through and stops the pipeline past the limit. */
export class Counter extends Transform {
  bytes = 0;
  constructor(private readonly limit: number, private readonly base: () => number = () => 0) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    const total = this.base() + this.bytes;
    if (total > this.limit) {
      cb(new LimitStop('bytes', total));
      return;
    }
    cb(null, chunk);
  }
}

export const isZlibError = (e: NodeJS.ErrnoException) => Boolean(e?.code && /^Z_|ERR_ZLIB|ERR__ZLIB/.test(e.code)) || /incorrect header check|invalid (block|stored|distance|code)|unexpected end of file/i.test(e?.message ?? '');
