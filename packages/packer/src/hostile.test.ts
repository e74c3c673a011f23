/** Issue 15 (hostile input), packer side: pack --out through links, size claims, path lengths. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import { extractArchive, LinkTree, pack, verifyArchive } from './index.js';
import { loadRecipes, tmpdir, type RecipesModule } from './testutil.js';

describe('packer: hostile input (issue 15)', function () {
  this.timeout(60_000);
  let dir: string;
  let mod: RecipesModule;
  before(async () => {
    dir = await tmpdir();
    mod = await loadRecipes();
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('item 13: --out into a packed folder through a symlinked path is refused like the plain path', async () => {
    const src = await mod.pluginFolder(path.join(dir, 'p13'), 'p13');
    await fsp.writeFile(path.join(src, 'provider.json'), JSON.stringify({ name: 'p13', version: '1.0.0', description: 'd' }));
    await fsp.mkdir(path.join(src, 'lib'));
    await fsp.symlink(path.join(src, 'lib'), path.join(dir, 'libs-link'));
    for (const out of [path.join(src, 'lib', 'dist'), path.join(dir, 'libs-link', 'dist'), path.join(dir, 'libs-link')]) {
      const e = await pack(src, { outDir: out }).catch((x: unknown) => x);
      expect(e, out).to.be.instanceOf(KitError);
      expect((e as KitError).message).to.match(/is inside lib\/.*which is packed/);
    }
    expect(await fsp.readdir(path.join(src, 'lib'))).to.deep.equal([]);
    // a link to a folder that is not packed is fine
    await fsp.mkdir(path.join(dir, 'elsewhere'));
    await fsp.symlink(path.join(dir, 'elsewhere'), path.join(dir, 'out-link'));
    const r = await pack(src, { outDir: path.join(dir, 'out-link') });
    expect(fs.existsSync(path.join(dir, 'elsewhere', 'p13-v1.0.0.tar.gz'))).to.equal(true);
    expect(r.name).to.equal('p13');
  });

  it('item 17: a zip entry claiming 4 GiB that inflates to 143 bytes is no bomb: ok, the claim noted; extract works', async () => {
    const file = await mod.buildRecipe('zip-size-claim', path.join(dir, 'z17'));
    const v = await verifyArchive(file);
    expect(v.findings).to.deep.equal([]);
    expect(v.ok).to.equal(true);
    expect(v.notes).to.deep.equal(['lib/data.txt: the zip directory claims 4294967294 bytes, it inflates to 143 (unzip goes by the data; only inflated bytes count toward the limits)']);
    await extractArchive(file, path.join(dir, 'z17', 'out'));
    expect((await fsp.stat(path.join(dir, 'z17', 'out', 'lib', 'data.txt'))).size).to.equal(143);
    // the real bomb (claims 1 KiB, inflates to 512 MiB) is still stopped on inflated bytes
    const bomb = await verifyArchive(await mod.buildRecipe('zip-bomb', path.join(dir, 'z17b')));
    expect(bomb.findings.map((f) => f.rule)).to.deep.equal(['ARCH-LIMITS']);
  });

  it('item 12: paths and names judged as GNU tar on the host does (PATH_MAX 4096, NAME_MAX 255); extract refuses them', async () => {
    const long = await verifyArchive(await mod.buildRecipe('long-path', path.join(dir, 'l12')));
    expect(long.findings.map((f) => `${f.rule} ${f.message}`)).to.deep.equal([
      'ARCH-FORMAT a PAX header of 1048594 bytes (a path or link name that long): GNU tar on the host refuses it ("File name too long")',
    ]);
    const name = await verifyArchive(await mod.buildRecipe('long-name', path.join(dir, 'l12')));
    expect(name.findings.map((f) => f.message)).to.deep.equal(['the path holds a name of 300 bytes: GNU tar on the host refuses it ("File name too long": NAME_MAX is 255)']);
    // 4095 bytes is the longest path; a 4096-byte one is refused
    const zlib = await import('node:zlib');
    const deep = (bytes: number) => {
      const seg = `${'d'.repeat(199)}/`;
      let p = 'lib/';
      while (p.length + seg.length < bytes) p += seg;
      return p + 'f'.repeat(bytes - p.length);
    };
    for (const [bytes, ok] of [[4095, true], [4096, false]] as const) {
      const f = path.join(dir, 'l12', `deep${bytes}-v1.tar.gz`);
      await fsp.writeFile(f, zlib.gzipSync(mod.tarBytes([...mod.goodEntries(`deep${bytes}`), { path: 'lib/x', paxPath: deep(bytes), data: 'x' }])));
      const v = await verifyArchive(f);
      expect(v.ok, `${bytes} bytes`).to.equal(ok);
      // (a 4095-byte path under an absolute DEST is past PATH_MAX for Node, which has no openat:
      // the emulator cannot write it, GNU tar -C can; only the refusal is checked here)
      if (ok) continue;
      const e = await extractArchive(f, path.join(dir, 'l12', `out${bytes}`)).catch((x: unknown) => x);
      expect((e as KitError).message).to.match(/is a path that is 4096 bytes: .*\(ARCH-FORMAT\)$/);
    }
  });

  it('item 18: names that are not UTF-8 are extracted with their bytes, as GNU tar does (ustar and PAX)', async () => {
    const file = await mod.buildRecipe('non-utf8-names', path.join(dir, 'n18'));
    const gnu = path.join(dir, 'n18', 'gnu');
    const kit = path.join(dir, 'n18', 'kit');
    await fsp.mkdir(gnu);
    execFileSync('tar', ['xzf', file, '-C', gnu]);
    await extractArchive(file, kit);
    const names = (d: string) => fs.readdirSync(path.join(d, 'lib'), { encoding: 'buffer' }).map((b) => b.toString('hex')).sort();
    expect(names(kit)).to.deep.equal(names(gnu));
    expect(names(kit)).to.include(Buffer.from([...Buffer.from('caf'), 0xe9, ...Buffer.from('.txt')]).toString('hex'));
    expect(names(kit)).to.include(Buffer.from([0xff, 0xfe, ...Buffer.from('.txt')]).toString('hex'));
    // a PAX path node-tar would drop (not UTF-8) is judged by what GNU tar writes
    const hidden = await verifyArchive(await mod.buildRecipe('pax-hidden-traversal', path.join(dir, 'n18')));
    expect(hidden.findings.map((f) => f.rule)).to.deep.equal(['ARCH-TRAVERSAL']);
    expect(hidden.entries.map((e) => e.path)).to.include('../../\uFFFD/evil');
  });

  it('item 2: LinkTree resolves targets through the links placed so far, like the kernel', () => {
    const t = new LinkTree();
    t.place('a', 'symlink', '.');
    expect(t.landing('b', 'a/..')).to.equal(null);
    expect(t.landing('lib/b', 'a/..')).to.equal('lib'); // lib/a is no link: lib/a/.. is lib
    t.place('lib/a', 'symlink', '.');
    expect(t.landing('lib/b', 'a/..')).to.equal('');
    expect(t.landing('lib/c', 'b/..')).to.equal('lib');
    t.place('lib/b', 'symlink', 'a/..');
    expect(t.landing('lib/c', 'b/..')).to.equal(null);
    t.place('x', 'symlink', 'y');
    t.place('y', 'symlink', 'x');
    expect(t.landing('z', 'x'), 'a loop').to.equal(null);
    expect(t.landing('bin/n', '../lib/main.sh')).to.equal('lib/main.sh');
  });
});
