/** Issue 15 (hostile input), pack and verify side: real CLI processes on hostile folders and files. */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPluginFolder } from '@bx-provider-kit/packer';

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));
/** The CLI with a hard limit: a hang fails the test instead of the suite (code null). */
const run = (args: string[], cwd: string, timeout = 60_000) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const oneLine = (r: { stderr: string }) => {
  const lines = r.stderr.split('\n').filter((l) => l && !/^packing /.test(l));
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^bx-provider-kit: /);
  expect(r.stderr).to.not.match(/unexpected error|    at /);
};

async function plugin(dir: string, name = 'hoster'): Promise<string> {
  await fsp.mkdir(path.join(dir, 'bin'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'lib'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'provider.json'), JSON.stringify({ name, version: '1.0.0', description: 'test plugin' }));
  await fsp.writeFile(path.join(dir, 'bin', name), '#!/bin/bash\necho \'{"options":["help"],"status":"enabled"}\'\n', { mode: 0o755 });
  await fsp.writeFile(path.join(dir, 'etc', `${name}.conf`), 'sandbox=1\n');
  return dir;
}

/** A unix socket file at `p` (the server is closed at once; the file stays). */
async function socketAt(p: string): Promise<void> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(p, resolve));
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (!fs.existsSync(p)) {
    // closing removed it on this Node: keep one bound by a short-lived python process instead
    execFileSync('python3', ['-c', 'import socket,sys;socket.socket(socket.AF_UNIX).bind(sys.argv[1])', p]);
  }
}

