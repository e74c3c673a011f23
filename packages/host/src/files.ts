/**
 * Paths and file tests as the Perl host makes them (File::Spec, File::Basename, -d -f -x, $!),
 * and the one way the emulator writes a file (never through a link).
 */
import fs from 'node:fs';
import path from 'node:path';

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENAMETOOLONG: 'File name too long',
  EEXIST: 'File exists',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ELOOP: 'Too many levels of symbolic links',
};
export const strerror = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return (err.code && STRERROR[err.code]) || err.message;
};

/** File::Spec::Unix::canonpath */
function canonpath(p: string): string {
  if (p === '') return '';
  let s = p.replace(/\/{2,}/g, '/');
  s = s.replace(/(?:\/\.)+(?=\/|$)/g, '');
  if (s !== './') s = s.replace(/^(?:\.\/)+/, '');
  s = s.replace(/^\/(?:\.\.\/)+/, '/');
  s = s.replace(/^\/\.\.$/, '/');
  if (s.length > 1) s = s.replace(/\/$/, '');
  return s === '' ? '/' : s;
}
/** File::Spec::Unix::catfile(dir, file) */
export function catfile(dir: string, file: string): string {
  const f = canonpath(file);
  let d = canonpath(dir + '/');
  if (!d.endsWith('/')) d += '/';
  return d + f;
}
/** File::Basename::dirname */
export function dirname(p: string): string {
  const s = p.length > 1 ? p.replace(/\/+$/, '') : p;
  return path.posix.dirname(s || '/');
}

export const isDir = (p: string) => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};
export const isFile = (p: string) => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};
export const isExecutable = (p: string) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
export const inside = (dir: string, p: string) => {
  const rel = path.relative(dir, path.resolve(p));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** Writes a file, refusing to follow a link in its place (O_NOFOLLOW: ELOOP). */
export function writeNoFollow(file: string, data: Buffer): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}
