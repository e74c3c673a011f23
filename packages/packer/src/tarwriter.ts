/**
 * A minimal, byte-exact POSIX ustar writer (with pax 'x' records only when a path, a link or a
 * size does not fit the ustar fields). Every header field is written here, so the same input
 * gives the same bytes with any node-tar version.
 */
export type TarType = 'file' | 'directory' | 'symlink';

export interface TarHeader {
  path: string; // directories end with '/'
  type: TarType;
  mode: number;
  size: number;
  mtime: number; // seconds
  linkpath?: string;
}

const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777;

function octal(buf: Buffer, off: number, len: number, value: number): void {
  // len-1 octal digits, then NUL
  buf.write(value.toString(8).padStart(len - 1, '0'), off, len - 1, 'ascii');
  buf[off + len - 1] = 0;
}

function splitUstar(p: string): { name: string; prefix: string } | null {
  const bytes = Buffer.byteLength(p);
  if (bytes <= 100) return { name: p, prefix: '' };
  if (bytes > 256) return null;
  // split at a '/' so that prefix <= 155 and name <= 100 (name keeps a trailing '/' of folders)
  for (let i = p.length - 1; i > 0; i--) {
    if (p[i] !== '/' || i === p.length - 1) continue;
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
  }
  return null;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function rawHeader(h: { name: string; prefix: string; mode: number; size: number; mtime: number; flag: string; linkname: string }): Buffer {
  const b = Buffer.alloc(BLOCK, 0);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, 0); // uid
  octal(b, 116, 8, 0); // gid
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.fill(0x20, 148, 156); // checksum placeholder: spaces
  b.write(h.flag, 156, 1, 'ascii');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\u0000', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  // uname (265, 32) and gname (297, 32) stay empty
  octal(b, 329, 8, 0); // devmajor
  octal(b, 337, 8, 0); // devminor
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii');
  b[154] = 0;
  b[155] = 0x20;
  return b;
}

/** The header block(s) of one entry: an optional pax header plus the ustar header. */
export function tarHeader(h: TarHeader): Buffer {
  const flag = h.type === 'directory' ? '5' : h.type === 'symlink' ? '2' : '0';
  const size = h.type === 'file' ? h.size : 0;
  const records: string[] = [];
  let split = splitUstar(h.path);
  if (!split) {
    records.push(paxRecord('path', h.path));
    split = { name: truncateUtf8(h.path.replace(/\/$/, '').split('/').pop() ?? 'x', 99) + (h.type === 'directory' ? '/' : ''), prefix: '' };
  }
  let linkname = h.linkpath ?? '';
  if (Buffer.byteLength(linkname) > 100) {
    records.push(paxRecord('linkpath', linkname));
    linkname = truncateUtf8(linkname, 100);
  }
  let sizeField = size;
  if (size > MAX_OCTAL_11) {
    records.push(paxRecord('size', String(size)));
    sizeField = 0;
  }
  const main = rawHeader({ ...split, mode: h.mode, size: sizeField, mtime: h.mtime, flag, linkname });
  if (!records.length) return main;
  const data = Buffer.from(records.join(''), 'utf8');
  const paxName = truncateUtf8(`PaxHeaders/${h.path.replace(/\/$/, '').split('/').pop() ?? 'x'}`, 100);
  const pax = rawHeader({ name: paxName, prefix: '', mode: 0o644, size: data.length, mtime: h.mtime, flag: 'x', linkname: '' });
  return Buffer.concat([pax, data, Buffer.alloc(padding(data.length)), main]);
}

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** End of archive: two zero blocks, then zeros up to a whole 10 240-byte record, as tar writes. */
export function tarEnd(written: number): Buffer {
  const afterEof = written + 2 * BLOCK;
  const record = 20 * BLOCK;
  return Buffer.alloc(2 * BLOCK + ((record - (afterEof % record)) % record));
}

function truncateUtf8(s: string, max: number): string {
  let out = s;
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}
