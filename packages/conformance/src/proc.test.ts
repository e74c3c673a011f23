import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  explainSpawnError,
  groupAlive,
  ProcessTracker,
  runProcess,
  sweep,
  type ProcessSpec,
} from './proc.js';
import { ENV } from './testutil.js';

describe('process containment (runProcess)', function () {
  this.timeout(30_000);
  let tmp = '';
  const tracker = new ProcessTracker();
  const script = async (name: string, body: string, mode = 0o755) => {
    const f = path.join(tmp, name);
    await fs.writeFile(f, body, { mode });
    await fs.chmod(f, mode);
    return f;
  };
  const run = (file: string, o: Partial<ProcessSpec> = {}) =>
    runProcess({ file, args: [], cwd: tmp, env: ENV, timeoutMs: 5000, tracker, ...o });

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
  });
  after(async () => {
    tracker.killAll();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('runs argv without a shell, in the given cwd, with exactly the given environment', async () => {
    const f = await script('env.sh', '#!/bin/bash\nprintf "%s|" "$@"; echo; pwd; env | sort\n');
    const r = await run(f, { args: ['a b', '$(id)', ';x'], env: { ...ENV, ONLY_THIS: '1' } });
    const out = r.stdout.toString();
    expect(out.split('\n')[0]).to.equal('a b|$(id)|;x|');
    expect(out.split('\n')[1]).to.equal(await fs.realpath(tmp));
    const vars = out.split('\n').slice(2).filter(Boolean).map((l) => l.split('=')[0]);
    expect(vars.filter((v) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(v))).to.deep.equal(['ONLY_THIS', 'PATH']);
    expect(r.exitCode).to.equal(0);
    expect(r.timedOut).to.equal(false);
  });

  it('kills a hanging call at the budget, with its whole process group', async () => {
    const f = await script('hang.sh', '#!/bin/bash\nsleep 30 &\nsleep 30\n');
    const t0 = performance.now();
    const r = await run(f, { timeoutMs: 400 });
    expect(performance.now() - t0).to.be.below(3000);
    expect(r.timedOut).to.equal(true);
    expect(r.durationMs).to.be.at.least(350);
    // The group (leader and the background sleep) is gone.
    const pgid = [...tracker.groups].at(-1)!;
    await new Promise((res) => setTimeout(res, 100));
    expect(groupAlive(pgid)).to.equal(false);
  });

  it('reports a grandchild that holds stdout after the plugin exited (the host would wait for it)', async () => {
    const f = await script('grandchild.sh', '#!/bin/bash\nsleep 30 &\necho \'{"ok": 1}\'\nexit 0\n');
    const r = await run(f, { timeoutMs: 500 });
    expect(r.timedOut).to.equal(true);
    expect(r.stdoutHeld).to.equal(true);
    expect(r.exitCode).to.equal(0);
    expect(r.stdout.toString()).to.equal('{"ok": 1}\n');
    const pgid = [...tracker.groups].at(-1)!;
    await new Promise((res) => setTimeout(res, 100));
    expect(groupAlive(pgid)).to.equal(false);
  });

  it('does not wait for a background process that closed stdout; killAll removes it later', async () => {
    const f = await script('bg.sh', '#!/bin/bash\nsleep 30 >/dev/null 2>&1 &\necho "{}"\n');
    const own = new ProcessTracker();
    const r = await runProcess({ file: f, args: [], cwd: tmp, env: ENV, timeoutMs: 5000, tracker: own });
    expect(r.timedOut).to.equal(false);
    expect(r.durationMs).to.be.below(3000);
    const pgid = [...own.groups][0]!;
    expect(groupAlive(pgid)).to.equal(true);
    own.killAll();
    await new Promise((res) => setTimeout(res, 100));
    expect(groupAlive(pgid)).to.equal(false);
  });

  it('cuts stdout at the cap and ends the call, keeping memory bounded', async () => {
    const f = await script('big.sh', '#!/bin/bash\nhead -c 50000000 /dev/zero | tr "\\0" x\n');
    const t0 = performance.now();
    const r = await run(f, { maxBytes: 64 * 1024 });
    expect(performance.now() - t0).to.be.below(4000);
    expect(r.cut).to.equal(true);
    expect(r.stdoutTruncated).to.equal(true);
    expect(r.stdout.length).to.equal(64 * 1024);
    expect(r.timedOut).to.equal(false);
  });

  it('keeps stderr to the cap without stopping the call', async () => {
    const f = await script('noisy.sh', '#!/bin/bash\nhead -c 300000 /dev/zero >&2\necho "{}"\n');
    const r = await run(f, { maxBytes: 1000 });
    expect(r.stderr.length).to.equal(1000);
    expect(r.stderrBytes).to.equal(300000);
    expect(r.stderrTruncated).to.equal(true);
    expect(r.stdout.toString()).to.equal('{}\n');
    expect(r.cut).to.equal(false);
  });

  it('gives a closed stdin by default and an open one on request', async () => {
    const f = await script('stdin.sh', '#!/bin/bash\nread -r line\necho "{\\"got\\": \\"$line\\"}"\n');
    const closed = await run(f, { timeoutMs: 3000 });
    expect(closed.timedOut).to.equal(false);
    expect(closed.stdout.toString()).to.equal('{"got": ""}\n');
    const open = await run(f, { timeoutMs: 400, stdin: 'open' });
    expect(open.timedOut).to.equal(true);
  });

  it('reports a signal', async () => {
    const f = await script('segv.sh', '#!/bin/bash\nkill -SEGV $$\n');
    const r = await run(f);
    expect(r.signal).to.equal('SIGSEGV');
    expect(r.timedOut).to.equal(false);
  });

  it('reports start failures with a reason a person understands', async () => {
    const crlf = await script('crlf.sh', '#!/bin/bash\r\necho "{}"\r\n');
    const r1 = await run(crlf);
    expect(r1.spawnError).to.equal('ENOENT');
    expect(await explainSpawnError(crlf, 'ENOENT')).to.match(/CRLF/);
    const noexec = await script('noexec.sh', '#!/bin/bash\necho "{}"\n', 0o644);
    const r2 = await run(noexec);
    expect(r2.spawnError).to.equal('EACCES');
    expect(await explainSpawnError(noexec, 'EACCES')).to.match(/not executable/);
    const missing = await script('missing.sh', '#!/usr/bin/no-such-interpreter\n');
    const r3 = await run(missing);
    expect(r3.spawnError).to.equal('ENOENT');
    expect(await explainSpawnError(missing, 'ENOENT')).to.match(/interpreter/);
  });

  it('finds and kills a process that escaped its group (setsid) by the run marker', async function () {
    if (!(await fs.stat('/usr/bin/setsid').catch(() => null)) || !(await fs.stat('/proc/self/environ').catch(() => null))) this.skip();
    const marker = `BXK_SWEEP_TEST=${process.pid}-${Date.now()}`;
    const f = await script('escape.sh', '#!/bin/bash\nsetsid sleep 30 </dev/null >/dev/null 2>&1 &\necho "{}"\n');
    const r = await run(f, { env: { ...ENV, BXK_SWEEP_TEST: marker.split('=')[1]! } });
    expect(r.timedOut).to.equal(false);
    await new Promise((res) => setTimeout(res, 200));
    const swept = sweep(marker);
    expect(swept.killed.length).to.be.at.least(1);
    expect(swept.survivors).to.deep.equal([]);
    await new Promise((res) => setTimeout(res, 100));
    expect(sweep(marker).killed).to.deep.equal([]);
  });

  it('does not hang on a pipe held by a process outside the group (setsid holding stdout)', async function () {
    if (!(await fs.stat('/usr/bin/setsid').catch(() => null))) this.skip();
    const marker = `BXK_SWEEP_TEST=held-${process.pid}-${Date.now()}`;
    const f = await script('escape-held.sh', '#!/bin/bash\nsetsid sleep 30 &\necho "{}"\n');
    const t0 = performance.now();
    const r = await run(f, { timeoutMs: 400, env: { ...ENV, BXK_SWEEP_TEST: marker.split('=')[1]! } });
    expect(performance.now() - t0).to.be.below(4000);
    expect(r.timedOut).to.equal(true);
    expect(r.stdout.toString()).to.equal('{}\n');
    expect(sweep(marker).killed.length).to.be.at.least(1);
  });

  it('runs many calls at once without mixing their outputs', async () => {
    const f = await script('echo.sh', '#!/bin/bash\nsleep 0.0$(( RANDOM % 5 ))\necho "$1"\n');
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => run(f, { args: [`n${i}`] })));
    rs.forEach((r, i) => expect(r.stdout.toString()).to.equal(`n${i}\n`));
  });
});
