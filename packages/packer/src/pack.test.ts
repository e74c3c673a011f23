import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import { DEFAULT_MTIME, PackRefused, checkPluginFolder, extractArchive, pack, verifyArchive } from './index.js';
import { listTree, tmpdir, writePlugin } from './testutil.js';

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Writes the same plugin with a given umask, file times and creation order. */
async function variant(dir: string, opts: { umask: number; mtime: number; reverse: boolean }): Promise<string> {
  const old = process.umask(opts.umask);
  try {
    const files: [string, string, boolean][] = [
      ['provider.json', JSON.stringify({ name: 'repro', version: '2.0.0', description: 'reproducible' }), false],
      ['bin/repro', '#!/usr/bin/env python3\nprint("{}")\n', true],
      ['etc/repro.conf', 'token=abc\n', false],
      ['lib/a/deep/helper.py', 'X = 1\n', false],
      ['lib/b.py', 'Y = 2\n', false],
      ['lib/zz/data.bin', 'z'.repeat(70_000), false],
      [`lib/${'long-name-'.repeat(12)}/${'file-'.repeat(20)}.txt`, 'long path\n', false],
      ['lib/.DS_Store', 'junk', false],
      ['lib/helper.py~', 'backup', false],
    ];
    if (opts.reverse) files.reverse();
    for (const [rel, text, exec] of files) {
      await fsp.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fsp.writeFile(path.join(dir, rel), text);
      if (exec) await fsp.chmod(path.join(dir, rel), 0o777 & ~opts.umask);
    }
    const all = await listTree(dir);
    for (const rel of all) await fsp.utimes(path.join(dir, rel), opts.mtime, opts.mtime);
    await fsp.utimes(dir, opts.mtime, opts.mtime);
    return dir;
  } finally {
    process.umask(old);
  }
}

