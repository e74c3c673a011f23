/**
 * Streaming readers for .tar.gz (gunzip + node-tar's Parser) and .zip (a small central-directory
 * reader). Nothing is extracted: each entry is handed to a callback with its data as a stream,
 * while the uncompressed bytes and the entry count are counted as they come, so a bomb is
 * stopped after maxBytes, not after it has been inflated.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
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

class LimitStop extends Error {
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
async function openArchive(file: string): Promise<fsp.FileHandle> {
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
class Counter extends Transform {
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

const TAR_TYPES: Record<string, EntryType> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Link: 'hardlink',
  SymbolicLink: 'symlink',
  CharacterDevice: 'char-device',
  BlockDevice: 'block-device',
  Directory: 'directory',
  GNUDumpDir: 'directory',
  FIFO: 'fifo',
};

/** An error thrown by the entry callback: passed through as is. */
class ConsumerError extends Error {
  constructor(readonly inner: unknown) {
    super('consumer failed');
  }
}

const isZlibError = (e: NodeJS.ErrnoException) => Boolean(e?.code && /^Z_|ERR_ZLIB|ERR__ZLIB/.test(e.code)) || /incorrect header check|invalid (block|stored|distance|code)|unexpected end of file/i.test(e?.message ?? '');

const META_CAP = 1024 * 1024;
const upToNul = (b: Buffer) => {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
};
/** A tar number field: octal text, or base-256 (high bit set) as GNU tar writes large ones. */
function tarNumber(b: Buffer): number {
  if (b[0]! & 0x80) {
    let n = b[0]! & 0x3f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  return parseInt(upToNul(b).toString('latin1').trim() || '0', 8) || 0;
}
/** The raw value bytes of the records of a PAX body, by key. */
function paxValues(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let p = 0;
  while (p < body.length) {
    const sp = body.indexOf(0x20, p);
    if (sp < 0) break;
    const len = parseInt(body.subarray(p, sp).toString('latin1'), 10);
    if (!(len > 0) || p + len > body.length) break;
    const rec = body.subarray(sp + 1, p + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.set(rec.subarray(0, eq).toString('latin1'), Buffer.from(rec.subarray(eq + 1)));
    p += len;
  }
  return out;
}

/**
 * Follows the tar stream beside node-tar's parser to keep the exact bytes of each entry's path
 * and link target (node-tar decodes them as UTF-8, turning invalid bytes into U+FFFD). Records,
 * in stream order, one { path, linkpath } of raw bytes per entry that is not a meta header.
 */
interface TapName {
  /** The path GNU tar uses: a PAX or GNU long-name record's bytes, else the header's. */
  path: Buffer;
  linkpath: Buffer;
  /** The header's own (ustar) name, and whether `path` came from a meta record instead. */
  ustar: string;
  fromMeta: boolean;
  linkFromMeta: boolean;
}

class TarNameTap extends Transform {
  private readonly names: TapName[] = [];
  private head = Buffer.alloc(0);
  /** Bytes of the current body (with padding) still to pass. */
  private remain = 0;
  private meta: { type: string; parts: Buffer[]; kept: number; size: number } | undefined;
  private pending: { path?: Buffer; linkpath?: Buffer; size?: number } = {};
  private ended = false;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      if (!this.ended) this.scan(chunk);
    } catch {
      this.ended = true; // not a stream this reader follows: node-tar reports what is wrong
    }
    cb(null, chunk);
  }
  private scan(chunk: Buffer): void {
    let p = 0;
    while (p < chunk.length && !this.ended) {
      if (this.remain > 0) {
        const n = Math.min(this.remain, chunk.length - p);
        const want = this.meta ? Math.min(this.meta.size, META_CAP) - this.meta.kept : 0;
        if (want > 0) {
          const take = chunk.subarray(p, p + Math.min(n, want));
          this.meta!.parts.push(Buffer.from(take));
          this.meta!.kept += take.length;
        }
        this.remain -= n;
        p += n;
        if (this.remain === 0 && this.meta) this.endMeta();
        continue;
      }
      const take = chunk.subarray(p, p + 512 - this.head.length);
      this.head = this.head.length ? Buffer.concat([this.head, take]) : Buffer.from(take);
      p += take.length;
      if (this.head.length === 512) {
        const h = this.head;
        this.head = Buffer.alloc(0);
        this.header(h);
      }
    }
  }
  private header(h: Buffer): void {
    if (h.every((x) => x === 0)) return; // end-of-archive blocks
    // a header with a bad checksum is skipped, by node-tar and by GNU tar alike
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== tarNumber(h.subarray(148, 156))) return;
    const type = String.fromCharCode(h[156]!);
    let size = tarNumber(h.subarray(124, 136));
    const isMeta = type === 'x' || type === 'g' || type === 'L' || type === 'K';
    if (!isMeta && this.pending.size !== undefined) size = this.pending.size;
    const body = type === '5' || type === '1' || type === '2' ? 0 : size;
    const padded = Math.ceil(body / 512) * 512;
    if (isMeta) {
      this.meta = { type, parts: [], kept: 0, size };
      this.remain = padded;
      if (padded === 0) this.endMeta();
      return;
    }
    let name = upToNul(h.subarray(0, 100));
    if (h.subarray(257, 262).toString('latin1') === 'ustar') {
      const prefix = upToNul(h.subarray(345, h[475] !== 0 ? 500 : 475));
      if (prefix.length) name = Buffer.concat([prefix, Buffer.from('/'), name]);
    }
    this.names.push({
      path: this.pending.path ?? Buffer.from(name),
      linkpath: this.pending.linkpath ?? Buffer.from(upToNul(h.subarray(157, 257))),
      ustar: name.toString('utf8'),
      fromMeta: this.pending.path !== undefined,
      linkFromMeta: this.pending.linkpath !== undefined,
    });
    this.pending = {};
    this.remain = padded;
  }
  private endMeta(): void {
    const m = this.meta!;
    this.meta = undefined;
    if (m.size > META_CAP) return;
    const body = Buffer.concat(m.parts);
    if (m.type === 'x') {
      const v = paxValues(body);
      if (v.has('path')) this.pending.path = v.get('path');
      if (v.has('linkpath')) this.pending.linkpath = v.get('linkpath');
      if (v.has('size')) this.pending.size = Number(v.get('size')!.toString('latin1'));
    } else if (m.type === 'L') this.pending.path = upToNul(body);
    else if (m.type === 'K') this.pending.linkpath = upToNul(body);
  }
  /**
   * The raw names of the entry node-tar reports with `pathText`: the next one in stream order
   * when it agrees (by its path, or by its ustar name when node-tar dropped a meta record whose
   * bytes are not UTF-8), else the first later one with that path (node-tar skipped some).
   */
  claim(pathText: string): TapName | undefined {
    const next = this.names[0];
    if (next && (next.path.toString('utf8') === pathText || (next.fromMeta && next.ustar === pathText))) return this.names.shift();
    const at = this.names.findIndex((n) => n.path.toString('utf8') === pathText);
    if (at < 0) return undefined;
    return this.names.splice(0, at + 1)[at];
  }
}

