import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cgroupAvailable, procAvailable } from './proc.js';
import { runConformance } from './runner.js';
import { killTokens, nobodyCanLoadDist, processesWith, token } from './testutil.js';

describe('a conformance run leaves no process behind (issue 15 item 5)', function () {
  this.timeout(120_000);
  let tmp = '';
  const tokens: string[] = [];
  after(async () => {
    killTokens(tokens);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('a passing plugin whose every call runs `setsid env -i sleep &`: nothing of it runs after runConformance', async function () {
    if (!procAvailable() || !existsSync('/usr/bin/setsid')) this.skip();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-leftover-run-'));
    const t = token();
    tokens.push(t);
    const src = fileURLToPath(new URL('../../../conformance/plugins/good-bash/', import.meta.url));
    const dir = path.join(tmp, 'good-bash');
    await fs.cp(src, dir, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
    const bin = path.join(dir, 'bin', 'good-bash');
    const body = await fs.readFile(bin, 'utf8');
    await fs.writeFile(bin, body.replace('set -u\n', `set -u\nsetsid env -i sleep ${t} </dev/null >/dev/null 2>&1 &\n`));
    const report = await runConformance(dir, {});
    expect(report.ok, JSON.stringify(report.rules.filter((r) => r.status === 'failed'))).to.equal(true);
    expect(report.calls.length).to.be.at.least(5);
    expect(processesWith(t)).to.deep.equal([]);
    const rt = report.rules.find((r) => r.id === 'RUN-TIMEOUT')!;
    expect(rt.status).to.equal('passed');
  });

  /** good-bash in a temp folder, with `prelude` run first by every call. */
  async function leaver(prelude: string): Promise<string> {
    tmp ||= await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-leftover-run-'));
    const dir = await fs.mkdtemp(path.join(tmp, 'plugin-'));
    const src = fileURLToPath(new URL('../../../conformance/plugins/good-bash/', import.meta.url));
    await fs.cp(src, dir, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
    const bin = path.join(dir, 'bin', 'good-bash');
    await fs.writeFile(bin, (await fs.readFile(bin, 'utf8')).replace('set -u\n', `set -u\n${prelude}\n`));
    return dir;
  }

  it('a plugin whose calls (direct and through the host emulator) leave double-forked daemons: none runs after the run (cgroup)', async function () {
    if (!procAvailable() || !existsSync('/usr/bin/setsid') || !cgroupAvailable()) this.skip();
    const t = token();
    tokens.push(t);
    const dir = await leaver(`( setsid env -i bash -c 'cd / && exec sleep ${t}' </dev/null >/dev/null 2>&1 & )`);
    const report = await runConformance(dir, {});
    expect(report.ok).to.equal(true);
    expect(report.hostCalls.length, 'the host round trip ran').to.be.at.least(3);
    expect(processesWith(t)).to.deep.equal([]);
  });

  it('says in the report what it could not kill (runner as nobody, setuid-root leftovers): a RUN-TIMEOUT warning', async function () {
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv') || !procAvailable()) this.skip();
    if (!nobodyCanLoadDist()) {
      this.test!.title += ' (skipped: user nobody cannot read this checkout, e.g. under a 0700 folder)';
      this.skip();
    }
    const t = token();
    tokens.push(t);
    const dir = await leaver('');
    const sp = path.join(dir, 'setpriv-suid');
    await fs.copyFile('/usr/bin/setpriv', sp);
    await fs.chmod(sp, 0o4755);
    const bin = path.join(dir, 'bin', 'good-bash');
    await fs.writeFile(
      bin,
      (await fs.readFile(bin, 'utf8')).replace(
        'set -u\n',
        `set -u\n[ "\${1:-}" = configs ] && { '${sp}' --reuid=0 --regid=0 --clear-groups sleep ${t} </dev/null >/dev/null 2>&1 & sleep 0.3; }\n`,
      ),
    );
    await fs.chmod(tmp, 0o755);
    execFileSync('chown', ['-R', '65534:65534', dir]);
    await fs.chown(sp, 0, 0);
    await fs.chmod(sp, 0o4755); // chown clears the setuid bit
    const runnerUrl = new URL('./runner.js', import.meta.url).href;
    const script = path.join(tmp, 'run-as-nobody.mjs');
    await fs.writeFile(
      script,
      `import { runConformance } from ${JSON.stringify(runnerUrl)};
const r = await runConformance(${JSON.stringify(dir)}, {});
console.log(JSON.stringify(r.rules.find((x) => x.id === 'RUN-TIMEOUT')));
`,
    );
    const nobodyTmp = await fs.mkdtemp(path.join(tmp, 'tmp-'));
    await fs.chown(nobodyTmp, 65534, 65534);
    const out = execFileSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script], {
      cwd: nobodyTmp,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: nobodyTmp, HOME: nobodyTmp },
      encoding: 'utf8',
      timeout: 90_000,
    });
    if (!processesWith(t).length) this.skip(); // setuid ignored here (nosuid): nothing the runner could not kill
    const rt = JSON.parse(out.trim().split('\n').at(-1)!) as { status: string; findings: { severity: string; message: string }[] };
    expect(rt.status).to.equal('warned');
    expect(rt.findings.map((f) => f.message).join('\n')).to.match(/could not be killed by the runner/).and.match(/sleep, permission denied \(EPERM\)/);
  });
});
