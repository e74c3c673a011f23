/**
 * Hostile input to `test` (issue 15): names that climb out of the run's temp folder, folders too
 * big to copy, settings files that never end. Each test reproduces the attack on a real plugin
 * and holds that nothing outside the run is touched.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KitError, assertInside, removeInside, readDocumentFile, validate } from '@bx-provider-kit/schemas';
import { runConformance } from './runner.js';

const CORPUS = fileURLToPath(new URL('../../../conformance/plugins/', import.meta.url));

async function rejects(p: Promise<unknown>): Promise<KitError> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(KitError);
    return e as KitError;
  }
  throw new Error('expected a KitError');
}

describe('hostile input to test (issue 15)', function () {
  this.timeout(60_000);
  let tmp = '';
  let victim = '';
  const sentinel = () => path.join(victim, 'precious.txt');

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-hostile-'));
  });
  beforeEach(async () => {
    // A folder beside the run's temp folders: RUNTMP/host/providers/../../../NAME lands here.
    victim = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-victim-'));
    await fs.writeFile(sentinel(), 'keep me');
  });
  afterEach(async () => {
    await fs.rm(victim, { recursive: true, force: true });
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const plugin = async (as: string) => {
    const dst = path.join(tmp, as);
    await fs.cp(path.join(CORPUS, 'good-bash'), dst, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
    return dst;
  };

  it('--name ../../../VICTIM is refused before any path is built; VICTIM keeps its files', async () => {
    const dir = await plugin('name-climb');
    for (const up of ['../../../', '../../../../', '../']) {
      const e = await rejects(runConformance(dir, { name: `${up}${path.basename(victim)}` }));
      expect(e.exitCode).to.equal(2);
      expect(e.message).to.match(/^--name "\.\.\/.*" is not a provider name: .*\(PKG-NAME\)/);
      expect(e.message).to.not.include('\n');
    }
    expect(await fs.readFile(sentinel(), 'utf8')).to.equal('keep me');
    expect(await fs.readdir(victim)).to.deep.equal(['precious.txt']);
  });

  it('an archive tested with --name ../.. and --skip HOST is refused too (no remove, no extract)', async () => {
    const dir = await plugin('arch-src');
    const archive = path.join(tmp, 'good-bash-v1.0.0.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', dir, 'bin', 'etc', 'provider.json']);
    const e = await rejects(runConformance(archive, { name: `../../../${path.basename(victim)}`, skip: ['HOST'] }));
    expect(e.exitCode).to.equal(2);
    expect(await fs.readdir(victim)).to.deep.equal(['precious.txt']);
  });

  it('a provider.json naming ../.. is refused (the name of a folder target is checked wherever it comes from)', async () => {
    const dir = await plugin('manifest-climb');
    const m = JSON.parse(await fs.readFile(path.join(dir, 'provider.json'), 'utf8'));
    m.name = `../../../${path.basename(victim)}`;
    await fs.writeFile(path.join(dir, 'provider.json'), JSON.stringify(m));
    const e = await rejects(runConformance(dir));
    expect(e.message).to.match(/the provider name ".*" is not a provider name/);
    expect(await fs.readdir(victim)).to.deep.equal(['precious.txt']);
  });

  it('removeInside refuses a path that resolves outside its owner, also through a link', async () => {
    const owner = path.join(tmp, 'owner');
    await fs.mkdir(path.join(owner, 'sub'), { recursive: true });
    await fs.symlink(victim, path.join(owner, 'link'));
    let refused = 0;
    for (const t of [path.join(owner, '..', path.basename(victim)), victim, path.join(owner, 'link', 'x'), path.join(owner, 'link'), owner]) {
      await removeInside(owner, t).catch(() => refused++);
    }
    expect(refused).to.equal(5);
    expect(await fs.readdir(victim)).to.deep.equal(['precious.txt']);
    await removeInside(owner, path.join(owner, 'sub'));
    expect(await fs.readdir(owner)).to.deep.equal(['link']);
    expect(await assertInside(owner, path.join(owner, 'not', 'yet'))).to.equal(path.join(await fs.realpath(owner), 'not', 'yet'));
  });

  it('a 4 GB sparse file in lib/ is not copied into the emulated host (bounded as archives are)', async () => {
    const dir = await plugin('huge');
    await fs.mkdir(path.join(dir, 'lib'));
    execFileSync('truncate', ['-s', '4G', path.join(dir, 'lib', 'blob')]); // sparse: costs no disk
    // Progress lines name every host call: none is made, so nothing was copied for one.
    const lines: string[] = [];
    const r = await runConformance(dir, { only: ['HOST'], onProgress: (l) => lines.push(l) });
    for (const x of r.rules.filter((x) => x.id.startsWith('HOST-'))) {
      expect(x.status, x.id).to.equal('skipped');
      expect(x.message).to.match(/more than 256 MiB .*ARCH-LIMITS/);
    }
    expect(lines.filter((l) => l.startsWith('host '))).to.deep.equal([]);
  });

  it('a FIFO, /dev/zero, a folder or a 100,000-deep document as conformance.json: one-line KitError, no hang', async () => {
    const fifo = path.join(tmp, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const dir = await plugin('cfg-hostile');
    expect((await rejects(runConformance(dir, { configFile: fifo }))).message).to.match(/not a regular file/);
    expect((await rejects(runConformance(dir, { configFile: '/dev/zero' }))).message).to.match(/not a regular file/);
    expect((await rejects(runConformance(dir, { configFile: tmp }))).message).to.match(/it is a folder/);
    const deep = path.join(tmp, 'deep.json');
    await fs.writeFile(deep, `{"env": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const e = await rejects(runConformance(dir, { configFile: deep }));
    expect(e.exitCode).to.equal(2);
    expect(e.message).to.match(/more than 512 deep/);
    const big = path.join(tmp, 'big.json');
    execFileSync('truncate', ['-s', '2M', big]);
    expect((await rejects(readDocumentFile(big, 1024 * 1024))).message).to.match(/more than the 1048576/);
  });

  it('a FIFO as provider.json: the run ends; PKG-* and HOST-* say why they were not judged', async () => {
    const dir = await plugin('manifest-fifo');
    await fs.rm(path.join(dir, 'provider.json'));
    execFileSync('mkfifo', [path.join(dir, 'provider.json')]);
    const r = await runConformance(dir, { name: 'good-bash', only: ['PKG', 'HOST-STATUS'] });
    for (const x of r.rules) {
      expect(x.status, x.id).to.equal('skipped');
      expect(x.message, x.id).to.match(x.id.startsWith('PKG-') ? /not a regular file/ : /a FIFO, socket or device \(provider\.json\).*ARCH-SPECIAL/);
    }
  });

  it('validate() refuses a document nested 100,000 deep with a KitError instead of overflowing the stack', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(() => validate('conformance', { env: v })).to.throw(KitError, /more than 512 deep/);
    expect(() => validate('host/list', v)).to.throw(KitError);
  });
});

describe('temp folders of a run that ends badly (issue 15)', function () {
  this.timeout(60_000);
  let tmp = '';
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-leak-'));
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const RUNNER = new URL('./runner.js', import.meta.url).href;

  /** A plugin whose `help` runs SCRIPT; a child node process tests it with TMPDIR=its own folder. */
  async function start(name: string, helpScript: string, opts = '{}'): Promise<{ child: import('node:child_process').ChildProcess; tmpdir: string; done: Promise<{ code: number | null; signal: string | null }> }> {
    const dir = path.join(tmp, name);
    await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
    const exe = path.join(dir, 'bin', name);
    await fs.writeFile(exe, `#!/bin/bash\ncase "$1" in\n  help) ${helpScript} ;;\n  *) echo '{"error":1,"error_message":"no"}' ;;\nesac\n`);
    await fs.chmod(exe, 0o755);
    const tmpdir = path.join(tmp, `${name}-tmp`);
    await fs.mkdir(tmpdir);
    const { spawn } = await import('node:child_process');
    const code = `import(${JSON.stringify(RUNNER)}).then((m) => m.runConformance(${JSON.stringify(dir)}, ${opts})).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(70); })`;
    const child = spawn(process.execPath, ['-e', code], { env: { ...process.env, TMPDIR: tmpdir }, stdio: ['ignore', 'ignore', 'pipe'] });
    const done = new Promise<{ code: number | null; signal: string | null }>((res) => child.on('exit', (c, s) => res({ code: c, signal: s })));
    return { child, tmpdir, done };
  }

  /** Waits (polling the real folder, no fixed sleep) until a plugin call is under way. */
  async function untilCalling(tmpdir: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const runs = (await fs.readdir(tmpdir)).filter((n) => n.startsWith('bxk-run-'));
      for (const r of runs) if ((await fs.readdir(path.join(tmpdir, r)).catch(() => [])).some((n) => n.startsWith('cwd-'))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the run never started a plugin call');
  }

  it('SIGINT during a call: the run dies of SIGINT and leaves no temp folder', async () => {
    const { child, tmpdir, done } = await start('slow-help', 'sleep 30');
    await untilCalling(tmpdir);
    child.kill('SIGINT');
    const end = await done;
    expect(end.signal).to.equal('SIGINT');
    expect(await fs.readdir(tmpdir)).to.deep.equal([]);
  });

  it('a plugin that kills its parent (SIGTERM to $PPID): no temp folder left', async () => {
    const { tmpdir, done } = await start('parricide', 'kill -TERM $PPID; sleep 5');
    const end = await done;
    expect(end.signal).to.equal('SIGTERM');
    expect(await fs.readdir(tmpdir)).to.deep.equal([]);
  });

  it('an unexpected error inside the run (the CLI exits 70): no temp folder left', async () => {
    const { tmpdir, done } = await start('boom', `echo '{"options":["help"],"status":"enabled"}'`, '{ onProgress: () => { throw new Error("boom"); } }');
    const end = await done;
    expect(end.code).to.equal(70);
    expect(await fs.readdir(tmpdir)).to.deep.equal([]);
  });
});

