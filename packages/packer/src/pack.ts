import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KitError } from '@bx-provider-kit/schemas';
import { finding, hasErrors, type Finding } from '@bx-provider-kit/schemas';
import { checkFolder, crlfFinding, isScript, lineAt } from './folder.js';
import { isIgnoredName } from './ignore.js';
import { readManifest } from './manifest.js';
import { realPathOf } from '@bx-provider-kit/schemas';
import { resolveInside } from './paths.js';
import { padding, tarEnd, tarHeader } from './tarwriter.js';

/** 1980-01-01T00:00:00Z: the entry time when SOURCE_DATE_EPOCH is not set. */
export const DEFAULT_MTIME = 315_532_800;

export interface PackOptions {
  /** Where to write the archive and its .sha256 (default ./dist). */
  outDir?: string;
  /** The time stamped on every entry (seconds); default SOURCE_DATE_EPOCH, else 1980-01-01. */
  sourceDateEpoch?: number;
  /** Overwrite an existing, different archive or .sha256. */
  force?: boolean;
}

export interface PackEntry {
  path: string;
  size: number;
  mode: number;
  type: 'file' | 'directory' | 'symlink';
  linkpath?: string;
}

export interface PackResult {
  archive: string;
  sha256File: string;
  sha256: string;
  name: string;
  version: string;
  entries: PackEntry[];
  /** Size of the archive in bytes. */
  bytes: number;
  /** Paths left out (VCS, editor, OS and test files), relative to the plugin folder. */
  skipped: string[];
  /** The archive and .sha256 already existed with these exact bytes. */
  unchanged: boolean;
}

/** pack refused the folder: the host would not run it. exitCode 1; the findings say why. */
export class PackRefused extends KitError {
  constructor(readonly dir: string, readonly findings: Finding[]) {
    const errs = findings.filter((f) => f.severity === 'error');
    super(`refusing to pack ${dir}: ${errs.length} problem${errs.length === 1 ? '' : 's'} the host would trip on (${[...new Set(errs.map((f) => f.rule))].join(', ')})`, 1);
    this.name = 'PackRefused';
  }
}

interface Item extends PackEntry {
  abs: string;
}

const cmpBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function epochFrom(opts: PackOptions): number {
  if (opts.sourceDateEpoch !== undefined) {
    if (!Number.isInteger(opts.sourceDateEpoch) || opts.sourceDateEpoch < 0) throw new KitError(`sourceDateEpoch must be a whole number of seconds >= 0 (got ${opts.sourceDateEpoch})`);
    return opts.sourceDateEpoch;
  }
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined && env !== '') {
    if (!/^\d+$/.test(env)) throw new KitError(`SOURCE_DATE_EPOCH must be a whole number of seconds (got ${JSON.stringify(env)})`);
    return Number(env);
  }
  return DEFAULT_MTIME;
}

async function sha256OfFile(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}