describe('pack', function () {
  let dir: string;
  const saved = process.env.SOURCE_DATE_EPOCH;
  before(async () => {
    dir = await tmpdir();
    delete process.env.SOURCE_DATE_EPOCH;
  });
  after(async () => {
    if (saved !== undefined) process.env.SOURCE_DATE_EPOCH = saved;
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('is byte-reproducible across umask, file times and creation order; one changed byte changes it', async () => {
    const a = await variant(path.join(dir, 'repro-a'), { umask: 0o022, mtime: 1_600_000_000, reverse: false });
    const b = await variant(path.join(dir, 'repro-b'), { umask: 0o077, mtime: 1_700_000_000, reverse: true });
    const ra = await pack(a, { outDir: path.join(dir, 'out-a') });
    const rb = await pack(b, { outDir: path.join(dir, 'out-b') });
    expect(path.basename(ra.archive)).to.equal('repro-v2.0.0.tar.gz');
    expect(ra.sha256).to.equal(rb.sha256);
    expect(sha(ra.archive)).to.equal(sha(rb.archive));
    expect(fs.readFileSync(ra.archive).equals(fs.readFileSync(rb.archive))).to.equal(true);
    expect(ra.skipped).to.deep.equal(['lib/.DS_Store', 'lib/helper.py~']);
    // one byte
    await fsp.writeFile(path.join(b, 'lib/b.py'), 'Y = 3\n');
    const rc = await pack(b, { outDir: path.join(dir, 'out-c') });
    expect(rc.sha256).to.not.equal(ra.sha256);
    // the mode of a file that becomes executable changes it too
    await fsp.chmod(path.join(a, 'lib/b.py'), 0o755);
    const rd = await pack(a, { outDir: path.join(dir, 'out-d') });
    expect(rd.sha256).to.not.equal(ra.sha256);
  });

  it('writes NAME-vVERSION.tar.gz and a sha256sum-format .sha256 that sha256sum -c accepts', async () => {
    const src = await writePlugin(path.join(dir, 'demo'), 'demo');
    const out = path.join(dir, 'out-demo');
    const r = await pack(src, { outDir: out });
    expect(r.archive).to.equal(path.join(out, 'demo-v1.2.0.tar.gz'));
    expect(r.sha256File).to.equal(`${r.archive}.sha256`);
    expect(await fsp.readFile(r.sha256File, 'utf8')).to.equal(`${r.sha256}  demo-v1.2.0.tar.gz\n`);
    execFileSync('sha256sum', ['-c', 'demo-v1.2.0.tar.gz.sha256'], { cwd: out, stdio: 'pipe' });
    expect(r.bytes).to.equal((await fsp.stat(r.archive)).size);
    expect(r.entries.map((e) => e.path)).to.deep.equal(['bin/', 'bin/demo', 'etc/', 'etc/demo.conf', 'lib/', 'lib/common.sh', 'provider.json']);
    expect(r.entries.find((e) => e.path === 'bin/demo')!.mode).to.equal(0o755);
    expect(r.entries.find((e) => e.path === 'etc/demo.conf')!.mode).to.equal(0o644);
  });

  it('gives an archive verify finds clean, GNU tar lists as expected, and extracts to a runnable plugin', async () => {
    const src = await writePlugin(path.join(dir, 'roundtrip'), 'roundtrip');
    const r = await pack(src, { outDir: path.join(dir, 'out-rt') });
    const v = await verifyArchive(r.archive);
    expect(v.findings).to.deep.equal([]);
    expect(v).to.include({ ok: true, name: 'roundtrip', format: 'tar.gz' });
    const listing = execFileSync('tar', ['tzvf', r.archive], { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } }).toString();
    const lines = listing.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(lines.map((l) => l[5])).to.deep.equal(['bin/', 'bin/roundtrip', 'etc/', 'etc/roundtrip.conf', 'lib/', 'lib/common.sh', 'provider.json']);
    expect(lines.map((l) => l[0])).to.deep.equal(['drwxr-xr-x', '-rwxr-xr-x', 'drwxr-xr-x', '-rw-r--r--', 'drwxr-xr-x', '-rw-r--r--', '-rw-r--r--']);
    for (const l of lines) {
      expect(l[1], 'uid/gid 0 without names').to.equal('0/0');
      expect(`${l[3]} ${l[4]}`).to.equal('1980-01-01 00:00');
    }
    // gzip header: no name flag, mtime 0, OS 3
    const head = (await fsp.readFile(r.archive)).subarray(0, 10);
    expect([...head]).to.deep.equal([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    // GNU tar extracts it, the plugin runs
    const x = path.join(dir, 'rt-x');
    await fsp.mkdir(x);
    execFileSync('tar', ['xzf', r.archive, '-C', x]);
    expect(execFileSync(path.join(x, 'bin/roundtrip')).toString()).to.match(/"status":"enabled"/);
    // and extractArchive agrees with GNU tar
    const y = path.join(dir, 'rt-y');
    await extractArchive(r.archive, y);
    expect(await listTree(y)).to.deep.equal(await listTree(x));
  });

  it('uses SOURCE_DATE_EPOCH (and the option) for every entry time', async () => {
    const src = await writePlugin(path.join(dir, 'epoch'), 'epoch');
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      const r = await pack(src, { outDir: path.join(dir, 'out-epoch') });
      const listing = execFileSync('tar', ['tzvf', r.archive], { env: { ...process.env, TZ: 'UTC' } }).toString();
      expect(listing).to.match(/2023-11-14 22:13 bin\/epoch/);
      const r2 = await pack(src, { outDir: path.join(dir, 'out-epoch2'), sourceDateEpoch: DEFAULT_MTIME });
      expect(execFileSync('tar', ['tzvf', r2.archive], { env: { ...process.env, TZ: 'UTC' } }).toString()).to.match(/1980-01-01 00:00 bin\/epoch/);
      process.env.SOURCE_DATE_EPOCH = 'yesterday';
      const e = await pack(src, { outDir: path.join(dir, 'out-epoch3') }).catch((x: unknown) => x);
      expect((e as KitError).message).to.match(/SOURCE_DATE_EPOCH/);
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
  });

  it('ships only bin/ etc/ lib/ provider.json and the manifest files, without VCS/editor/OS/test files', async () => {
    const src = await writePlugin(path.join(dir, 'ship'), 'ship', {
      'README.md': '# ship\n',
      'conformance.json': '{}',
      '.git/HEAD': 'ref\n',
      '.gitignore': 'dist\n',
      'tests/run.sh': '#!/bin/sh\n',
      'lib/tests/t.sh': 'x\n',
      'lib/.git/config': 'x\n',
      'lib/x.swp': 'x',
      'lib/.idea/ws.xml': 'x',
      'lib/util_test.py': 'x',
      'docs/guide.md': 'guide\n',
    });
    await fsp.writeFile(path.join(src, 'provider.json'), JSON.stringify({ name: 'ship', version: '1.0.0', description: 'd', files: ['README.md', 'docs'] }));
    const r = await pack(src, { outDir: path.join(dir, 'out-ship') });
    expect(r.entries.map((e) => e.path)).to.deep.equal(['README.md', 'bin/', 'bin/ship', 'docs/', 'docs/guide.md', 'etc/', 'etc/ship.conf', 'lib/', 'lib/common.sh', 'provider.json']);
    expect(r.skipped).to.include.members(['lib/.git', 'lib/.idea', 'lib/tests', 'lib/util_test.py', 'lib/x.swp']);
    const v = await verifyArchive(r.archive);
    expect(v.findings, 'manifest files are not ARCH-EXTRA').to.deep.equal([]);
  });

  it('refuses a folder the host would not run (PackRefused, exit 1, with findings)', async () => {
    const src = await writePlugin(path.join(dir, 'noexec'), 'noexec');
    await fsp.chmod(path.join(src, 'bin/noexec'), 0o644);
    await fsp.writeFile(path.join(src, 'lib/common.sh'), 'log() {\r\n echo\r\n}\r\n');
    const e = await pack(src, { outDir: path.join(dir, 'out-noexec') }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(PackRefused);
    expect((e as PackRefused).exitCode).to.equal(1);
    expect((e as PackRefused).findings.map((f) => `${f.rule} ${f.entry}`)).to.deep.equal(['PKG-LAYOUT bin/noexec', 'PKG-SHEBANG lib/common.sh']);
    expect(fs.existsSync(path.join(dir, 'out-noexec', 'noexec-v1.2.0.tar.gz'))).to.equal(false);
  });

  it('refuses CRLF scripts found while streaming (small and large files), leaving no archive behind', async () => {
    const src = await writePlugin(path.join(dir, 'crlf'), 'crlf');
    await fsp.writeFile(path.join(src, 'lib/common.sh'), 'a=1\nb=2\r\n');
    const out = path.join(dir, 'out-crlf');
    const e = await pack(src, { outDir: out }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(PackRefused);
    expect((e as PackRefused).findings.map((f) => `${f.rule} ${f.entry}`)).to.deep.equal(['PKG-SHEBANG lib/common.sh']);
    expect((e as PackRefused).findings[0]!.message).to.match(/line 2/);
    expect(await fsp.readdir(out).catch(() => [])).to.deep.equal([]);
    // a 3 MiB PHP file whose first CRLF sits right across a 1 MiB read boundary
    await fsp.writeFile(path.join(src, 'lib/common.sh'), 'ok\n');
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    for (let i = 99; i < big.length; i += 100) big[i] = 10;
    big[(1 << 20) - 1] = 13;
    big[1 << 20] = 10;
    big.write('<?php\n', 0);
    await fsp.writeFile(path.join(src, 'lib/big.php'), big);
    const e2 = await pack(src, { outDir: out }).catch((x: unknown) => x);
    expect(e2).to.be.instanceOf(PackRefused);
    expect((e2 as PackRefused).findings.map((f) => `${f.rule} ${f.entry}`)).to.deep.equal(['PKG-SHEBANG lib/big.php']);
    expect((e2 as PackRefused).findings[0]!.message).to.match(new RegExp(`line ${big.subarray(0, 1 << 20).toString('latin1').split('\n').length}\\)`));
    // the same folder as checkPluginFolder sees it
    expect((await checkPluginFolder(src)).map((f) => f.entry)).to.deep.equal(['lib/big.php']);
  });

  it('refuses symlinks out of the folder and special files; keeps links inside', async () => {
    const src = await writePlugin(path.join(dir, 'links'), 'links');
    await fsp.writeFile(path.join(dir, 'secret.txt'), 'secret');
    await fsp.symlink(path.join(dir, 'secret.txt'), path.join(src, 'etc/secret'));
    await fsp.symlink('../../secret.txt', path.join(src, 'lib/up'));
    execFileSync('mkfifo', [path.join(src, 'etc/pipe')]);
    const e = await pack(src, { outDir: path.join(dir, 'out-links') }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(PackRefused);
    expect((e as PackRefused).findings.map((f) => `${f.rule} ${f.entry}`).sort()).to.deep.equal(['ARCH-LINK etc/secret', 'ARCH-LINK lib/up', 'ARCH-SPECIAL etc/pipe']);
    await fsp.rm(path.join(src, 'etc/secret'));
    await fsp.rm(path.join(src, 'lib/up'));
    await fsp.rm(path.join(src, 'etc/pipe'));
    await fsp.symlink('common.sh', path.join(src, 'lib/alias.sh'));
    const r = await pack(src, { outDir: path.join(dir, 'out-links') });
    expect(r.entries.find((x) => x.path === 'lib/alias.sh')).to.include({ type: 'symlink', linkpath: 'common.sh' });
    expect((await verifyArchive(r.archive)).ok).to.equal(true);
  });

  it('exit 2 for a missing folder, a missing or invalid provider.json', async () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['missing dir', () => pack(path.join(dir, 'nope')), /no such folder/],
      ['no provider.json', async () => {
        const d = path.join(dir, 'nomanifest');
        await fsp.mkdir(d);
        return pack(d);
      }, /no provider\.json/],
      ['bad JSON', async () => {
        const d = await writePlugin(path.join(dir, 'badjson'), 'badjson');
        await fsp.writeFile(path.join(d, 'provider.json'), '{"name": ');
        return pack(d);
      }, /not valid JSON/],
      ['unknown key', async () => {
        const d = await writePlugin(path.join(dir, 'unknownkey'), 'unknownkey');
        await fsp.writeFile(path.join(d, 'provider.json'), JSON.stringify({ name: 'unknownkey', version: '1', description: 'd', author: 'me' }));
        return pack(d);
      }, /author/],
      ['unsafe version', async () => {
        const d = await writePlugin(path.join(dir, 'badver'), 'badver');
        await fsp.writeFile(path.join(d, 'provider.json'), JSON.stringify({ name: 'badver', version: '1.0 beta', description: 'd' }));
        return pack(d);
      }, /version/],
      ['missing manifest file', async () => {
        const d = await writePlugin(path.join(dir, 'nofile'), 'nofile');
        await fsp.writeFile(path.join(d, 'provider.json'), JSON.stringify({ name: 'nofile', version: '1', description: 'd', files: ['README.md'] }));
        return pack(d, { outDir: path.join(dir, 'out-nofile') });
      }, /README\.md/],
    ];
    for (const [what, fn, re] of cases) {
      const e = await fn().catch((x: unknown) => x);
      expect(e, what).to.be.instanceOf(KitError);
      expect((e as KitError).exitCode, what).to.equal(2);
      expect((e as KitError).message, what).to.match(re).and.not.match(/\n/);
    }
  });

  it('never overwrites a different archive without force; the same one is left alone', async () => {
    const src = await writePlugin(path.join(dir, 'over'), 'over');
    const out = path.join(dir, 'out-over');
    const r1 = await pack(src, { outDir: out });
    expect(r1.unchanged).to.equal(false);
    const r2 = await pack(src, { outDir: out });
    expect(r2.unchanged).to.equal(true);
    await fsp.writeFile(path.join(src, 'etc/over.conf'), 'sandbox=0\n');
    const e = await pack(src, { outDir: out }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(KitError);
    expect((e as KitError).message).to.match(/already exists.*--force/);
    expect(sha(r1.archive)).to.equal(r1.sha256);
    expect(await fsp.readdir(out)).to.deep.equal(['over-v1.2.0.tar.gz', 'over-v1.2.0.tar.gz.sha256']);
    const r3 = await pack(src, { outDir: out, force: true });
    expect(r3.sha256).to.not.equal(r1.sha256);
    expect(sha(r3.archive)).to.equal(r3.sha256);
    expect(await fsp.readFile(r3.sha256File, 'utf8')).to.equal(`${r3.sha256}  over-v1.2.0.tar.gz\n`);
  });

  it('refuses --out inside a packed folder', async () => {
    const src = await writePlugin(path.join(dir, 'outin'), 'outin');
    const e = await pack(src, { outDir: path.join(src, 'lib/dist') }).catch((x: unknown) => x);
    expect((e as KitError).message).to.match(/inside lib/);
  });

  it('writes long paths as ustar prefix/name or pax records that GNU tar, verify and extract all read', async () => {
    const mid = `lib/${'a'.repeat(60)}/${'b'.repeat(60)}/data.txt`; // > 100 bytes: ustar prefix
    const long = `lib/${'c'.repeat(120)}/${'d'.repeat(120)}/${'e'.repeat(40)}.txt`; // > 255 bytes: pax path
    const src = await writePlugin(path.join(dir, 'longpaths'), 'longpaths', { [mid]: 'mid\n', [long]: 'long\n' });
    await fsp.symlink(`../../../../../lib/${'c'.repeat(120)}/${'d'.repeat(120)}/${'e'.repeat(40)}.txt`.slice(0, 0) + 'common.sh', path.join(src, 'lib/link.sh'));
    const r = await pack(src, { outDir: path.join(dir, 'out-long') });
    const listed = execFileSync('tar', ['tzf', r.archive]).toString().trim().split('\n');
    expect(listed).to.include.members([mid, long, 'lib/link.sh']);
    const v = await verifyArchive(r.archive);
    expect(v.findings).to.deep.equal([]);
    expect(v.entries.map((e) => e.path)).to.include.members([mid, long]);
    const x = path.join(dir, 'long-x');
    await extractArchive(r.archive, x);
    expect(await fsp.readFile(path.join(x, long), 'utf8')).to.equal('long\n');
    expect(await fsp.readlink(path.join(x, 'lib/link.sh'))).to.equal('common.sh');
  });

  it('streams a large file (not held in memory) and GNU tar reads it back', async () => {
    const src = await writePlugin(path.join(dir, 'big'), 'big');
    const big = path.join(src, 'lib/big.bin');
    const fh = await fsp.open(big, 'w');
    const chunk = crypto.randomBytes(1 << 20);
    for (let i = 0; i < 12; i++) await fh.write(chunk);
    await fh.close();
    const r = await pack(src, { outDir: path.join(dir, 'out-big') });
    const x = path.join(dir, 'big-x');
    await fsp.mkdir(x);
    execFileSync('tar', ['xzf', r.archive, '-C', x]);
    expect(sha(path.join(x, 'lib/big.bin'))).to.equal(sha(big));
  });
});

describe('checkPluginFolder', function () {
  let dir: string;
  before(async () => {
    dir = await tmpdir();
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });
  const ids = (fs: { rule: string; entry?: string }[]) => fs.map((f) => `${f.rule} ${f.entry ?? ''}`.trim());

  it('a good folder has no findings', async () => {
    expect(await checkPluginFolder(await writePlugin(path.join(dir, 'good'), 'good'))).to.deep.equal([]);
  });
  it('finds a missing exec bit, a CRLF shebang, a foreign interpreter, CRLF in a library script', async () => {
    const a = await writePlugin(path.join(dir, 'a'), 'a');
    await fsp.chmod(path.join(a, 'bin/a'), 0o644);
    expect(ids(await checkPluginFolder(a))).to.deep.equal(['PKG-LAYOUT bin/a']);
    const b = await writePlugin(path.join(dir, 'b'), 'b');
    await fsp.writeFile(path.join(b, 'bin/b'), '#!/bin/bash\r\necho\r\n');
    expect(ids(await checkPluginFolder(b))).to.deep.equal(['PKG-SHEBANG bin/b']);
    const c = await writePlugin(path.join(dir, 'c'), 'c');
    await fsp.writeFile(path.join(c, 'bin/c'), '#!/usr/local/bin/python3.12\nprint(1)\n');
    const fc = await checkPluginFolder(c);
    expect(ids(fc)).to.deep.equal(['PKG-SHEBANG bin/c']);
    expect(fc[0]!.message).to.match(/\/usr\/local\/bin\/python3\.12/);
    const d = await writePlugin(path.join(dir, 'd'), 'd');
    await fsp.writeFile(path.join(d, 'lib/common.sh'), 'a=1\r\nb=2\r\n');
    const fd = await checkPluginFolder(d);
    expect(ids(fd)).to.deep.equal(['PKG-SHEBANG lib/common.sh']);
    expect(fd[0]!.message).to.match(/line 1/);
    const e = await writePlugin(path.join(dir, 'e'), 'e');
    await fsp.writeFile(path.join(e, 'bin/e'), 'echo no shebang\n');
    expect(ids(await checkPluginFolder(e))).to.deep.equal(['PKG-SHEBANG bin/e']);
  });
  it('sees a wrapped folder, a name mismatch and an unsafe name', async () => {
    const outer = path.join(dir, 'outer');
    await writePlugin(path.join(outer, 'inner'), 'inner');
    const fw = await checkPluginFolder(outer, { name: 'inner' });
    expect(ids(fw)).to.deep.equal(['PKG-LAYOUT bin/inner']);
    expect(fw[0]!.message).to.match(/wrapped/);
    const m = await writePlugin(path.join(dir, 'm'), 'm');
    await fsp.rename(path.join(m, 'bin/m'), path.join(m, 'bin/other'));
    expect(ids(await checkPluginFolder(m))).to.deep.equal(['PKG-LAYOUT bin/m']);
    const u = path.join(dir, 'u');
    await fsp.mkdir(path.join(u, 'bin'), { recursive: true });
    await fsp.writeFile(path.join(u, 'bin/my prov'), '#!/bin/sh\n', { mode: 0o755 });
    expect(ids(await checkPluginFolder(u))).to.deep.equal(['PKG-NAME bin/my prov']);
    expect(ids(await checkPluginFolder(await writePlugin(path.join(dir, 'n'), 'n'), { name: 'x' }))).to.deep.equal(['PKG-NAME provider.json']);
  });
  it('takes NAME from the single file in bin/ when there is no provider.json', async () => {
    const s = path.join(dir, 'single');
    await fsp.mkdir(path.join(s, 'bin'), { recursive: true });
    await fsp.writeFile(path.join(s, 'bin/single'), '#!/usr/bin/env perl\nprint "{}";\n', { mode: 0o755 });
    expect(await checkPluginFolder(s)).to.deep.equal([]);
  });
  it('throws a KitError for a missing folder', async () => {
    const e = await checkPluginFolder(path.join(dir, 'nope')).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(KitError);
  });
});