describe('pack and verify: hostile input (issue 15)', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bxk-hostile-pv-'));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  describe('items 8 and 16: provider.json that is not a document', () => {
    it('a FIFO as provider.json: pack exits 2 in one line at once (it used to wait forever)', async () => {
      const p = await plugin(path.join(dir, 'fifo-manifest'));
      await fsp.rm(path.join(p, 'provider.json'));
      execFileSync('mkfifo', [path.join(p, 'provider.json')]);
      const r = run(['pack', p, '--out', path.join(dir, 'out-fifo')], dir, 30_000);
      expect(r.code, 'pack hung on the FIFO').to.equal(2);
      oneLine(r);
      expect(r.stderr).to.match(/provider\.json: it is a FIFO, not a regular file/);
      expect(fs.existsSync(path.join(dir, 'out-fifo'))).to.equal(false);
      // the library check that reads the name from provider.json does not hang either
      expect((await checkPluginFolder(p, { name: 'hoster' })).map((f) => f.rule)).to.deep.equal([]);
    });

    it('/dev/zero as provider.json, and a 2 MiB one: exit 2 in one line, memory untouched', async () => {
      const p = await plugin(path.join(dir, 'zero-manifest'));
      await fsp.rm(path.join(p, 'provider.json'));
      await fsp.symlink('/dev/zero', path.join(p, 'provider.json'));
      let r = run(['pack', p, '--out', path.join(dir, 'out-zero')], dir, 30_000);
      expect(r.code).to.equal(2);
      oneLine(r);
      expect(r.stderr).to.match(/it is a character device, not a regular file/);
      await fsp.rm(path.join(p, 'provider.json'));
      await fsp.writeFile(path.join(p, 'provider.json'), `{"name":"hoster","version":"1.0.0","description":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      r = run(['pack', p, '--out', path.join(dir, 'out-zero')], dir, 30_000);
      expect(r.code).to.equal(2);
      oneLine(r);
      expect(r.stderr).to.match(/more than the 1048576/);
    });
  });

  describe('item 9: verdicts or one-line exit 2, never "unexpected error", no temp files left', () => {
    it('a FIFO in etc/, a socket in lib/ and a FIFO in a provider.json "files" folder: pack refuses with ARCH-SPECIAL (exit 1)', async () => {
      const p = await plugin(path.join(dir, 'specials'));
      await fsp.writeFile(path.join(p, 'provider.json'), JSON.stringify({ name: 'hoster', version: '1.0.0', description: 'd', files: ['share'] }));
      await fsp.mkdir(path.join(p, 'share'));
      execFileSync('mkfifo', [path.join(p, 'etc/pipe'), path.join(p, 'share/pipe')]);
      await socketAt(path.join(p, 'lib/sock'));
      const out = path.join(dir, 'out-specials');
      const r = run(['pack', p, '--out', out], dir, 30_000);
      expect(r.code, r.stderr).to.equal(1);
      for (const e of ['etc/pipe', 'lib/sock', 'share/pipe']) expect(r.stderr).to.match(new RegExp(`ARCH-SPECIAL +${e}: `));
      expect(r.stderr).to.not.match(/unexpected error/);
      expect(fs.existsSync(out) ? fs.readdirSync(out) : []).to.deep.equal([]);
      const findings = await checkPluginFolder(p);
      expect(findings.filter((f) => f.severity === 'error')).to.deep.equal([]);
    });

    it('lib/ 5,000 folders deep: pack exits 2 in one line; checkPluginFolder returns', async () => {
      const p = await plugin(path.join(dir, 'deep'));
      // built relative to each new folder: the full path is far past PATH_MAX
      execFileSync('python3', ['-c', "import os,sys\nos.chdir(sys.argv[1])\nfor i in range(5000):\n    os.mkdir('d'); os.chdir('d')\nopen('f','w').write('x')", path.join(p, 'lib')]);
      const r = run(['pack', p, '--out', path.join(dir, 'out-deep')], dir, 60_000);
      expect(r.code).to.equal(2);
      oneLine(r);
      expect(r.stderr).to.match(/nested more than 64 deep/);
      expect(r.stderr.length).to.be.below(600);
      expect(Array.isArray(await checkPluginFolder(p))).to.equal(true);
      // rm -rf copes with the depth; fs.rm in after() might not
      execFileSync('rm', ['-rf', path.join(p, 'lib')]);
    });

    it('verify on a pipe (<(cat x.tar.gz)), on a FIFO and on an empty or non-archive file: exit 2, one line', async () => {
      const p = await plugin(path.join(dir, 'good'));
      const out = path.join(dir, 'out-good');
      expect(run(['pack', p, '--out', out], dir).code).to.equal(0);
      const archive = path.join(out, 'hoster-v1.0.0.tar.gz');
      const piped = spawnSync('bash', ['-c', `"$0" "$1" verify <(cat "$2")`, process.execPath, CLI, archive], { encoding: 'utf8', timeout: 30_000 });
      expect(piped.status, piped.stderr).to.equal(2);
      oneLine(piped);
      expect(piped.stderr).to.match(/it is a pipe \(FIFO\), not a file/);
      const fifo = path.join(dir, 'named.tar.gz');
      execFileSync('mkfifo', [fifo]);
      let r = run(['verify', fifo], dir, 30_000);
      expect(r.code, 'verify hung on the FIFO').to.equal(2);
      oneLine(r);
      const empty = path.join(dir, 'empty.tar.gz');
      await fsp.writeFile(empty, '');
      r = run(['verify', empty], dir);
      expect(r.code).to.equal(2);
      oneLine(r);
      expect(r.stderr).to.match(/cannot read .*empty\.tar\.gz as an archive: the file is empty/);
      const text = path.join(dir, 'notes-v1.tar.gz');
      await fsp.writeFile(text, 'just some text\n');
      r = run(['verify', text], dir);
      expect(r.code).to.equal(2);
      oneLine(r);
      // a real archive the host cannot unpack stays a verdict (exit 1)
      const plain = path.join(dir, 'plain-v1.tar.gz');
      execFileSync('tar', ['cf', plain, '-C', p, 'bin', 'etc']);
      r = run(['verify', plain], dir);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^.*plain-v1\.tar\.gz: uncompressed tar, not what the host unpacks, 0 entries$/m);
    });
  });
});
