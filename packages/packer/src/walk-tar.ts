/**
 * Reads a .tar.gz entry by entry (gunzip + node-tar's Parser), counting the uncompressed bytes
 * and the entries as they come, so a bomb is stopped at the limit, not after it has been
 * inflated. Names that are not UTF-8 keep their exact bytes (tar-names.ts).
 */
import zlib from 'node:zlib';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { Counter, isZlibError, LimitStop, openArchive, unreadable, type EntryType, type OnEntry, type RawEntry, type WalkLimits, type WalkResult } from './archive.js';
import { TarNameTap } from './tar-names.js';

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