/** Reads a gzip-compressed tar stream entry by entry. */
export async function walkTarGz(file: string, limits: WalkLimits, onEntry: OnEntry): Promise<WalkResult> {
  const result: WalkResult = { formatErrors: [], entries: 0, bytes: 0 };
  const source = (await openArchive(file)).createReadStream({ highWaterMark: 256 * 1024 });
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  const counter = new Counter(limits.maxBytes);
  const tap = new TarNameTap();
  const parser = new Parser({ strict: false });
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  let current: PassThrough | undefined;
  const fail = (e: unknown) => {
    if (failure === undefined) failure = e;
    source.destroy();
    gunzip.destroy();
    counter.destroy();
    current?.destroy();
  };
  parser.on('warn', (code: string, message: string | Error) => {
    const text = typeof message === 'string' ? message : message?.message;
    result.formatErrors.push(`${code === 'TAR_ENTRY_INVALID' ? 'invalid tar header' : 'bad tar data'}: ${text}`);
  });
  const handle = (e: RawEntry, entry: ReadEntry | undefined) => {
    result.entries++;
    // names that are not valid UTF-8: keep their bytes, as the host's tar does
    // (node-tar also drops a PAX record whose bytes are not UTF-8 and goes on with the ustar name,
    // while GNU tar writes the record's path: judge and write that one)
    const raw = tap.claim(e.path);
    const notUtf8 = (b: Buffer) => !Buffer.from(b.toString('utf8')).equals(b);
    if (raw && notUtf8(raw.path)) {
      e.pathBytes = raw.path;
      e.path = raw.path.toString('utf8');
    }
    if (raw && (e.type === 'symlink' || e.type === 'hardlink') && (raw.linkFromMeta || e.linkpath !== undefined) && notUtf8(raw.linkpath)) {
      e.linkpathBytes = raw.linkpath;
      e.linkpath = raw.linkpath.toString('utf8');
    }
    if (failure !== undefined || result.entries > limits.maxEntries) {
      entry?.resume();
      if (failure === undefined) fail(new LimitStop('entries', result.entries));
      return;
    }
    const body = new PassThrough({ highWaterMark: 256 * 1024 });
    if (entry) entry.pipe(body);
    else body.end();
    chain = chain.then(async () => {
      if (failure !== undefined) {
        body.resume();
        return;
      }
      current = body;
      try {
        await onEntry(e, body);
      } catch (err) {
        body.resume();
        fail(failure === undefined ? new ConsumerError(err) : err);
      } finally {
        current = undefined;
      }
    });
  };
  parser.on('entry', (entry: ReadEntry) => {
    const type = TAR_TYPES[entry.type] ?? 'other';
    const e: RawEntry = { path: entry.path, type, mode: (entry.mode ?? 0) & 0o7777, size: entry.size ?? 0, unixMode: true };
    if (entry.linkpath) e.linkpath = entry.linkpath;
    handle(e, entry);
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    if (entry.meta) {
      // node-tar drops a meta header past 1 MiB and goes on with the next header's short name;
      // GNU tar would refuse the name it carries ("File name too long")
      const kind = ({ ExtendedHeader: 'PAX', GlobalExtendedHeader: 'PAX global', NextFileHasLongPath: 'GNU long-name', NextFileHasLongLinkpath: 'GNU long-link' } as Record<string, string>)[entry.type] ?? entry.type;
      result.formatErrors.push(`a ${kind} header of ${entry.size} bytes (a path or link name that long): GNU tar on the host refuses it ("File name too long")`);
      return;
    }
    // GNU tar extracts entries of unknown types as regular files
    handle({ path: entry.path, type: 'other', mode: (entry.mode ?? 0) & 0o7777, size: entry.size ?? 0, unixMode: true }, undefined);
  });
  const parsed = new Promise<void>((resolve) => {
    parser.on('end', () => resolve());
    parser.on('close', () => resolve());
    parser.on('abort', () => resolve());
  });
  tap.pipe(parser as unknown as NodeJS.WritableStream);
  try {
    await pipeline(source, gunzip, counter, tap);
    await parsed;
  } catch (e) {
    fail(e);
  }
  await chain;
  result.bytes = counter.bytes;
  if (failure instanceof LimitStop) {
    result.stopped = { reason: failure.reason, at: failure.at };
    return result;
  }
  if (failure instanceof ConsumerError) throw failure.inner;
  if (failure !== undefined) {
    const err = failure as NodeJS.ErrnoException;
    if (isZlibError(err)) {
      result.formatErrors.push(`corrupt gzip data: ${err.message}`);
      return result;
    }
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') throw unreadable(file, err);
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      result.formatErrors.push('the archive ends early (truncated)');
      return result;
    }
    throw failure;
  }
  if (result.entries === 0 && result.formatErrors.length === 0) result.formatErrors.push('the archive holds no entries');
  return result;
}

