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