describe('RUN-STDIN probes every action the run calls (issue 15)', function () {
  this.timeout(120_000);
  let tmp = '';
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-stdin-'));
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** good-bash, with `cat >/dev/null` (wait for stdin to end) at the start of one action. */
  async function readsStdinIn(fn: string): Promise<string> {
    const name = `stdin-${fn.replace(/_/g, '-')}`;
    const dir = path.join(tmp, name);
    await fs.cp(path.join(CORPUS, 'good-bash'), dir, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
    const exe = path.join(dir, 'bin', 'good-bash');
    const body = (await fs.readFile(exe, 'utf8')).replace(`do_${fn}() {\n`, `do_${fn}() {\n  cat >/dev/null\n`);
    expect(body).to.include('cat >/dev/null');
    await fs.writeFile(exe, body);
    return dir;
  }

  for (const fn of ['order', 'order_status']) {
    it(`a plugin that waits on stdin in ${fn} fails RUN-STDIN (with ordering allowed)`, async () => {
      const dir = await readsStdinIn(fn);
      const r = await runConformance(dir, { only: ['RUN-STDIN', 'ORD-TASK-UNIQUE'], allowOrder: true, callTimeoutMs: 3000 });
      const rs = r.rules.find((x) => x.id === 'RUN-STDIN')!;
      expect(rs.status, rs.message).to.equal('failed');
      expect(rs.message).to.match(new RegExp(`^${fn} waits on stdin`));
    });
  }

  it('without ordering allowed, order_status is still probed (on an unknown task); a correct plugin passes', async () => {
    const r = await runConformance(await readsStdinIn('order_status'), { only: ['RUN-STDIN'], allowOrder: false, callTimeoutMs: 3000 });
    expect(r.rules.find((x) => x.id === 'RUN-STDIN')!.status).to.equal('failed');
    expect(r.calls.some((c) => c.argv.slice(1).join(' ') === 'order')).to.equal(false);
    const good = await runConformance(path.join(CORPUS, 'good-bash'), { only: ['RUN-STDIN', 'ORD-TASK-UNIQUE'], allowOrder: true });
    expect(good.rules.find((x) => x.id === 'RUN-STDIN')!.status).to.equal('passed');
    expect(good.calls.filter((c) => c.stdin === 'open').map((c) => c.argv[1]).sort()).to.deep.equal(['configs', 'help', 'order', 'order_status', 'order_status']);
  });
});

describe('ERR-TYPE follows the host on "error": "1" (issue 15)', function () {
  this.timeout(60_000);
  it('validate accepts a string of digits as an error code; "yes", "0", "-1", "1.5" stay ERR-TYPE problems', () => {
    expect(validate('plugin/configs', { error: '1', error_message: 'no such config' }).ok).to.equal(true);
    expect(validate('plugin/error', { error: '12', error_message: 'x' }).ok).to.equal(true);
    for (const bad of ['yes', '0', '-1', '1.5', ' 1', '']) {
      const r = validate('plugin/error', { error: bad, error_message: 'x' });
      expect(r.problems.map((p) => p.rule), bad).to.deep.equal(['ERR-TYPE']);
    }
    // help answering {"error": "1"} is an error answer the host swallows (HELP-ERROR), as with 1
    expect(validate('plugin/help', { error: '1', error_message: 'down' }).problems.map((p) => p.rule)).to.deep.equal(['HELP-ERROR']);
  });

  it('the runner warns ERR-TYPE (never fails it) and still takes the answer as an error answer', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-errstr-'));
    try {
      const dir = path.join(tmp, 'errstr');
      await fs.cp(path.join(CORPUS, 'good-bash'), dir, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
      const exe = path.join(dir, 'bin', 'good-bash');
      const body = (await fs.readFile(exe, 'utf8')).replace(`printf '{"error": 1, "error_message"`, `printf '{"error": "1", "error_message"`);
      expect(body).to.include('"error": "1"');
      await fs.writeFile(exe, body);
      const r = await runConformance(dir, { only: ['ERR'], allowOrder: false });
      const et = r.rules.find((x) => x.id === 'ERR-TYPE')!;
      expect(et.status).to.equal('warned');
      expect(et.message).to.match(/Moose Int\) accepts a string of digits/);
      expect(r.rules.find((x) => x.id === 'ERR-BAD-ARGS')!.status).to.equal('passed');
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('time messages say what is true (issue 15)', function () {
  this.timeout(60_000);
  it('a configs call of ~4 s over a 3 s budget: "still running after 3000 ms", not "forever"', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-slow-'));
    try {
      const dir = path.join(tmp, 'slowcfg');
      await fs.cp(path.join(CORPUS, 'good-bash'), dir, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
      const exe = path.join(dir, 'bin', 'good-bash');
      const body = (await fs.readFile(exe, 'utf8')).replace('do_configs() {\n', 'do_configs() {\n  sleep 4\n');
      await fs.writeFile(exe, body);
      const r = await runConformance(dir, { only: ['HOST-CONFIGS', 'RUN-TIMEOUT'], allowOrder: false, callTimeoutMs: 3000, concurrency: 8 });
      const hc = r.rules.find((x) => x.id === 'HOST-CONFIGS')!;
      expect(hc.status).to.equal('failed');
      expect(hc.message).to.match(/was still running after 3000 ms, when the emulator stopped it: the real host has no timeout and waits as long as the plugin takes/);
      for (const x of r.rules) expect(x.message, x.id).to.not.match(/forever/);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});
