import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from './verify.test.js';

async function plugin(dir: string, name: string): Promise<string> {
  await fsp.mkdir(path.join(dir, 'bin'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'provider.json'), JSON.stringify({ name, version: '0.3.1', description: 'test plugin' }));
  await fsp.writeFile(path.join(dir, 'bin', name), '#!/bin/bash\necho \'{"options":["help","configs","order","order_status"],"status":"enabled"}\'\n', { mode: 0o755 });
  await fsp.writeFile(path.join(dir, 'etc', `${name}.conf`), 'sandbox=1\n');
  await fsp.writeFile(path.join(dir, 'README.md'), '# readme\n');
  return dir;
}

describe('bx-provider-kit pack', function () {
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('writes dist/NAME-vVERSION.tar.gz and .sha256 in the cwd, lists entries, and verify finds it clean', async () => {
    await plugin(path.join(dir, 'hoster'), 'hoster');
    const r = run(['pack', 'hoster'], dir);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^hoster 0\.3\.1: 5 entries$/m);
    expect(r.stdout).to.match(/-rwxr-xr-x +\d+ +bin\/hoster/);
    expect(r.stdout).to.match(/^wrote dist\/hoster-v0\.3\.1\.tar\.gz \(\d+ B\)$/m);
    expect(r.stdout).to.match(/^wrote dist\/hoster-v0\.3\.1\.tar\.gz\.sha256 \(sha256 [0-9a-f]{64}\)$/m);
    execFileSync('sha256sum', ['-c', 'hoster-v0.3.1.tar.gz.sha256'], { cwd: path.join(dir, 'dist'), stdio: 'pipe' });
    const v = run(['verify', path.join(dir, 'dist/hoster-v0.3.1.tar.gz')]);
    expect(v.code, v.stdout).to.equal(0);
    // again: same bytes, nothing to do
    const again = run(['pack', 'hoster'], dir);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.match(/^unchanged dist\/hoster-v0\.3\.1\.tar\.gz/m);
  });

  it('--out, --json, and --force to overwrite a different archive', async () => {
    const src = await plugin(path.join(dir, 'forced'), 'forced');
    const out = path.join(dir, 'rel');
    const r = run(['pack', src, '--out', out, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.archive).to.equal(path.join(out, 'forced-v0.3.1.tar.gz'));
    expect(j.sha256).to.match(/^[0-9a-f]{64}$/);
    await fsp.writeFile(path.join(src, 'etc/forced.conf'), 'sandbox=0\n');
    const refused = run(['pack', src, '--out', out]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.match(/already exists with different content.*--force/);
    expect(run(['pack', src, '--out', out, '--force']).code).to.equal(0);
  });

  it('exit 1 with the findings for a folder the host would not run', async () => {
    const src = await plugin(path.join(dir, 'broken'), 'broken');
    await fsp.chmod(path.join(src, 'bin/broken'), 0o644);
    const r = run(['pack', src, '--out', path.join(dir, 'out-broken')]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/error +PKG-LAYOUT +bin\/broken: bin\/broken is not executable/);
    expect(r.stderr).to.match(/fix: chmod 0755 bin\/broken/);
    expect(r.stderr).to.match(/^bx-provider-kit: refusing to pack .*PKG-LAYOUT\)$/m);
    expect(fs.existsSync(path.join(dir, 'out-broken', 'broken-v0.3.1.tar.gz'))).to.equal(false);
  });

  it('exit 2 for a missing folder or provider.json, one line, no stack', async () => {
    const a = run(['pack', path.join(dir, 'nope')]);
    expect(a.code).to.equal(2);
    expect(a.stderr).to.match(/bx-provider-kit: cannot read the plugin folder .*no such folder/);
    await fsp.mkdir(path.join(dir, 'empty'));
    const b = run(['pack', path.join(dir, 'empty')]);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.match(/no provider\.json/);
    expect(b.stderr).to.not.match(/\n\s+at /);
  });

  it('Done when: new -> pack -> verify -> host -a install; the installed plugin answers help', async () => {
    const work = path.join(dir, 'flow');
    await fsp.mkdir(work);
    const made = run(['new', 'flow-hoster', '--template', 'bash'], work);
    expect(made.code, made.stderr).to.equal(0);
    const packed = run(['pack', 'flow-hoster'], work);
    expect(packed.code, packed.stderr).to.equal(0);
    const archive = path.join(work, 'dist', (await fsp.readdir(path.join(work, 'dist'))).find((f) => f.endsWith('.tar.gz'))!);
    expect(path.basename(archive)).to.match(/^flow-hoster-v[0-9][\w.]*\.tar\.gz$/);
    const verified = run(['verify', archive]);
    expect(verified.code, verified.stdout).to.equal(0);
    const root = path.join(work, 'root');
    const inst = run(['host', '--root', root, '-a', 'install', '--provider', 'flow-hoster', '--archive', archive, '-o', 'json']);
    expect(inst.code, inst.stdout + inst.stderr).to.equal(0);
    expect(JSON.parse(inst.stdout).message).to.match(/Provider data created/);
    const st = run(['host', '--root', root, '-a', 'status', '--provider', 'flow-hoster', '-o', 'json']);
    expect(st.code, st.stdout + st.stderr).to.equal(0);
    expect(JSON.parse(st.stdout).params.provider_options['flow-hoster'].status).to.equal('enabled');
    const help = execFileSync(path.join(root, 'providers/flow-hoster/bin/flow-hoster'), ['help'], { encoding: 'utf8' });
    expect(JSON.parse(help).options).to.include.members(['help', 'configs', 'order', 'order_status']);
  });

  it('has --help with examples', () => {
    const r = run(['pack', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/Examples:/);
    expect(r.stdout).to.match(/--out/);
  });
});
