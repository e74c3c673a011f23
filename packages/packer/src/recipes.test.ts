import { expect } from 'chai';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import { extractArchive, verifyArchive } from './index.js';
import { listTree, loadRecipes, tmpdir, type RecipesModule } from './testutil.js';

const HOSTILE: Record<string, string> = {
  traversal: 'ARCH-TRAVERSAL',
  absolute: 'ARCH-ABSOLUTE',
  'symlink-escape': 'ARCH-LINK',
  'hardlink-escape': 'ARCH-LINK',
  'link-chain': 'ARCH-LINK',
  'long-path': 'ARCH-FORMAT',
  'long-name': 'ARCH-FORMAT',
  'pax-hidden-traversal': 'ARCH-TRAVERSAL',
  fifo: 'ARCH-SPECIAL',
  bomb: 'ARCH-LIMITS',
  'zip-slip': 'ARCH-TRAVERSAL',
  'zip-bomb': 'ARCH-LIMITS',
  'zip-symlink-escape': 'ARCH-LINK',
  truncated: 'ARCH-FORMAT',
  'not-gzip': 'ARCH-FORMAT',
};

describe('conformance/archives recipes', function () {
  let dir: string;
  let mod: RecipesModule;
  const built = new Map<string, string>();

  before(async () => {
    dir = await tmpdir();
    mod = await loadRecipes();
    for (const r of mod.recipes) built.set(r.name, await mod.buildRecipe(r.name, path.join(dir, 'archives', r.name)));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('covers every archive the issue asks for, each listed in expected.json', async () => {
    const names = (await loadRecipes()).recipes.map((r) => r.name);
    const listed = (JSON.parse(await fsp.readFile(new URL('../../../conformance/archives/expected.json', import.meta.url), 'utf8')) as { name: string }[]).map((x) => x.name);
    expect(listed).to.deep.equal(names);
    for (const n of ['wrapped', 'no-exec', 'crlf-shebang', 'bz2', 'tgz', 'space-in-name', 'traversal', 'absolute', 'symlink-escape', 'hardlink-escape', 'fifo', 'setuid', 'world-writable', 'duplicate', 'bomb', 'zip-no-modes', 'zip-slip', 'good-plain', 'good-dotslash', 'good-zip']) {
      expect(names, n).to.include(n);
    }
  });

  describe('verifyArchive gives exactly the expected rule ids', () => {
    // one test per recipe, registered from the module's list at load time
    const list = JSON.parse(fs.readFileSync(new URL('../../../conformance/archives/expected.json', import.meta.url), 'utf8')) as { name: string; errors: string[]; warnings: string[] }[];
    for (const exp of list) {
      it(`${exp.name}: errors [${exp.errors.join(', ')}], warnings [${exp.warnings.join(', ')}]`, async () => {
        const r = mod.recipes.find((x) => x.name === exp.name)!;
        expect(r, 'recipe exists').to.exist;
        expect([...r.errors].sort(), 'recipes.mjs and expected.json agree').to.deep.equal([...exp.errors].sort());
        expect([...r.warnings].sort()).to.deep.equal([...exp.warnings].sort());
        const res = await verifyArchive(built.get(r.name)!, r.options ?? {});
        const errors = [...new Set(res.findings.filter((f) => f.severity === 'error').map((f) => f.rule))].sort();
        const warnings = [...new Set(res.findings.filter((f) => f.severity === 'warning').map((f) => f.rule))].sort();
        expect(errors, JSON.stringify(res.findings, null, 1)).to.deep.equal([...r.errors].sort());
        expect(warnings, JSON.stringify(res.findings, null, 1)).to.deep.equal([...r.warnings].sort());
        expect(res.ok).to.equal(r.errors.length === 0);
        for (const f of res.findings) {
          expect(f.message, 'one line').to.be.a('string').and.not.match(/\n/).and.not.equal('');
          expect(f.fix, 'one line').to.be.a('string').and.not.match(/\n/).and.not.equal('');
          expect(f.severity).to.be.oneOf(['error', 'warning']);
        }
      });
    }
  });

  it('names the plugin and the format of good archives', async () => {
    const plain = await verifyArchive(built.get('good-plain')!);
    expect(plain).to.include({ format: 'tar.gz', name: 'good', ok: true });
    expect(plain.entries.map((e) => e.path)).to.include('bin/good');
    const zip = await verifyArchive(built.get('good-zip')!);
    expect(zip).to.include({ format: 'zip', name: 'zipped', ok: true });
    expect(zip.entries.find((e) => e.path === 'bin/zipped')!.mode & 0o777).to.equal(0o755);
    const dot = await verifyArchive(built.get('good-dotslash')!);
    expect(dot).to.include({ name: 'dotslash', ok: true });
  });

  it('says how to repack a wrapped folder', async () => {
    const res = await verifyArchive(built.get('wrapped')!);
    const f = res.findings.find((x) => x.rule === 'ARCH-LAYOUT')!;
    expect(f.entry).to.equal('wrapped/bin/wrapped');
    expect(f.message).to.match(/wrapped in a folder/);
    expect(f.fix).to.match(/-C wrapped bin etc/);
  });

  it('stops a 2 GiB bomb while streaming, at the byte limit', async () => {
    const res = await verifyArchive(built.get('bomb')!);
    const f = res.findings.find((x) => x.rule === 'ARCH-LIMITS')!;
    expect(f.message).to.match(/more than 256\.0 MiB|more than 256 MiB/);
    const small = await verifyArchive(built.get('bomb')!, { maxBytes: 1024 * 1024 });
    expect(small.findings.map((x) => x.rule)).to.deep.equal(['ARCH-LIMITS']);
    expect(small.findings[0]!.message).to.match(/stopped reading at 1\.\d MiB/);
  });

  it('stops at maxEntries', async () => {
    const res = await verifyArchive(built.get('good-plain')!, { maxEntries: 2 });
    expect(res.findings.map((x) => x.rule)).to.deep.equal(['ARCH-LIMITS']);
    expect(res.findings[0]!.message).to.match(/more than 2 entries/);
    const zip = await verifyArchive(built.get('good-zip')!, { maxEntries: 2 });
    expect(zip.findings.map((x) => x.rule)).to.deep.equal(['ARCH-LIMITS']);
  });

  it('throws a KitError (exit 2) for a missing file', async () => {
    const e = await verifyArchive(path.join(dir, 'nope.tar.gz')).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(KitError);
    expect((e as KitError).exitCode).to.equal(2);
    expect((e as KitError).message).to.match(/no such file/);
  });

  describe('extractArchive refuses hostile archives and writes nothing outside DEST', () => {
    for (const [name, id] of Object.entries(HOSTILE)) {
      it(`${name}: ${id}`, async () => {
        const box = path.join(dir, 'x', name);
        const dest = path.join(box, 'providers', name);
        await fsp.mkdir(dest, { recursive: true });
        const file = built.get(name)!;
        const format = file.endsWith('.zip') ? 'zip' : 'tar.gz';
        const e = await extractArchive(file, dest, { format }).catch((x: unknown) => x);
        expect(e, 'refused').to.be.instanceOf(KitError);
        expect((e as KitError).message).to.include(`(${id})`);
        expect((e as KitError).message).to.not.match(/\n/);
        // nothing outside dest; nothing at all inside either (refused before writing)
        expect(await listTree(box)).to.deep.equal(['providers', `providers/${name}`]);
        expect(fs.existsSync('/tmp/bxk-owned.sh')).to.equal(false);
        expect(fs.existsSync('/tmp/bxk-zipslip.sh')).to.equal(false);
      });
    }
  });

  describe('extractArchive unpacks like tar xzf / unzip', () => {
    it('keeps stored modes (tar), dirs 0755', async () => {
      const dest = path.join(dir, 'x', 'plain');
      await extractArchive(built.get('good-plain')!, dest);
      const st = await fsp.stat(path.join(dest, 'bin/good'));
      expect(st.mode & 0o7777).to.equal(0o755);
      expect((await fsp.stat(path.join(dest, 'etc/good.conf'))).mode & 0o7777).to.equal(0o644);
      expect((await fsp.stat(path.join(dest, 'bin'))).mode & 0o7777).to.equal(0o755);
    });
    it('./-prefixed entries land at the root', async () => {
      const dest = path.join(dir, 'x', 'dotslash');
      await extractArchive(built.get('good-dotslash')!, dest);
      expect(await listTree(dest)).to.deep.equal(['bin', 'bin/dotslash', 'etc', 'etc/dotslash.conf']);
    });
    it('zip with unix modes keeps them; zip without gets 0600 as unzip does', async () => {
      const a = path.join(dir, 'x', 'zipped');
      await extractArchive(built.get('good-zip')!, a, { format: 'zip' });
      expect((await fsp.stat(path.join(a, 'bin/zipped'))).mode & 0o777).to.equal(0o755);
      const b = path.join(dir, 'x', 'zipnoattr');
      await extractArchive(built.get('zip-no-modes')!, b);
      expect((await fsp.stat(path.join(b, 'bin/zipnoattr'))).mode & 0o777).to.equal(0o600);
      expect(await fsp.readFile(path.join(b, 'bin/zipnoattr'), 'utf8')).to.equal(mod.script('zipnoattr'));
      const c = path.join(dir, 'x', 'gitzip');
      await extractArchive(built.get('git-archive-zip')!, c);
      expect((await fsp.stat(path.join(c, 'bin/gitzip'))).mode & 0o777).to.equal(0o755);
      expect((await fsp.stat(path.join(c, 'etc/gitzip.conf'))).mode & 0o777).to.equal(0o600);
    });
    it('keeps setuid and world-writable bits (verify is what refuses them)', async () => {
      const dest = path.join(dir, 'x', 'setuid');
      await extractArchive(built.get('setuid')!, dest);
      expect((await fsp.stat(path.join(dest, 'bin/setuid'))).mode & 0o7777).to.equal(0o4755);
    });
    it('the last duplicate wins', async () => {
      const dest = path.join(dir, 'x', 'dup');
      await extractArchive(built.get('duplicate')!, dest);
      expect(await fsp.readFile(path.join(dest, 'bin/dup'), 'utf8')).to.match(/curl/);
    });
    it('a wrapped archive extracts into DEST/wrapped/ (what the host does)', async () => {
      const dest = path.join(dir, 'x', 'wrapped');
      await extractArchive(built.get('wrapped')!, dest);
      expect(fs.existsSync(path.join(dest, 'wrapped/bin/wrapped'))).to.equal(true);
      expect(fs.existsSync(path.join(dest, 'bin/wrapped'))).to.equal(false);
    });
    it('picks the format by suffix, and reads a gzip .tar.bz2 as the host does', async () => {
      const src = path.join(dir, 'x', 'gz-as-bz2.tar.bz2');
      await fsp.copyFile(built.get('good-plain')!, src);
      const dest = path.join(dir, 'x', 'gzbz2');
      await extractArchive(src, dest);
      expect(fs.existsSync(path.join(dest, 'bin/good'))).to.equal(true);
      const e = await extractArchive(built.get('bz2')!, path.join(dir, 'x', 'realbz2')).catch((x: unknown) => x);
      expect((e as KitError).message).to.include('(ARCH-FORMAT)');
      const t = await extractArchive(built.get('tgz')!, path.join(dir, 'x', 'tgz')).catch((x: unknown) => x);
      expect((t as KitError).message).to.include('(ARCH-SUFFIX)');
    });
  });

  it('finds NAME from provider.json, the single bin/ file or the file name; says when it cannot', async () => {
    const zlib = await import('node:zlib');
    const box = path.join(dir, 'names');
    await fsp.mkdir(box, { recursive: true });
    const write = async (file: string, entries: object[]) => {
      const p = path.join(box, file);
      await fsp.writeFile(p, zlib.gzipSync(mod.tarBytes(entries)));
      return p;
    };
    const two = [...mod.goodEntries('alpha'), { path: 'bin/helper', mode: 0o755, data: '#!/bin/sh\n' }];
    const byFile = await verifyArchive(await write('alpha-v1.0.tar.gz', two));
    expect(byFile).to.include({ name: 'alpha', ok: true });
    const ambiguous = await verifyArchive(await write('bundle.tar.gz', two));
    expect(ambiguous.findings.map((f) => `${f.severity} ${f.rule}`)).to.deep.equal(['error ARCH-NAME']);
    expect(ambiguous.findings[0]!.message).to.match(/bin\/alpha, bin\/helper/);
    const manifest = await verifyArchive(await write('bundle2.tar.gz', [...two, { path: 'provider.json', data: JSON.stringify({ name: 'alpha', version: '1', description: 'd' }) }]));
    expect(manifest.name).to.equal('alpha');
    expect(manifest.findings.map((f) => `${f.severity} ${f.rule}`)).to.deep.equal(['warning ARCH-NAME']);
    const other = await verifyArchive(await write('alpha.tar.gz', [...mod.goodEntries('alpha'), { path: 'provider.json', data: JSON.stringify({ name: 'beta', version: '1', description: 'd' }) }]));
    expect(other.name).to.equal('alpha');
    expect(other.findings.map((f) => `${f.severity} ${f.rule} ${f.entry}`)).to.deep.equal(['warning ARCH-NAME provider.json']);
    const unsafe = await verifyArchive(await write('x.tar.gz', mod.goodEntries('my$prov')));
    expect(unsafe.findings.map((f) => `${f.severity} ${f.rule}`)).to.include('error ARCH-NAME');
    const symlinked = await verifyArchive(await write('linked.tar.gz', [
      { path: 'bin/', type: 'dir' }, { path: 'bin/linked', type: 'symlink', linkpath: '../lib/main.sh' },
      { path: 'lib/', type: 'dir' }, { path: 'lib/main.sh', mode: 0o644, data: '#!/bin/bash\n' },
    ]));
    expect(symlinked.findings.map((f) => `${f.rule} ${f.entry}`)).to.deep.equal(['ARCH-EXEC bin/linked']);
    const empty = await verifyArchive(await write('empty.tar.gz', [{ path: 'etc/', type: 'dir' }]));
    expect(empty.findings.map((f) => f.rule)).to.deep.equal(['ARCH-LAYOUT']);
  });

  it('extractArchive: one-line KitErrors for a DEST that is a file and an unknown suffix', async () => {
    const f = path.join(dir, 'a-file');
    await fsp.writeFile(f, 'x');
    const e = await extractArchive(built.get('good-plain')!, f).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(KitError);
    expect((e as KitError).message).to.match(/not a folder/);
    const e2 = await extractArchive(path.join(dir, 'x.rar'), path.join(dir, 'rar')).catch((x: unknown) => x);
    expect((e2 as KitError).message).to.include('(ARCH-SUFFIX)');
  });

  it('extractArchive never writes through a link chain that leaves DEST', async () => {
    // l -> . and m -> l/.. look inside lexically, but m/evil would land next to DEST
    const box = path.join(dir, 'chain');
    const dest = path.join(box, 'dest');
    await fsp.mkdir(dest, { recursive: true });
    const file = path.join(box, 'chain.tar.gz');
    const zlib = await import('node:zlib');
    await fsp.writeFile(file, zlib.gzipSync(mod.tarBytes([
      { path: 'l', type: 'symlink', linkpath: '.' },
      { path: 'm', type: 'symlink', linkpath: 'l/..' },
      { path: 'm/evil', data: 'x' },
    ])));
    const e = await extractArchive(file, dest).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(KitError);
    expect((e as KitError).message).to.include('(ARCH-LINK)');
    expect(await listTree(box)).to.not.include('evil');
    expect(fs.existsSync(path.join(box, 'evil'))).to.equal(false);
  });

  it('extractArchive follows an existing link in DEST only when it stays inside', async () => {
    const box = path.join(dir, 'pre');
    const dest = path.join(box, 'dest');
    await fsp.mkdir(path.join(box, 'outside'), { recursive: true });
    await fsp.mkdir(dest, { recursive: true });
    await fsp.symlink(path.join(box, 'outside'), path.join(dest, 'lib'));
    const file = path.join(box, 'a.tar.gz');
    const zlib = await import('node:zlib');
    await fsp.writeFile(file, zlib.gzipSync(mod.tarBytes([...mod.goodEntries('pre'), { path: 'lib/x.sh', data: 'x' }])));
    const e = await extractArchive(file, dest).catch((x: unknown) => x);
    expect((e as KitError).message).to.include('(ARCH-LINK)');
    expect(await listTree(path.join(box, 'outside'))).to.deep.equal([]);
  });
});