/** Lists what goes into the archive; findings for what cannot. */
async function collect(dir: string, roots: string[], explicit: Set<string>): Promise<{ items: Item[]; findings: Finding[]; skipped: string[] }> {
  const rootReal = await fsp.realpath(dir);
  const items = new Map<string, Item>();
  const findings: Finding[] = [];
  const skipped: string[] = [];
  const links: Item[] = [];
  const addParents = (rel: string) => {
    const segs = rel.split('/');
    for (let i = 1; i < segs.length; i++) {
      const p = `${segs.slice(0, i).join('/')}/`;
      if (!items.has(p)) items.set(p, { path: p, abs: path.join(dir, p), size: 0, mode: 0o755, type: 'directory' });
    }
  };
  const visit = async (rel: string, depth: number): Promise<void> => {
    const abs = path.join(dir, rel);
    const base = path.posix.basename(rel);
    if (!explicit.has(rel) && isIgnoredName(base)) {
      skipped.push(rel);
      return;
    }
    if (depth > 64) throw new KitError(`${abs}: folders nested more than 64 deep`);
    const st = await fsp.lstat(abs).catch((e: Error) => {
      throw new KitError(`cannot read ${abs}: ${e.message}`);
    });
    if (st.isSymbolicLink()) {
      const link = await fsp.readlink(abs);
      const dirRel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
      const lexical = resolveInside(dirRel, link);
      const real = await fsp.realpath(abs).catch(() => null);
      if (path.isAbsolute(link) || lexical === null || !real || !(real === rootReal || real.startsWith(rootReal + path.sep))) {
        findings.push(finding('ARCH-LINK', 'error', rel, real ? `${rel} is a symlink to ${JSON.stringify(link)}, ${path.isAbsolute(link) ? 'an absolute path' : 'outside the plugin folder'}: pack never follows a link out of the folder` : `${rel} is a dangling symlink (to ${JSON.stringify(link)})`,
          `Copy the file into the plugin instead of linking to it (or use a relative link to a file that is packed).`));
        return;
      }
      addParents(rel);
      const item: Item = { path: rel, abs, size: 0, mode: 0o777, type: 'symlink', linkpath: link };
      items.set(rel, item);
      links.push(item);
      return;
    }
    if (st.isDirectory()) {
      addParents(rel);
      items.set(`${rel}/`, { path: `${rel}/`, abs, size: 0, mode: 0o755, type: 'directory' });
      const names = (
        await fsp.readdir(abs).catch((e: Error) => {
          throw new KitError(`cannot read the folder ${abs}: ${e.message}`);
        })
      ).sort(cmpBytes);
      // a few children at a time (items are sorted at the end, so the order here does not matter)
      let next = 0;
      const worker = async () => {
        for (let k = next++; k < names.length; k = next++) await visit(`${rel}/${names[k]}`, depth + 1);
      };
      await Promise.all(Array.from({ length: Math.min(8, names.length) }, worker));
      return;
    }
    if (st.isFile()) {
      addParents(rel);
      items.set(rel, { path: rel, abs, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644, type: 'file' });
      return;
    }
    const kind = st.isFIFO() ? 'a fifo' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : 'not a regular file';
    findings.push(finding('ARCH-SPECIAL', 'error', rel, `${rel} is ${kind}: pack ships regular files, folders and links inside the folder only`, `Remove ${rel} from the plugin folder.`));
  };
  for (const r of roots) {
    const st = await fsp.lstat(path.join(dir, r)).catch(() => null);
    if (!st) {
      if (explicit.has(r)) throw new KitError(`provider.json "files" lists ${JSON.stringify(r)}, which does not exist in ${dir}`);
      continue;
    }
    await visit(r, 0);
  }
  // links must land on something that is packed
  for (const l of links) {
    const dirRel = path.posix.dirname(l.path) === '.' ? '' : path.posix.dirname(l.path);
    const to = resolveInside(dirRel, l.linkpath!)!;
    if (!items.has(to) && !items.has(`${to}/`)) {
      findings.push(finding('ARCH-LINK', 'error', l.path, `${l.path} links to ${to}, which is not packed: it would dangle on the host`, `Copy the file to ${l.path}, or pack ${to} too (provider.json "files").`));
    }
  }
  return { items: [...items.values()].sort((a, b) => cmpBytes(a.path, b.path)), findings, skipped: skipped.sort(cmpBytes) };
}

/** Scripts under bin/ and lib/ must have LF line ends: checked on the bytes being packed. */
const scanned = (p: string) => p.startsWith('bin/') || p.startsWith('lib/');

/** A fixed set of reusable buffers: the tar stream allocates nothing per file or chunk. */
class BufferPool {
  private free: Buffer[];
  private waiters: { resolve: (b: Buffer) => void; reject: (e: unknown) => void }[] = [];
  private dead: unknown;
  constructor(count: number, size: number) {
    this.free = Array.from({ length: count }, () => Buffer.allocUnsafe(size));
  }
  acquire(): Promise<Buffer> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    const b = this.free.pop();
    if (b) return Promise.resolve(b);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  release(b: Buffer): void {
    const w = this.waiters.shift();
    if (w) w.resolve(b);
    else this.free.push(b);
  }
  kill(e: unknown): void {
    this.dead = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }
}

/**
 * Writes the tar stream into `sink` (the gzip stream): headers written here, small files read
 * a few ahead, large files read straight into pooled buffers, every chunk handed to gzip from a
 * fixed pool (so memory stays flat whatever the size). CRLF scripts are reported in `crlf`.
 */
