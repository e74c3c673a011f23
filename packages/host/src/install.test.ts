/** host-observed f (archive shapes), j (uninstall), k (folders without bin/NAME), X3 (logs) and unsafe archives. */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { purge } from './index.js';
import { listing, placeProbe, tarCzf, writeProbe } from './testkit.js';
import { ALL_OPTS, cleanup, env, expectJson, expectPlain, probeFiles, statusJson, tmp, type Env } from './expect.js';

after(cleanup);

const created = (n: string) => `{"message":"bxProvider: Provider data created, you can found it in /opt/webdir/providers/${n}"}`;
const notExist = (n: string) => `{"message":"bxProvider::optionsProvider: Provider ${n} not exist on the host","error":1}`;
const notExists = (n: string) => `{"message":"bxProvider::configsProvider: Provider ${n} not_exists on the host","error":1}`;
const providers = (e: Env) => probeFiles(listing(path.join(e.root, 'providers')));

/** A probe plugin folder outside the root, to pack. */
function src(e: Env, name: string, dir = name): string {
  return writeProbe(path.join(path.dirname(e.root), 'src', dir), name);
}

describe('host emulator: install, uninstall, provider folders', function () {
  this.timeout(60000);

  it('f1: a wrapped archive "installs" but the provider does not exist; a second install also succeeds', async () => {
    const e = env();
    const s = src(e, 'wrapped');
    const archive = path.join(path.dirname(e.root), 'wrapped.tar.gz');
    execFileSync('tar', ['czf', archive, '-C', path.dirname(s), 'wrapped']);
    expectJson(e, await e.run({ action: 'install', provider: 'wrapped', archive, output: 'json' }), created('wrapped'));
    const files = [
      'drwxr-xr-x .',
      'drwxr-xr-x wrapped',
      'drwxr-xr-x wrapped/bin',
      'drwxr-xr-x wrapped/etc',
      'drwxr-xr-x wrapped/wrapped',
      'drwxr-xr-x wrapped/wrapped/bin',
      '-rwxr-xr-x wrapped/wrapped/bin/wrapped',
      'drwxr-xr-x wrapped/wrapped/etc',
      '-rw-r--r-- wrapped/wrapped/etc/wrapped.conf',
    ];
    expect(providers(e)).to.deep.equal(files);
    expectJson(e, await e.run({ action: 'status', provider: 'wrapped', output: 'json' }), notExist('wrapped'), 1);
    expectJson(e, await e.run({ action: 'list', output: 'json' }), `{"params":{"providers":{"wrapped":${notExist('wrapped')}}}}`);
    expectJson(e, await e.run({ action: 'configs', provider: 'wrapped', output: 'json' }), notExists('wrapped'), 1);
    expectJson(e, await e.run({ action: 'install', provider: 'wrapped', archive, output: 'json' }), created('wrapped'));
    expect(providers(e)).to.deep.equal(files);
  });

  it('f2: bin/NAME stored 0644 keeps its mode and the provider is invisible (plain list: error)', async () => {
    const e = env();
    const s = src(e, 'noexec');
    fs.chmodSync(path.join(s, 'bin/noexec'), 0o644);
    const archive = tarCzf(path.join(path.dirname(e.root), 'noexec.tar.gz'), s);
    expectJson(e, await e.run({ action: 'install', provider: 'noexec', archive, output: 'json' }), created('noexec'));
    expect(providers(e)).to.include('-rw-r--r-- noexec/bin/noexec');
    expectJson(e, await e.run({ action: 'status', provider: 'noexec', output: 'json' }), notExist('noexec'), 1);
    expectPlain(e, await e.run({ action: 'list', output: 'plain' }), 'provider:status:noexec:error\n');
    expectJson(e, await e.run({ action: 'configs', provider: 'noexec', output: 'json' }), notExists('noexec'), 1);
    expectJson(e, await e.run({ action: 'install', provider: 'noexec', archive, output: 'json' }), created('noexec'));
  });

  it('f3/f4: a real .tar.bz2 fails like `tar xzf` (stale errno, empty dirs left); gzip data named .tar.bz2 installs', async () => {
    const e = env();
    const s = src(e, 'bz2');
    const archive = path.join(path.dirname(e.root), 'bz2.tar.bz2');
    execFileSync('tar', ['cjf', archive, '-C', s, 'bin', 'etc']);
    const r = await e.run({ action: 'install', provider: 'bz2', archive, output: 'json' });
    expectJson(e, r, `{"message":"bxProvider: cmd=\`tar xzf ${archive} -C /opt/webdir/providers/bz2\` return error: No such file or directory","error":1}`, 1);
    expect(providers(e)).to.deep.equal(['drwxr-xr-x .', 'drwxr-xr-x bz2', 'drwxr-xr-x bz2/bin', 'drwxr-xr-x bz2/etc']);
    expectJson(e, await e.run({ action: 'status', provider: 'bz2', output: 'json' }), notExist('bz2'), 1);
    expectJson(e, await e.run({ action: 'list', output: 'json' }), `{"params":{"providers":{"bz2":${notExist('bz2')}}}}`);
    const gz = tarCzf(path.join(path.dirname(e.root), 'bz2gz.tar.bz2'), src(e, 'bz2gz'));
    expectJson(e, await e.run({ action: 'install', provider: 'bz2gz', archive: gz, output: 'json' }), created('bz2gz'));
    expectJson(e, await e.run({ action: 'status', provider: 'bz2gz', output: 'json' }), statusJson('bz2gz', ALL_OPTS));
  });

  it('f5/f7: a zip with unix modes installs and works; one without them leaves bin/NAME 0600 (invisible)', async () => {
    const e = env();
    const s = src(e, 'zipped');
    const zip = path.join(path.dirname(e.root), 'zipped.zip');
    execFileSync('zip', ['-qr', zip, 'bin', 'etc'], { cwd: s });
    expectJson(e, await e.run({ action: 'install', provider: 'zipped', archive: zip, output: 'json' }), created('zipped'));
    expect(providers(e)).to.include.members(['-rwxr-xr-x zipped/bin/zipped', '-rw-r--r-- zipped/etc/zipped.conf']);
    expectJson(e, await e.run({ action: 'status', provider: 'zipped', output: 'json' }), statusJson('zipped', ALL_OPTS));
    expectJson(
      e,
      await e.run({ action: 'configs', provider: 'zipped', output: 'json' }),
      '{"params":{"provider_configs":{"zipped":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}',
    );
    const s2 = src(e, 'zipnoattr');
    const zip2 = path.join(path.dirname(e.root), 'zipnoattr.zip');
    execFileSync('python3', [
      '-c',
      `import zipfile,sys,os
z=zipfile.ZipFile(sys.argv[1],'w')
for rel in ['bin/zipnoattr','etc/zipnoattr.conf']:
    i=zipfile.ZipInfo(rel); i.create_system=0; i.external_attr=0
    z.writestr(i, open(os.path.join(sys.argv[2],rel),'rb').read())
z.close()`,
      zip2,
      s2,
    ]);
    expectJson(e, await e.run({ action: 'install', provider: 'zipnoattr', archive: zip2, output: 'json' }), created('zipnoattr'));
    expect(providers(e)).to.include.members(['-rw------- zipnoattr/bin/zipnoattr', '-rw------- zipnoattr/etc/zipnoattr.conf']);
    expectJson(e, await e.run({ action: 'status', provider: 'zipnoattr', output: 'json' }), notExist('zipnoattr'), 1);
  });

  it('f8/f12: a blank in the archive path or the provider name splits the tar command line: install fails, dirs stay', async () => {
    const e = env();
    const dir = path.join(path.dirname(e.root), 'with space');
    fs.mkdirSync(dir);
    const archive = tarCzf(path.join(dir, 'spaced.tar.gz'), src(e, 'spaced'));
    expectJson(e, await e.run({ action: 'install', provider: 'spaced', archive, output: 'json' }), `{"message":"bxProvider: cmd=\`tar xzf ${archive} -C /opt/webdir/providers/spaced\` return error: No such file or directory","error":1}`, 1);
    expect(providers(e)).to.deep.equal(['drwxr-xr-x .', 'drwxr-xr-x spaced', 'drwxr-xr-x spaced/bin', 'drwxr-xr-x spaced/etc']);
    expectJson(e, await e.run({ action: 'status', provider: 'spaced', output: 'json' }), notExist('spaced'), 1);
    const good = tarCzf(path.join(path.dirname(e.root), 'good.tar.gz'), src(e, 'good'));
    expectJson(e, await e.run({ action: 'install', provider: 'my prov', archive: good, output: 'json' }), `{"message":"bxProvider: cmd=\`tar xzf ${good} -C /opt/webdir/providers/my prov\` return error: No such file or directory","error":1}`, 1);
    expect(providers(e)).to.include.members(['drwxr-xr-x my prov', 'drwxr-xr-x my prov/bin', 'drwxr-xr-x my prov/etc']);
  });

  it('f9: installing a working provider twice is refused ("already exist")', async () => {
    const e = env();
    const archive = tarCzf(path.join(path.dirname(e.root), 'twice.tar.gz'), src(e, 'twice'));
    expectJson(e, await e.run({ action: 'install', provider: 'twice', archive, output: 'json' }), created('twice'));
    expectJson(e, await e.run({ action: 'install', provider: 'twice', archive, output: 'json' }), '{"message":"bxProvider: Provider twice already exist on the host","error":1}', 1);
    expectPlain(e, await e.run({ action: 'install', provider: 'twice', archive, output: 'plain' }), 'message:bxProvider: Provider twice already exist on the host\nerror:1\n', 1);
    expect(providers(e)).to.deep.equal([
      'drwxr-xr-x .',
      'drwxr-xr-x twice',
      'drwxr-xr-x twice/bin',
      '-rwxr-xr-x twice/bin/twice',
      'drwxr-xr-x twice/etc',
      '-rw-r--r-- twice/etc/twice.conf',
    ]);
  });

  it('f10: ./-prefixed entries install; an archive without etc/ gives config not_exists', async () => {
    const e = env();
    const dot = path.join(path.dirname(e.root), 'dotslash.tar.gz');
    execFileSync('tar', ['czf', dot, '-C', src(e, 'dotslash'), '.']);
    expectJson(e, await e.run({ action: 'install', provider: 'dotslash', archive: dot, output: 'json' }), created('dotslash'));
    expectJson(e, await e.run({ action: 'status', provider: 'dotslash', output: 'json' }), statusJson('dotslash', ALL_OPTS));
    const s = src(e, 'noconf');
    fs.rmSync(path.join(s, 'etc/noconf.conf'));
    const nc = tarCzf(path.join(path.dirname(e.root), 'noconf.tar.gz'), s, ['bin', 'etc/answers']);
    expectJson(e, await e.run({ action: 'install', provider: 'noconf', archive: nc, output: 'json' }), created('noconf'));
    expect(providers(e).filter((l) => l.includes('noconf'))).to.deep.equal(['drwxr-xr-x noconf', 'drwxr-xr-x noconf/bin', '-rwxr-xr-x noconf/bin/noconf', 'drwxr-xr-x noconf/etc']);
    expectJson(e, await e.run({ action: 'status', provider: 'noconf', output: 'json' }), statusJson('noconf', ALL_OPTS, 'enabled', 'not_exists'));
    expectJson(e, await e.run({ action: 'configs', provider: 'noconf', output: 'json' }), '{"params":{"provider_configs":{"noconf":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}');
  });

  it('f11: the executable must be named after --provider, not the archive', async () => {
    const e = env();
    fs.mkdirSync(path.join(e.root, 'providers/ghost'), { recursive: true });
    const good = tarCzf(path.join(path.dirname(e.root), 'good.tar.gz'), src(e, 'good'));
    expectJson(e, await e.run({ action: 'install', provider: 'ghost', archive: good, output: 'json' }), created('ghost'));
    expect(providers(e)).to.deep.equal([
      'drwxr-xr-x .',
      'drwxr-xr-x ghost',
      'drwxr-xr-x ghost/bin',
      '-rwxr-xr-x ghost/bin/good',
      'drwxr-xr-x ghost/etc',
      '-rw-r--r-- ghost/etc/good.conf',
    ]);
    expectJson(e, await e.run({ action: 'status', provider: 'ghost', output: 'json' }), notExist('ghost'), 1);
  });

  it('f12: no --archive makes a skeleton; a missing file and .tgz fail after creating the dirs; no --provider', async () => {
    const e = env();
    expectJson(e, await e.run({ action: 'install', provider: 'noarch', output: 'json' }), created('noarch'));
    expect(providers(e)).to.deep.equal(['drwxr-xr-x .', 'drwxr-xr-x noarch', 'drwxr-xr-x noarch/bin', 'drwxr-xr-x noarch/etc']);
    expectJson(e, await e.run({ action: 'status', provider: 'noarch', output: 'json' }), notExist('noarch'), 1);
    expectJson(e, await e.run({ action: 'install', provider: 'missing', archive: '/nonexistent/x.tar.gz', output: 'json' }), '{"message":"bxProvider: not found /nonexistent/x.tar.gz","error":1}', 1);
    const tgz = tarCzf(path.join(path.dirname(e.root), 'good.tgz'), src(e, 'good'));
    expectJson(e, await e.run({ action: 'install', provider: 'tgz', archive: tgz, output: 'json' }), '{"message":"bxProvider: not supported archive (only support tar.gz, tar.bz2, zip)","error":1}', 1);
    const r = await e.run({ action: 'install', output: 'json' });
    expectJson(e, r, '{"message":"bxProvider: Provider data created, you can found it in /opt/webdir/providers/"}');
    expect(r.stderr).to.equal(
      e.sub(
        [
          'Use of uninitialized value in subroutine entry at /opt/webdir/lib/bxProvider.pm line 106.',
          'Use of uninitialized value in subroutine entry at /opt/webdir/lib/bxProvider.pm line 126.',
          'Use of uninitialized value $provider_name in concatenation (.) or string at /opt/webdir/lib/bxProvider.pm line 127.',
          '',
        ].join('\n'),
      ),
    );
    expect(providers(e)).to.deep.equal([
      'drwxr-xr-x .',
      'drwxr-xr-x etc',
      'drwxr-xr-x missing',
      'drwxr-xr-x missing/bin',
      'drwxr-xr-x missing/etc',
      'drwxr-xr-x noarch',
      'drwxr-xr-x noarch/bin',
      'drwxr-xr-x noarch/etc',
      'drwxr-xr-x tgz',
      'drwxr-xr-x tgz/bin',
      'drwxr-xr-x tgz/etc',
    ]);
  });

  it('the "Done when" archive: tar czf NAME.tar.gz -C DIR bin etc, relative to cwd', async () => {
    const e = env();
    tarCzf(path.join(e.cwd, 'good.tar.gz'), src(e, 'good'));
    expectJson(e, await e.run({ action: 'install', provider: 'good', archive: 'good.tar.gz', output: 'json' }), created('good'));
    expectJson(e, await e.run({ action: 'status', provider: 'good', output: 'json' }), statusJson('good', ALL_OPTS));
  });

  describe('unsafe archives: refused, nothing written outside the holder', () => {
    const py = (archive: string, script: string) => execFileSync('python3', ['-c', `import tarfile,io,sys\nt=tarfile.open(sys.argv[1],'w:gz')\n${script}\nt.close()`, archive]);
    const add = `def add(name, data=b'x', **kw):
    i=tarfile.TarInfo(name); i.size=len(data); i.mode=0o755
    for k,v in kw.items(): setattr(i,k,v)
    t.addfile(i, io.BytesIO(data) if i.type==tarfile.REGTYPE else None)
add('bin/evil', b'#!/bin/sh\\necho {}\\n')`;
    const cases: [string, (outside: string) => string, RegExp][] = [
      ['an absolute path', (o) => `add(${JSON.stringify(o + '/abs')})`, /ARCH-ABSOLUTE/],
      ['a .. path', () => `add('../../../../../../../../../../tmp/escape-bxk')`, /ARCH-TRAVERSAL/],
      ['a symlink leaving the holder, then a file through it', (o) => `add('bin/link', type=tarfile.SYMTYPE, linkname=${JSON.stringify(o)})\nadd('bin/link/through')`, /ARCH-LINK/],
      ['a device file', () => `add('bin/dev', type=tarfile.CHRTYPE, devmajor=1, devminor=3)`, /ARCH-SPECIAL/],
    ];
    for (const [title, script, rule] of cases) {
      it(`refuses ${title} with an error envelope and an explanation on stderr`, async () => {
        const e = env();
        const outside = path.join(tmp(), 'outside');
        fs.mkdirSync(outside);
        const archive = path.join(path.dirname(e.root), 'evil.tar.gz');
        py(archive, `${add}\n${script(outside)}`);
        const r = await e.run({ action: 'install', provider: 'evil', archive, output: 'json' });
        expect(r.exitCode).to.equal(1);
        const msg = (r.json as { message: string }).message;
        expect(msg).to.match(new RegExp(`^bxProvider: cmd=\`tar xzf ${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -C ${e.root}/providers/evil\` return error: refused by the emulator: `));
        expect(msg).to.match(rule);
        expect(r.stderr).to.match(/^bx-provider-kit host: refused to unpack /);
        expect(fs.readdirSync(outside)).to.deep.equal([]);
        expect(fs.existsSync('/tmp/escape-bxk')).to.equal(false);
        expect(fs.existsSync(path.join(e.root, 'providers/evil/bin/evil'))).to.equal(false);
        expect(fs.readFileSync(path.join(e.root, 'logs/wrapper.log'), 'utf8')).to.include('refused by the emulator');
      });
    }
  });

  it('j: uninstall deletes nothing yet says so, again and again; re-install refused; a missing provider fails', async () => {
    const e = env();
    const archive = tarCzf(path.join(path.dirname(e.root), 'good.tar.gz'), src(e, 'good'));
    expectJson(e, await e.run({ action: 'install', provider: 'good', archive, output: 'json' }), created('good'));
    const before = providers(e);
    const deleted = '{"message":"bxProvider: Provider data deleted from /opt/webdir/providers/good"}';
    expectJson(e, await e.run({ action: 'uninstall', provider: 'good', output: 'json' }), deleted);
    expectPlain(e, await e.run({ action: 'uninstall', provider: 'good', output: 'plain' }), 'message:bxProvider: Provider data deleted from /opt/webdir/providers/good\n');
    expect(providers(e)).to.deep.equal(before);
    expectJson(e, await e.run({ action: 'status', provider: 'good', output: 'json' }), statusJson('good', ALL_OPTS));
    expectJson(e, await e.run({ action: 'list', output: 'json' }), '{"params":{"providers":{"good":{"status":"enabled"}}}}');
    expectJson(e, await e.run({ action: 'uninstall', provider: 'good', output: 'json' }), deleted);
    expectJson(e, await e.run({ action: 'install', provider: 'good', archive, output: 'json' }), '{"message":"bxProvider: Provider good already exist on the host","error":1}', 1);
    expectJson(e, await e.run({ action: 'uninstall', provider: 'nosuch', output: 'json' }), '{"message":"bxProvider: Provider nosuch not exist on the host","error":1}', 1);
  });

  it('kit-only purge really removes the holder, so a re-install works', async () => {
    const e = env();
    const archive = tarCzf(path.join(path.dirname(e.root), 'good.tar.gz'), src(e, 'good'));
    await e.run({ action: 'install', provider: 'good', archive, output: 'json' });
    expect(purge(e.root, 'good').removed).to.equal(path.join(e.root, 'providers/good'));
    expect(fs.existsSync(path.join(e.root, 'providers/good'))).to.equal(false);
    expectJson(e, await e.run({ action: 'install', provider: 'good', archive, output: 'json' }), created('good'));
    expect(() => purge(e.root, 'nosuch')).to.throw(/no provider folder/);
    expect(() => purge(e.root, '../..')).to.throw(/leaves/);
    expect(fs.existsSync(e.root)).to.equal(true);
  });

  it('k1: folders without an executable bin/NAME are listed as errors, plain files ignored; orders_list skips them', async () => {
    const e = env();
    placeProbe(e.root, 'good');
    fs.mkdirSync(path.join(e.root, 'providers/ghost/etc'), { recursive: true });
    fs.mkdirSync(path.join(e.root, 'providers/ghost2/bin'), { recursive: true });
    fs.writeFileSync(path.join(e.root, 'providers/ghost2/bin/ghost2'), '');
    fs.writeFileSync(path.join(e.root, 'providers/plainfile'), '');
    expectJson(
      e,
      await e.run({ action: 'list', output: 'json' }),
      `{"params":{"providers":{"good":{"status":"enabled"},"ghost2":${notExist('ghost2')},"ghost":${notExist('ghost')}}}}`,
    );
    expectPlain(e, await e.run({ action: 'list', output: 'plain' }), 'provider:status:ghost:error\nprovider:status:ghost2:error\nprovider:status:good:enabled\n');
    expectJson(e, await e.run({ action: 'status', provider: 'good', output: 'json' }), statusJson('good', ALL_OPTS));
    expectJson(e, await e.run({ action: 'status', provider: 'ghost', output: 'json' }), notExist('ghost'), 1);
    expectJson(e, await e.run({ action: 'configs', provider: 'ghost', output: 'json' }), notExists('ghost'), 1);
    expectJson(e, await e.run({ action: 'orders_list', output: 'json' }), '{"params":{"provider_order_list":{}}}');
    expectPlain(e, await e.run({ action: 'orders_list', output: 'plain' }), '');
  });

  it('X3: -v changes nothing visible; wrapper.log gets the errors the real one logs; providers.debug stays empty', async () => {
    const e = env();
    const archive = tarCzf(path.join(path.dirname(e.root), 'good.tar.gz'), src(e, 'good'));
    expectJson(e, await e.run({ action: 'install', provider: 'good', archive, output: 'json', verbose: true }), created('good'));
    expectJson(
      e,
      await e.run({ action: 'configs', provider: 'good', output: 'json', verbose: true }),
      '{"params":{"provider_configs":{"good":{"status":"enabled","configurations":[{"descr":"VPS 1CPU/1GB","id":1}]}}}}',
    );
    expectJson(e, await e.run({ action: 'configs', provider: 'nosuch', output: 'json', verbose: true }), notExists('nosuch'), 1);
    expectJson(e, await e.run({ action: 'install', provider: 'missing', archive: '/nonexistent/x.tar.gz', output: 'json' }), '{"message":"bxProvider: not found /nonexistent/x.tar.gz","error":1}', 1);
    expect(fs.readdirSync(path.join(e.root, 'logs')).sort()).to.deep.equal(['providers.debug', 'wrapper.log']);
    expect(fs.readFileSync(path.join(e.root, 'logs/providers.debug'), 'utf8')).to.equal('');
    const log = fs.readFileSync(path.join(e.root, 'logs/wrapper.log'), 'utf8');
    expect(log).to.match(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] \d+ CODE_01 "bxProvider: not found \/nonexistent\/x\.tar\.gz"\n$/);
  });
});
