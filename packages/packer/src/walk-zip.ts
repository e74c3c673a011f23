/**
 * Reads a .zip archive: its central directory first (a small reader of its own, zip64 included),
 * then each entry's data in directory order, inflated and checked (CRC) as it is counted against
 * the limits. Sizes the directory declares are claims; only the bytes inflated count.
 */
import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Counter, isZlibError, LimitStop, openArchive, type EntryType, type OnEntry, type RawEntry, type WalkLimits, type WalkResult } from './archive.js';

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