async function writeTar(items: Item[], mtime: number, crlf: Finding[], sink: NodeJS.WritableStream, pool: BufferPool, chunkSize: number): Promise<void> {
  let cur = await pool.acquire();
  let pos = 0;
  let written = 0;
  const flush = async () => {
    if (!pos) return;
    const b = cur;
    sink.write(b.subarray(0, pos), () => pool.release(b));
    cur = await pool.acquire();
    pos = 0;
  };
  const put = async (src: Buffer) => {
    written += src.length;
    for (let off = 0; off < src.length; ) {
      const n = src.copy(cur, pos, off);
      pos += n;
      off += n;
      if (pos === chunkSize) await flush();
    }
  };
  const zeros = Buffer.alloc(512);
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    await put(tarHeader({ path: it.path, type: it.type, mode: it.mode, size: it.size, mtime, linkpath: it.linkpath }));
    if (it.type !== 'file') continue;
    const scan = scanned(it.path);
    let n = 0;
    let script: boolean | undefined;
    let line = 1;
    let prevCR = false;
    let found = false;
    // Synchronous reads straight into the pooled buffer: no promise or buffer per read, and the
    // event loop still turns at every full chunk (gzip runs on the thread pool meanwhile).
    let fd: number;
    try {
      fd = fs.openSync(it.abs, 'r');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new KitError(`cannot read ${it.abs}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`);
    }
    try {
      while (n < it.size) {
        const want = Math.min(chunkSize - pos, it.size - n);
        const bytesRead = fs.readSync(fd, cur, pos, want, null);
        if (bytesRead === 0) break;
        if (scan && !found) {
          const got = cur.subarray(pos, pos + bytesRead);
          script ??= isScript(it.path, got);
          if (script) {
            const at = prevCR && got[0] === 10 ? 0 : got.indexOf('\r\n');
            if (at >= 0) {
              crlf.push(crlfFinding(it.path, lineAt(got, at, line)));
              found = true;
            } else line = lineAt(got, got.length, line);
            prevCR = got[got.length - 1] === 13;
          }
        }
        n += bytesRead;
        pos += bytesRead;
        written += bytesRead;
        if (pos === chunkSize) await flush();
      }
      if (n === it.size && fs.readSync(fd, zeros, 0, 1, null) > 0) {
        zeros[0] = 0;
        n++;
      }
    } finally {
      fs.closeSync(fd);
    }
    if (n !== it.size) throw new KitError(`${it.abs} changed while it was being packed (size ${it.size} -> ${n}): pack again when nothing writes to the folder`);
    const pad = padding(it.size);
    if (pad) await put(zeros.subarray(0, pad));
  }
  await put(tarEnd(written));
  await flush();
  pool.release(cur);
}

/**
 * Packs a plugin folder into OUT/NAME-vVERSION.tar.gz and .sha256, byte-reproducibly: sorted
 * entries, one mtime, uid/gid 0 without names, modes 0755/0644, ustar headers written here,
 * gzip without name or time. Throws KitError (exit 2) for an unreadable folder or a bad
 * provider.json, PackRefused (exit 1, with findings) for a folder the host would not run.
 */
