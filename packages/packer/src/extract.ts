import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KitError } from '@bx-provider-kit/schemas';
import { lengthProblem, LinkTree, normEntryPath, resolveInside } from './paths.js';
import { DEFAULT_LIMITS, drain, readHead, sniff, walkArchive, type RawEntry } from './walk.js';

export interface ExtractOptions {
  /** How to read the file (the host picks by suffix: .tar.gz and .tar.bz2 -> `tar xzf`, .zip -> `unzip`). */
  format?: 'tar.gz' | 'zip';
  maxEntries?: number;
  maxBytes?: number;
}

const KIND: Record<string, string> = { 'char-device': 'character device', 'block-device': 'block device', fifo: 'fifo', socket: 'socket' };
const refuse = (file: string, entry: string, why: string, id: string) =>
  new KitError(`refusing to extract ${path.basename(file)}: entry ${JSON.stringify(entry)} ${why} (${id})`);

function formatFor(file: string, opts: ExtractOptions): 'tar.gz' | 'zip' {
  if (opts.format) return opts.format;
  if (/\.(tar\.gz|tar\.bz2)$/.test(file)) return 'tar.gz';
  if (/\.zip$/.test(file)) return 'zip';
  throw new KitError(`cannot extract ${path.basename(file)}: the host unpacks only .tar.gz and .zip archives (ARCH-SUFFIX)`);
}

/** Checks one entry header; throws the KitError naming the rule it breaks. */
function check(file: string, e: RawEntry, seen: Set<string>, tree: LinkTree): void {
  const n = normEntryPath(e.path, e.dosPaths);
  const long = lengthProblem(e.path) ?? (e.type === 'symlink' || e.type === 'hardlink' ? lengthProblem(e.linkpath ?? '', 'its link target') : undefined);
  if (long) throw refuse(file, e.path.length > 200 ? `${e.path.slice(0, 120)}...` : e.path, long.replace(/^the path/, 'is a path that'), 'ARCH-FORMAT');
  if (n.absolute) throw refuse(file, e.path, 'is an absolute path', 'ARCH-ABSOLUTE');
  if (n.traversal) throw refuse(file, e.path, 'has ".." in its path', 'ARCH-TRAVERSAL');
  if (e.type === 'char-device' || e.type === 'block-device' || e.type === 'fifo' || e.type === 'socket') throw refuse(file, e.path, `is a ${KIND[e.type]}`, 'ARCH-SPECIAL');
  if (e.type === 'symlink') {
    const dir = path.posix.dirname(n.norm);
    if (resolveInside(dir === '.' ? '' : dir, e.linkpath ?? '') === null) throw refuse(file, e.path, `is a symlink to ${JSON.stringify(e.linkpath)}, outside the destination`, 'ARCH-LINK');
    if (tree.landing(n.norm, e.linkpath ?? '') === null) throw refuse(file, e.path, `is a symlink to ${JSON.stringify(e.linkpath)}, which leads outside the destination through the links before it`, 'ARCH-LINK');
  }
  if (e.type === 'hardlink') {
    const t = normEntryPath(e.linkpath ?? '');
    if (t.absolute || t.traversal) throw refuse(file, e.path, `is a hard link to ${JSON.stringify(e.linkpath)}, outside the destination`, 'ARCH-LINK');
    if (!seen.has(t.norm)) throw refuse(file, e.path, `is a hard link to ${JSON.stringify(e.linkpath)}, which the archive does not hold before it`, 'ARCH-LINK');
  }
  seen.add(n.norm);
  if (n.norm !== '') tree.place(n.norm, e.type, e.linkpath);
}