// ---------------------------------------------------------------- zip

interface ZipCdEntry {
  name: string;
  madeBy: number;
  flags: number;
  method: number;
  crc: number;
  compSize: number;
  size: number;
  extAttr: number;
  localOffset: number;
}

const S_IFMT = 0o170000;

function zipType(e: ZipCdEntry): { type: EntryType; mode: number; unixMode: boolean } {
  const host = e.madeBy >>> 8;
  const unix = e.extAttr >>> 16;
  const isDirName = e.name.endsWith('/');
  if (host === 3 && unix !== 0) {
    const fmt = unix & S_IFMT;
    const mode = unix & 0o7777;
    const type: EntryType =
      fmt === 0o040000 ? 'directory'
      : fmt === 0o120000 ? 'symlink'
      : fmt === 0o100000 ? 'file'
      : fmt === 0o020000 ? 'char-device'
      : fmt === 0o060000 ? 'block-device'
      : fmt === 0o010000 ? 'fifo'
      : fmt === 0o140000 ? 'socket'
      : isDirName ? 'directory' : 'file';
    return { type, mode, unixMode: true };
  }
  // No unix attributes: Info-ZIP unzip creates files 0600 (observed on the host, f7), folders 0755.
  const dir = isDirName || (e.extAttr & 0x10) !== 0;
  return { type: dir ? 'directory' : 'file', mode: dir ? 0o755 : 0o600, unixMode: false };
}