export async function pack(dir: string, opts: PackOptions = {}): Promise<PackResult> {
  const st = await fsp.stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new KitError(`cannot read the plugin folder ${dir}: ${e.code === 'ENOENT' ? 'no such folder' : e.message}`);
  });
  if (!st.isDirectory()) throw new KitError(`${dir} is not a folder: pack takes the plugin folder (the one holding provider.json and bin/)`);
  const mtime = epochFrom(opts);
  const manifest = await readManifest(dir);
  const outDir = path.resolve(opts.outDir ?? 'dist');
  const dirReal = await fsp.realpath(dir);
  const extras = (manifest.files ?? []).map((f) => path.posix.normalize(f.replace(/\\/g, '/')).replace(/\/$/, ''));
  const roots = [...new Set(['bin', 'etc', 'lib', 'provider.json', ...extras])].sort(cmpBytes);
  // by real paths: --out through a link into a packed folder would ship the previous archive
  const outReal = realPathOf(outDir);
  for (const r of roots) {
    const rootAbs = realPathOf(path.join(dirReal, r));
    if (outReal === rootAbs || outReal.startsWith(rootAbs + path.sep)) throw new KitError(`--out ${outDir} is inside ${r}/${outReal !== outDir ? ` (it resolves to ${outReal})` : ''}, which is packed: write the archive elsewhere (default ./dist)`);
  }

  const findings = (await checkFolder(dir, { name: manifest.name }, false)).filter((f) => f.severity === 'error');
  const { items, findings: walkFindings, skipped } = await collect(dir, roots, new Set(extras));
  if (hasErrors(findings) || hasErrors(walkFindings)) {
    // refused anyway: report every problem at once, CRLF scripts included
    const all = (await checkFolder(dir, { name: manifest.name }, true)).filter((f) => f.severity === 'error');
    throw new PackRefused(dir, [...all, ...walkFindings.sort((a, b) => cmpBytes(a.entry ?? '', b.entry ?? ''))]);
  }

  const archiveName = `${manifest.name}-v${manifest.version}.tar.gz`;
  await fsp.mkdir(outDir, { recursive: true }).catch((e: Error) => {
    throw new KitError(`cannot create the output folder ${outDir}: ${e.message}`);
  });
  const archive = path.join(outDir, archiveName);
  const sha256File = `${archive}.sha256`;
  const tmp = path.join(outDir, `.${archiveName}.${process.pid}.${Date.now()}.tmp`);
  const hash = crypto.createHash('sha256');
  let offset = 0;
  let bytes = 0;
  const fixHeader = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      // gzip header: no name, mtime 0 (zlib writes none), OS byte fixed to 3 (unix) on every platform
      if (offset <= 9 && offset + chunk.length > 9) chunk[9 - offset] = 3;
      offset += chunk.length;
      bytes += chunk.length;
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const crlf: Finding[] = [];
  const CHUNK = 256 * 1024;
  const pool = new BufferPool(8, CHUNK);
  const gzip = zlib.createGzip({ level: 6, chunkSize: 64 * 1024 });
  try {
    const consumer = pipeline(gzip, fixHeader, fs.createWriteStream(tmp, { mode: 0o644 })).catch((e: unknown) => {
      pool.kill(e);
      throw e;
    });
    const producer = writeTar(items, mtime, crlf, gzip, pool, CHUNK).then(
      () => void gzip.end(),
      (e: unknown) => {
        gzip.destroy();
        throw e;
      },
    );
    const [p, c] = await Promise.allSettled([producer, consumer]);
    if (p.status === 'rejected') throw p.reason;
    if (c.status === 'rejected') throw c.reason;
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    if (e instanceof KitError) throw e;
    throw new KitError(`cannot write ${tmp}: ${(e as Error).message}`);
  }
  if (crlf.length) {
    await fsp.rm(tmp, { force: true });
    throw new PackRefused(dir, crlf);
  }
  const sha256 = hash.digest('hex');
  const shaLine = `${sha256}  ${archiveName}\n`;

  const oldSha = await sha256OfFile(archive).catch(() => undefined);
  const oldLine = await fsp.readFile(sha256File, 'utf8').catch(() => undefined);
  const archiveConflict = oldSha !== undefined && oldSha !== sha256;
  const shaConflict = oldLine !== undefined && oldLine !== shaLine;
  if ((archiveConflict || shaConflict) && !opts.force) {
    await fsp.rm(tmp, { force: true });
    throw new KitError(`${archiveConflict ? archive : sha256File} already exists with different content: bump "version" in provider.json, or pass --force to overwrite it`);
  }
  if (oldSha === sha256) await fsp.rm(tmp, { force: true });
  else await fsp.rename(tmp, archive);
  if (oldLine !== shaLine) await fsp.writeFile(sha256File, shaLine, { mode: 0o644 });

  return {
    archive,
    sha256File,
    sha256,
    name: manifest.name,
    version: manifest.version,
    entries: items.map(({ path: p, size, mode, type, linkpath }) => (linkpath !== undefined ? { path: p, size, mode, type, linkpath } : { path: p, size, mode, type })),
    bytes,
    skipped,
    unchanged: oldSha === sha256 && oldLine === shaLine,
  };
}