/** After all entries: a link that leaves once the links after it are in place. */
function checkTree(file: string, tree: LinkTree): void {
  const bad = tree.leaving()[0];
  if (bad) throw refuse(file, bad.path, `is a symlink to ${JSON.stringify(bad.target)}, which leads outside the destination through the archive's other links`, 'ARCH-LINK');
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Unpacks an archive as `tar xzf FILE -C DEST` / `unzip FILE -d DEST` would as root: stored
 * modes kept (setuid included), folders it has to create 0755, later duplicates win, existing
 * files replaced. Refuses, before writing anything, absolute paths, "..", links leaving DEST,
 * devices and fifos, and archives past the size limits (KitError naming the ARCH-* rule); while
 * writing it never follows a link out of DEST.
 */
export async function extractArchive(file: string, dest: string, opts: ExtractOptions = {}): Promise<void> {
  const format = formatFor(file, opts);
  const limits = { maxEntries: opts.maxEntries ?? DEFAULT_LIMITS.maxEntries, maxBytes: opts.maxBytes ?? DEFAULT_LIMITS.maxBytes };
  const magic = await sniff(file);
  if (format === 'tar.gz' && magic !== 'gzip') throw new KitError(`cannot extract ${path.basename(file)}: not gzip data, \`tar xzf\` fails on it (ARCH-FORMAT)`);
  if (format === 'zip' && magic !== 'zip') throw new KitError(`cannot extract ${path.basename(file)}: not a zip archive, \`unzip\` fails on it (ARCH-FORMAT)`);

  // pass 1: headers only, nothing written
  const names = new Set<string>();
  const tree = new LinkTree();
  const first = await walkArchive(file, format, limits, async (e, body) => {
    if (e.type === 'symlink' && e.linkpath === undefined) e.linkpath = (await readHead(body, 4096)).head.toString('utf8');
    else await drain(body);
    check(file, e, names, tree);
  });
  if (first.stopped) throw new KitError(`refusing to extract ${path.basename(file)}: more than ${first.stopped.reason === 'entries' ? `${limits.maxEntries} entries` : `${limits.maxBytes} bytes uncompressed`} (ARCH-LIMITS)`);
  if (first.formatErrors.length) throw new KitError(`cannot extract ${path.basename(file)}: ${first.formatErrors[0]} (ARCH-FORMAT)`);
  checkTree(file, tree);

  // pass 2: write
  const root = await fsp
    .mkdir(dest, { recursive: true, mode: 0o755 })
    .then(() => fsp.realpath(dest))
    .catch((e: NodeJS.ErrnoException) => {
      throw new KitError(`cannot extract into ${dest}: ${e.code === 'EEXIST' || e.code === 'ENOTDIR' ? 'it is not a folder' : e.message}`);
    });
  if (!(await fsp.stat(root)).isDirectory()) throw new KitError(`cannot extract into ${dest}: it is not a folder`);
  const dirModes: { p: string; mode: number }[] = [];
  // Paths below are byte strings (latin1: one char per byte) and reach fs as Buffers, so an entry
  // name that is not valid UTF-8 is written with its bytes, as GNU tar on the host writes it.
  const B = (s: string) => Buffer.from(s, 'latin1');
  const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  const rootB = bytes(root);
  const realB = (p: string) => fsp.realpath(B(p), { encoding: 'buffer' }).then((r) => r.toString('latin1'));

  /** Creates (0755) or walks the folders of `rel`, never leaving root; returns the real path. */
  const parentOf = async (rel: string, entry: string): Promise<string> => {
    let cur = rootB;
    for (const seg of rel.split('/').filter(Boolean)) {
      const next = path.join(cur, seg);
      let st: fs.Stats | undefined;
      try {
        st = await fsp.lstat(B(next));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      if (!st) {
        await fsp.mkdir(B(next), { mode: 0o755 });
        await fsp.chmod(B(next), 0o755);
        cur = next;
      } else if (st.isSymbolicLink()) {
        const real = await realB(next).catch(() => '');
        if (!real || !within(rootB, real)) throw refuse(file, entry, `goes through the link ${rel.split('/').slice(0, 1).join('/')}, which leads outside the destination`, 'ARCH-LINK');
        if (!(await fsp.stat(B(real))).isDirectory()) throw new KitError(`cannot extract ${path.basename(file)}: ${entry} needs a folder where a file is`);
        cur = real;
      } else if (st.isDirectory()) cur = next;
      else throw new KitError(`cannot extract ${path.basename(file)}: ${entry} needs a folder where the file ${seg} is (ARCH-DUPLICATE)`);
    }
    return cur;
  };

  const writeEntry = async (e: RawEntry, body: Readable): Promise<void> => {
    const n = normEntryPath(e.pathBytes ? e.pathBytes.toString('latin1') : bytes(e.path), e.dosPaths);
    if (n.norm === '') {
      if (e.type === 'directory' && e.unixMode) dirModes.push({ p: rootB, mode: e.mode });
      await drain(body);
      return;
    }
    const dirRel = path.posix.dirname(n.norm);
    const parent = await parentOf(dirRel === '.' ? '' : dirRel, e.path);
    const target = path.join(parent, path.posix.basename(n.norm));
    let existing: fs.Stats | undefined;
    try {
      existing = await fsp.lstat(B(target));
    } catch {
      /* none */
    }
    if (e.type === 'directory') {
      await drain(body);
      if (existing && !existing.isDirectory()) await fsp.unlink(B(target));
      if (!existing || !existing.isDirectory()) await fsp.mkdir(B(target), { mode: 0o700 });
      dirModes.push({ p: target, mode: e.mode });
      return;
    }
    if (existing?.isDirectory()) {
      await drain(body);
      throw new KitError(`cannot extract ${path.basename(file)}: ${e.path} would replace a folder (ARCH-DUPLICATE)`);
    }
    if (existing) await fsp.unlink(B(target));
    if (e.type === 'symlink') {
      const link = e.linkpathBytes ?? Buffer.from(e.linkpath ?? (await readHead(body, 4096)).head.toString('utf8'));
      await drain(body);
      await fsp.symlink(link, B(target));
      return;
    }
    if (e.type === 'hardlink') {
      await drain(body);
      const from = path.join(rootB, normEntryPath(e.linkpathBytes ? e.linkpathBytes.toString('latin1') : bytes(e.linkpath ?? '')).norm);
      const real = await realB(from).catch(() => '');
      if (!real || !within(rootB, real)) throw refuse(file, e.path, `is a hard link to ${JSON.stringify(e.linkpath)}, which leads outside the destination`, 'ARCH-LINK');
      await fsp.link(B(real), B(target));
      return;
    }
    const out = fs.createWriteStream(B(target) as unknown as string, { flags: 'wx', mode: 0o600 });
    await pipeline(body, out);
    await fsp.chmod(B(target), e.mode & 0o7777);
  };

  const names2 = new Set<string>();
  const tree2 = new LinkTree();
  const second = await walkArchive(file, format, limits, async (e, body) => {
    if (e.type === 'symlink' && e.linkpath === undefined) e.linkpath = (await readHead(body, 4096)).head.toString('utf8');
    check(file, e, names2, tree2); // again: the file may have changed since pass 1
    try {
      await writeEntry(e, body);
    } catch (err) {
      body.resume();
      if (err instanceof KitError) throw err;
      throw new KitError(`cannot extract ${path.basename(file)}: entry ${JSON.stringify(e.path)}: ${(err as Error).message}`);
    }
  });

  if (second.stopped || second.formatErrors.length) throw new KitError(`cannot extract ${path.basename(file)}: the archive changed while it was being extracted (ARCH-FORMAT)`);

  // folder modes last (deepest first), as tar does, so a read-only folder can still be filled
  for (const d of dirModes.reverse()) await fsp.chmod(B(d.p), d.mode & 0o7777);
}
