import path from 'node:path';

export interface NormPath {
  /** Normalised relative path: no leading "/" or "./", no trailing "/", no "." segments ('' = the root). */
  norm: string;
  absolute: boolean;
  traversal: boolean;
}

/** How tar / unzip place an archive path relative to the destination. */
export function normEntryPath(raw: string, dosPaths = false): NormPath {
  let p = dosPaths ? raw.replace(/\\/g, '/') : raw;
  const absolute = p.startsWith('/') || (dosPaths && /^[A-Za-z]:/.test(p));
  if (dosPaths) p = p.replace(/^[A-Za-z]:/, '');
  const segs = p.split('/').filter((s) => s !== '' && s !== '.');
  const traversal = segs.includes('..');
  return { norm: segs.join('/'), absolute, traversal };
}

/**
 * Where a link lands, relative to the holder, or null when it leaves it. Symlink targets are
 * relative to the link's folder; hard link targets are archive paths.
 */
export function resolveInside(fromDir: string, target: string): string | null {
  if (target.startsWith('/')) return null;
  const joined = path.posix.normalize(path.posix.join(fromDir || '.', target));
  if (joined === '..' || joined.startsWith('../')) return null;
  return joined === '.' ? '' : joined.replace(/\/$/, '');
}

/** What GNU tar and the kernel take on the host: a path under PATH_MAX bytes, names of at most NAME_MAX bytes. */
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

/** Why the host's tar would refuse this stored path (or link target): "File name too long". */
export function lengthProblem(p: string, what = 'the path'): string | undefined {
  const bytes = Buffer.byteLength(p);
  if (bytes >= PATH_MAX) return `${what} is ${bytes} bytes: GNU tar on the host refuses it ("File name too long": PATH_MAX is ${PATH_MAX})`;
  const long = p.split('/').find((s) => Buffer.byteLength(s) > NAME_MAX);
  if (long !== undefined) return `${what} holds a name of ${Buffer.byteLength(long)} bytes: GNU tar on the host refuses it ("File name too long": NAME_MAX is ${NAME_MAX})`;
  return undefined;
}

const VERSION_TAIL = /^v?\d[0-9A-Za-z.+_~-]*$/;

/** The archive's base name without its suffix. */
export function stripSuffix(base: string): string {
  return base.replace(/(\.tar\.gz|\.tar\.bz2|\.tgz|\.zip|\.tar)$/, '');
}

/** Whether an archive file name names provider NAME: NAME.tar.gz, NAME-vVERSION.tar.gz (or NAME-VERSION). */
export function fileNameAgrees(base: string, name: string): boolean {
  const stem = stripSuffix(base);
  if (stem === name) return true;
  return stem.startsWith(`${name}-`) && VERSION_TAIL.test(stem.slice(name.length + 1));
}

/** The NAME a file name suggests (NAME-vVERSION.tar.gz -> NAME), for messages. */
export function nameFromFileName(base: string): string {
  const stem = stripSuffix(base);
  const m = /^(.+?)-v?\d[0-9A-Za-z.+_~-]*$/.exec(stem);
  return m ? m[1]! : stem;
}

/** How many links one resolution may follow before it is taken as a loop (Linux allows 40). */
const MAX_HOPS = 40;

/**
 * The links of an archive as extraction places them, to judge each one as the kernel will follow
 * it on the host: a target is resolved segment by segment, and every segment that is a link
 * placed before is followed. `a -> .` then `b -> a/..` looks inside on paper, but b leaves.
 */
export class LinkTree {
  /** Normalised entry path -> symlink target, as stored. */
  private readonly links = new Map<string, string>();

  /**
   * Where `segs` (relative to the holder) lands: '' is the holder itself, null outside it (or a
   * loop of links). With `followLast` false the last segment is not followed (a hard link's
   * target, the place an entry is written to).
   */
  resolve(segs: string[], followLast = true): string | null {
    const todo = [...segs];
    const cur: string[] = [];
    let hops = 0;
    while (todo.length) {
      const s = todo.shift()!;
      if (s === '' || s === '.') continue;
      if (s === '..') {
        if (!cur.length) return null;
        cur.pop();
        continue;
      }
      cur.push(s);
      if (!followLast && !todo.some((t) => t !== '' && t !== '.')) break;
      const t = this.links.get(cur.join('/'));
      if (t === undefined) continue;
      if (++hops > MAX_HOPS || t.startsWith('/')) return null;
      cur.pop();
      todo.unshift(...t.split('/'));
    }
    return cur.join('/');
  }

  /** Where a symlink at `norm` pointing at `target` lands, with the links placed so far. */
  landing(norm: string, target: string): string | null {
    if (target.startsWith('/')) return null;
    const segs = norm.split('/').filter(Boolean);
    segs.pop();
    return this.resolve([...segs, ...target.split('/')]);
  }

  /** Records an entry: a symlink is remembered, anything else replaces a link stored there before. */
  place(norm: string, type: string, target?: string): void {
    if (type === 'symlink') this.links.set(norm, target ?? '');
    else this.links.delete(norm);
  }

  /** The links that leave the holder once every link of the archive is in place. */
  leaving(): { path: string; target: string }[] {
    const out: { path: string; target: string }[] = [];
    for (const [p, t] of this.links) if (this.landing(p, t) === null) out.push({ path: p, target: t });
    return out;
  }
}
