import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ownCgroup } from './contain.js';
import { cgroupAvailable, procAvailable, ProcessTracker, runProcess, type SweepResult } from './proc.js';
import { ENV, killTokens, nobodyCanLoadDist, processesWith, sleepMs, token } from './testutil.js';

// Issue 15 item 5: processes left behind (see testutil.ts for how the tests find them).

describe('processes left behind (issue 15 item 5): the tracker finds escapees and sweeps until nothing new appears', function () {
  this.timeout(60_000);
  let tmp = '';
  const tokens: string[] = [];
  const hasProc = procAvailable() && existsSync('/usr/bin/setsid');
  const hasCgroup = hasProc && cgroupAvailable();

  const plugin = async (name: string, body: string) => {
    const f = path.join(tmp, name);
    await fs.writeFile(f, `#!/bin/bash\n${body}\necho '{}'\n`, { mode: 0o755 });
    await fs.chmod(f, 0o755);
    return f;
  };
  const newToken = () => {
    const t = token();
    tokens.push(t);
    return t;
  };

  before(async function () {
    if (!hasProc) this.skip();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-leftover-'));
    await fs.chmod(tmp, 0o755);
  });
  after(async () => {
    killTokens(tokens);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** Runs one call of `file` with a tracker in the given mode, lets the leftovers settle, sweeps. */
  async function runAndSweep(file: string, mode: 'cgroup' | 'proc', o: { settleMs?: number; marker?: string } = {}) {
    const cwd = await fs.mkdtemp(path.join(tmp, 'cwd-'));
    const tracker = new ProcessTracker({ cgroup: mode === 'cgroup', dirs: [cwd], ...(o.marker ? { marker: o.marker } : {}) });
    const env = o.marker ? { ...ENV, [o.marker.split('=')[0]!]: o.marker.split('=')[1]! } : ENV;
    const r = await runProcess({ file, args: ['help'], cwd, env, timeoutMs: 10_000, tracker });
    expect(r.timedOut, 'the call itself ends at once').to.equal(false);
    expect(tracker.mechanism).to.equal(mode);
    await sleepMs(o.settleMs ?? 300);
    const swept = tracker.killAll();
    return { r, swept };
  }

  for (const mode of ['cgroup', 'proc'] as const) {
    describe(`with ${mode === 'cgroup' ? 'a cgroup per run' : '/proc only (no cgroup)'}`, () => {
      before(function () {
        if (mode === 'cgroup' && !hasCgroup) this.skip(); // not root, or /sys/fs/cgroup read-only
      });

      it('kills `setsid env -i sleep &` (the run marker is dropped with the environment)', async () => {
        const t = newToken();
        const f = await plugin(`envi-${mode}.sh`, `setsid env -i sleep ${t} </dev/null >/dev/null 2>&1 &`);
        const { swept } = await runAndSweep(f, mode, { marker: `BXK_LEFT=${t}` });
        expect(processesWith(t), 'still running after the sweep').to.deep.equal([]);
        expect(swept.survivors).to.deep.equal([]);
        expect(swept.killed.map((k) => k.comm)).to.include('sleep');
        expect(swept.mechanism).to.equal(mode);
      });

      it('kills `setsid env -i` that also left the call folder (cd /), seen while its parent lived', async () => {
        const t = newToken();
        const f = await plugin(`cdroot-${mode}.sh`, `setsid env -i bash -c 'cd / && exec sleep ${t}' </dev/null >/dev/null 2>&1 &\nsleep 0.5`);
        const { swept } = await runAndSweep(f, mode);
        expect(processesWith(t)).to.deep.equal([]);
        expect(swept.survivors).to.deep.equal([]);
        expect(swept.killed.find((k) => k.comm === 'sleep')?.how).to.equal(mode === 'cgroup' ? 'cgroup' : 'chain');
      });

      it('kills a setsid worker that keeps spawning a new child every 50 ms (sweeps until nothing new appears)', async () => {
        const t = newToken();
        const f = await plugin(
          `spawner-${mode}.sh`,
          `setsid env -i bash -c 'cd /; while :; do sleep ${t} & sleep 0.05; done' </dev/null >/dev/null 2>&1 &\nsleep 0.5`,
        );
        const { swept } = await runAndSweep(f, mode, { settleMs: 400 });
        expect(swept.survivors).to.deep.equal([]);
        expect(processesWith(t), 'right after the sweep').to.deep.equal([]);
        await sleepMs(500); // a worker that survived would have spawned again by now
        expect(processesWith(t), '500 ms later').to.deep.equal([]);
        expect(swept.killed.length).to.be.at.least(3); // the worker and the children it had
      });
    });
  }

  it('with a cgroup: kills a double-forked daemon whose parent died at once (env -i, setsid, cd /)', async function () {
    if (!hasCgroup) this.skip();
    const t = newToken();
    const f = await plugin('daemon.sh', `( setsid env -i bash -c 'cd / && exec sleep ${t}' </dev/null >/dev/null 2>&1 & )`);
    const { swept } = await runAndSweep(f, 'cgroup');
    expect(processesWith(t)).to.deep.equal([]);
    expect(swept.killed.find((k) => k.comm === 'sleep')?.how).to.equal('cgroup');
  });

  it('with a cgroup: removes the run\'s cgroup after the sweep, and empty ones of kits that died unswept', async function () {
    if (!hasCgroup) this.skip();
    const stale = path.join(ownCgroup()!, 'bx-provider-kit-99999999-1-stale0'); // no such pid
    await fs.mkdir(stale);
    const t = newToken();
    const f = await plugin('cgclean.sh', `setsid sleep ${t} </dev/null >/dev/null 2>&1 &`);
    const { swept } = await runAndSweep(f, 'cgroup');
    expect(swept.cgroupLeft).to.equal(undefined);
    const mine = readdirSync(ownCgroup()!).filter((d) => d.startsWith(`bx-provider-kit-${process.pid}-`));
    expect(mine).to.deep.equal([]);
    expect(existsSync(stale), 'the stale empty cgroup is gone').to.equal(false);
  });

  it('without a cgroup, still finds an escapee by the run folder it works in (no marker, parent gone at once)', async () => {
    const t = newToken();
    const f = await plugin('cwd.sh', `( setsid env -i sleep ${t} </dev/null >/dev/null 2>&1 & )`);
    const { swept } = await runAndSweep(f, 'proc');
    expect(processesWith(t)).to.deep.equal([]);
    // Whether the 50 ms poll saw it before its parent died (chain) is timing; either finds it.
    expect(swept.killed.find((k) => k.comm === 'sleep')?.how).to.be.oneOf(['cwd', 'chain']);
  });

  it('without a cgroup, finds by the run folder alone a process no call started (no marker, no parent chain)', async () => {
    const t = newToken();
    const cwd = await fs.mkdtemp(path.join(tmp, 'cwd-only-'));
    const tracker = new ProcessTracker({ cgroup: false, dirs: [cwd] });
    // Started by the test, not by a plugin call: only its working folder ties it to the run.
    const stray = spawn('setsid', ['sleep', t], { cwd, stdio: 'ignore', detached: true, env: { PATH: ENV.PATH } });
    stray.unref();
    try {
      await sleepMs(300);
      const swept = tracker.killAll();
      expect(processesWith(t)).to.deep.equal([]);
      expect(swept.killed.find((k) => k.comm === 'sleep')?.how).to.equal('cwd');
    } finally {
      killTokens([t]);
    }
  });

  it('without a cgroup, finds the escapee of a quick call made outside the run folders (plugin folder): an orphan born in the call', async () => {
    const t = newToken();
    const folder = await fs.mkdtemp(path.join(tmp, 'plugin-folder-'));
    const f = await plugin('quick.sh', `setsid env -i sleep ${t} </dev/null >/dev/null 2>&1 &`);
    const tracker = new ProcessTracker({ cgroup: false }); // no marker, no run folders
    const r = await runProcess({ file: f, args: ['help'], cwd: folder, env: ENV, timeoutMs: 10_000, tracker });
    expect(r.exitCode).to.equal(0);
    await sleepMs(300);
    const swept = tracker.killAll();
    expect(processesWith(t)).to.deep.equal([]);
    expect(swept.killed.find((k) => k.comm === 'sleep')?.how).to.be.oneOf(['orphan', 'chain']);
  });

  it('leaves alone a process that is not the run\'s, even in the same session as the test', async () => {
    const t = newToken();
    const bystander = spawn('sleep', [t], { stdio: 'ignore' });
    try {
      const f = await plugin('innocent.sh', 'true');
      const { swept } = await runAndSweep(f, hasCgroup ? 'cgroup' : 'proc', { marker: `BXK_INNOCENT=${t}` });
      expect(swept.killed.map((k) => k.pid)).to.not.include(bystander.pid);
      expect(processesWith(t)).to.have.length(1);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('reports what it could not kill (a setuid-root leftover of a sweep run as nobody): survivors, one line for the report', async function () {
    // A real survivor: the runner runs unprivileged, the plugin starts a root process through a
    // setuid copy of setpriv; kill() answers EPERM. Needs root to set the scene up.
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) this.skip();
    if (!nobodyCanLoadDist()) {
      this.test!.title += ' (skipped: user nobody cannot read this checkout, e.g. under a 0700 folder)';
      this.skip();
    }
    const t = newToken();
    const sp = path.join(tmp, 'setpriv-suid');
    await fs.copyFile('/usr/bin/setpriv', sp);
    await fs.chmod(sp, 0o4755);
    const f = await plugin('suid.sh', `'${sp}' --reuid=0 --regid=0 --clear-groups sleep ${t} </dev/null >/dev/null 2>&1 &\nsleep 0.5`);
    const script = path.join(tmp, 'sweep-as-nobody.mjs');
    const procUrl = new URL('./proc.js', import.meta.url).href;
    await fs.writeFile(
      script,
      `import { ProcessTracker, runProcess, describeSurvivors } from ${JSON.stringify(procUrl)};
const tracker = new ProcessTracker({ dirs: [${JSON.stringify(tmp)}] });
const r = await runProcess({ file: ${JSON.stringify(f)}, args: ['help'], cwd: ${JSON.stringify(tmp)}, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10000, tracker });
await new Promise((res) => setTimeout(res, 300));
const swept = tracker.killAll();
console.log(JSON.stringify({ out: r.stdout.toString(), swept, line: describeSurvivors(swept) }));
`,
      { mode: 0o644 },
    );
    const got = await new Promise<string>((resolve, reject) => {
      const c = spawn('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (b) => (out += b));
      c.stderr.on('data', (b) => (err += b));
      c.on('error', reject);
      c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sweeper exited ${code}: ${err}`))));
    });
    const { swept, line } = JSON.parse(got) as { swept: SweepResult; line?: string };
    if (processesWith(t).length === 0) this.skip(); // setuid ignored here (nosuid mount): no real survivor to report
    expect(swept.mechanism).to.equal('proc'); // nobody cannot make a cgroup
    const s = swept.survivors.find((x) => x.comm === 'sleep');
    expect(s, JSON.stringify(swept)).to.not.equal(undefined);
    expect(s!.why).to.match(/EPERM/);
    expect(line).to.match(/could not be killed/).and.match(new RegExp(`pid ${s!.pid} \\(sleep, permission denied`));
    killTokens([t]);
    for (let i = 0; i < 40 && processesWith(t).length; i++) await sleepMs(50); // SIGKILL takes a moment
    expect(processesWith(t)).to.deep.equal([]);
  });
});