async function readAt(fh: fsp.FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

class ZipFormatError extends Error {}

async function readCentralDirectory(fh: fsp.FileHandle, size: number, limits: WalkLimits): Promise<ZipCdEntry[] | LimitStop> {
  const tailLen = Math.min(size, 22 + 0xffff);
  const tail = await readAt(fh, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('no end of central directory record (not a zip file, or truncated)');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locPos = size - tailLen + eocd - 20;
    const loc = locPos >= 0 ? await readAt(fh, locPos, 20) : Buffer.alloc(0);
    if (loc.length === 20 && loc.readUInt32LE(0) === 0x07064b50) {
      const recPos = Number(loc.readBigUInt64LE(8));
      const rec = await readAt(fh, recPos, 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== 0x06064b50) throw new ZipFormatError('bad zip64 end of central directory record');
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
  }
  if (count > limits.maxEntries) return new LimitStop('entries', count);
  if (cdOffset + cdSize > size) throw new ZipFormatError('the central directory lies past the end of the file (truncated?)');
  if (cdSize > 64 * 1024 * 1024) return new LimitStop('entries', count);
  const cd = await readAt(fh, cdOffset, cdSize);
  const out: ZipCdEntry[] = [];
  let p = 0;
  while (p + 46 <= cd.length && cd.readUInt32LE(p) === 0x02014b50) {
    const madeBy = cd.readUInt16LE(p + 4);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compSize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const extAttr = cd.readUInt32LE(p + 38);
    let localOffset = cd.readUInt32LE(p + 42);
    const nameBuf = cd.subarray(p + 46, p + 46 + nameLen);
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    // zip64 extended information
    for (let q = 0; q + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(q);
      const len = extra.readUInt16LE(q + 2);
      if (id === 0x0001) {
        let r = q + 4;
        if (usize === 0xffffffff && r + 8 <= q + 4 + len) (usize = Number(extra.readBigUInt64LE(r))), (r += 8);
        if (compSize === 0xffffffff && r + 8 <= q + 4 + len) (compSize = Number(extra.readBigUInt64LE(r))), (r += 8);
        if (localOffset === 0xffffffff && r + 8 <= q + 4 + len) localOffset = Number(extra.readBigUInt64LE(r));
      }
      q += 4 + len;
    }
    const name = flags & 0x800 ? nameBuf.toString('utf8') : nameBuf.toString('latin1');
    out.push({ name, madeBy, flags, method, crc, compSize, size: usize, extAttr, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  if (out.length !== count) throw new ZipFormatError(`the central directory lists ${out.length} entries, the end record says ${count}`);
  return out;
}

/** Reads a zip archive: central directory first, then each entry's data in directory order. */
export async function walkZip(file: string, limits: WalkLimits, onEntry: OnEntry): Promise<WalkResult> {
  const result: WalkResult = { formatErrors: [], entries: 0, bytes: 0 };
  const fh = await openArchive(file);
  try {
    const size = (await fh.stat()).size;
    let cd: ZipCdEntry[] | LimitStop;
    try {
      cd = await readCentralDirectory(fh, size, limits);
    } catch (e) {
      if (e instanceof ZipFormatError) {
        result.formatErrors.push(e.message);
        return result;
      }
      throw e;
    }
    if (cd instanceof LimitStop) {
      result.stopped = { reason: cd.reason, at: cd.at };
      return result;
    }
    // sizes the directory declares are claims: only bytes actually inflated count (Counter below)
    if (cd.length === 0) result.formatErrors.push('the archive holds no entries');
    for (const e of cd) {
      result.entries++;
      const t = zipType(e);
      const raw: RawEntry = { path: e.name, type: t.type, mode: t.mode, size: e.size, unixMode: t.unixMode };
      if ((e.madeBy >>> 8) !== 3) raw.dosPaths = true;
      const local = await readAt(fh, e.localOffset, 30);
      if (local.length < 30 || local.readUInt32LE(0) !== 0x04034b50) {
        result.formatErrors.push(`${e.name}: no local header at offset ${e.localOffset}`);
        await onEntry(raw, Readable.from([]));
        continue;
      }
      const dataStart = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (dataStart + e.compSize > size) {
        result.formatErrors.push(`${e.name}: data runs past the end of the file (truncated?)`);
        await onEntry(raw, Readable.from([]));
        continue;
      }
      if (e.flags & 0x1) {
        result.formatErrors.push(`${e.name}: encrypted (unzip on the host would stop and ask for a password)`);
        await onEntry(raw, Readable.from([]));
        continue;
      }
      if (e.method !== 0 && e.method !== 8) {
        result.formatErrors.push(`${e.name}: compression method ${e.method} (only stored and deflate are portable)`);
        await onEntry(raw, Readable.from([]));
        continue;
      }
      const src = e.compSize > 0 ? fh.createReadStream({ start: dataStart, end: dataStart + e.compSize - 1, autoClose: false, highWaterMark: 256 * 1024 }) : Readable.from([]);
      const stages: NodeJS.ReadWriteStream[] = [];
      if (e.method === 8) stages.push(zlib.createInflateRaw({ chunkSize: 64 * 1024 }));
      const base = result.bytes;
      const counter = new Counter(limits.maxBytes, () => base);
      let crc = 0;
      const crcTap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          crc = zlib.crc32(chunk, crc);
          cb(null, chunk);
        },
      });
      const body = new PassThrough({ highWaterMark: 256 * 1024 });
      let induced = false;
      let consumerErr: unknown;
      const consumer = Promise.resolve()
        .then(() => onEntry(raw, body))
        .catch((err) => {
          consumerErr = err;
          if (!induced) {
            src.destroy();
            body.destroy();
          }
        });
      let failed: unknown;
      try {
        await pipeline([src, ...stages, counter, crcTap, body] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
      } catch (err) {
        failed = err;
        if (consumerErr === undefined) {
          induced = true;
          body.destroy();
        }
      }
      await consumer;
      if (consumerErr !== undefined && !induced) throw consumerErr;
      result.bytes += counter.bytes;
      if (failed instanceof LimitStop) {
        result.stopped = { reason: 'bytes', at: failed.at };
        return result;
      }
      if (failed !== undefined) {
        const err = failed as NodeJS.ErrnoException;
        if (isZlibError(err)) result.formatErrors.push(`${e.name}: corrupt deflate data (${err.message})`);
        else if (err.code === 'ERR_STREAM_PREMATURE_CLOSE') continue;
        else throw failed;
      } else if ((crc >>> 0) !== e.crc) {
        result.formatErrors.push(`${e.name}: CRC mismatch (corrupt data)`);
      } else if (counter.bytes !== e.size) {
        (result.sizeClaims ??= []).push({ entry: e.name, declared: e.size, inflated: counter.bytes });
      }
    }
    return result;
  } finally {
    await fh.close();
  }
}

export function walkArchive(file: string, format: 'tar.gz' | 'zip', limits: WalkLimits, onEntry: OnEntry): Promise<WalkResult> {
  return format === 'zip' ? walkZip(file, limits, onEntry) : walkTarGz(file, limits, onEntry);
}

/**
 * Reads up to `max` bytes of a stream and discards the rest (consumes it to the end); with
 * `crlf`, also finds the first line that ends in CRLF.
 */
export async function readHead(body: Readable, max: number, crlf = false): Promise<{ head: Buffer; size: number; crlfLine?: number }> {
  const parts: Buffer[] = [];
  let kept = 0;
  let size = 0;
  let lines = 1;
  let prevCR = false;
  let crlfLine: number | undefined;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (kept < max) {
      const take = chunk.subarray(0, max - kept);
      parts.push(Buffer.from(take));
      kept += take.length;
    }
    if (crlf && crlfLine === undefined) {
      const at = prevCR && chunk[0] === 10 ? 0 : chunk.indexOf('\r\n');
      const upto = at >= 0 ? at : chunk.length;
      for (let i = chunk.indexOf(10); i >= 0 && i < upto; i = chunk.indexOf(10, i + 1)) lines++;
      if (at >= 0) crlfLine = lines;
      prevCR = chunk[chunk.length - 1] === 13;
    }
  }
  const out: { head: Buffer; size: number; crlfLine?: number } = { head: Buffer.concat(parts), size };
  if (crlfLine !== undefined) out.crlfLine = crlfLine;
  return out;
}

export async function drain(body: Readable): Promise<void> {
  for await (const _ of body as AsyncIterable<Buffer>) {
    /* discard */
  }
}
