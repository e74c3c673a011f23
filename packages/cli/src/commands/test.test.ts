import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '@bx-provider-kit/schemas';

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../../conformance/plugins/', import.meta.url));

function kit(args: string[], opts: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function withMarker(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const env = await fs.readFile(`/proc/${pid}/environ`).catch(() => null);
    if (env && env.includes(marker)) found.push(pid);
  }
  return found;
}

describe('bx-provider-kit test', function () {
  this.timeout(180_000);
  let tmp = '';
  const copy = async (name: string) => {
    const dst = path.join(tmp, name);
    await fs.cp(path.join(CORPUS, name), dst, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
    return dst;
  };
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('--help shows the options and examples', async () => {
    const r = await kit(['test', '--help']);
    expect(r.code).to.equal(0);
    for (const s of ['--allow-order', '--reporter', '--output', '--only', '--skip', '--timeout', '--bail', '--config', '--name', 'Examples:']) expect(r.stdout).to.contain(s);
  });

  it('exit 0 and a text report ending in the summary line for a correct plugin; no colours with NO_COLOR', async () => {
    const dir = await copy('good-bash');
    const r = await kit(['test', dir]);
    expect(r.code, r.stderr).to.equal(0);
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).to.match(/^\d+ passed, 0 failed, 0 warned, \d+ skipped$/);
    expect(r.stdout).not.to.match(/\u001b\[/);
    expect(r.stderr).to.equal(''); // no live progress off a TTY
  });

  it('exit 1 with a JUnit file for a failing plugin (one failure per failed rule); the file is replaced on re-runs', async () => {
    const dir = await copy('out-debug-line');
    const out = path.join(tmp, 'report.xml');
    const r = await kit(['test', dir, '--reporter', 'junit', '--output', out]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/junit report written to .*report\.xml: \d+ passed, 2 failed/);
    const xml = await fs.readFile(out, 'utf8');
    expect(xml.match(/<failure /g)).to.have.length(2);
    expect(xml).to.contain('type="OUT-JSON"');
    const again = await kit(['test', dir, '--reporter', 'junit', '--output', out, '--only', 'OUT']);
    expect(again.code).to.equal(1);
  });

  it('--reporter json validates against the report schema; --reporter tap prints TAP', async () => {
    const dir = await copy('help-unknown-option');
    const j = await kit(['test', dir, '--reporter', 'json', '--only', 'HELP', 'OUT']);
    expect(j.code, j.stderr).to.equal(0);
    const rep = JSON.parse(j.stdout);
    expect(validate('report', rep).problems).to.deep.equal([]);
    expect(rep.rules.find((x: { id: string }) => x.id === 'HELP-UNKNOWN').status).to.equal('warned');
    const t = await kit(['test', dir, '--reporter', 'tap', '--only', 'HELP']);
    expect(t.stdout.split('\n').slice(0, 2)).to.deep.equal(['TAP version 13', '1..5']);
  });

  it('exit 2 with one line for bad usage and unreadable targets', async () => {
    const cases: [string[], RegExp][] = [
      [['test', path.join(tmp, 'missing')], /no such file or folder/],
      [['test', CORPUS + 'good-bash', '--timeout', '0'], /--timeout 0/],
      [['test', CORPUS + 'good-bash', '--only', 'BOGUS'], /--only BOGUS: no rule matches/],
      [['test', CORPUS + 'good-bash', '--reporter', 'xml'], /reporter/],
      [['test', CORPUS + 'good-bash', '--config', path.join(tmp, 'nope.json')], /cannot read .*nope\.json/],
    ];
    for (const [args, re] of cases) {
      const r = await kit(args);
      expect(r.code, args.join(' ')).to.equal(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.match(re);
      expect(r.stderr).not.to.match(/\n\s+at /);
    }
  });

  it('exit 2 naming the line of an unknown key in conformance.json', async () => {
    const dir = await copy('good-php');
    await fs.writeFile(path.join(dir, 'conformance.json'), '{\n  "allowOrder": true,\n  "callTimeout": 5000\n}\n');
    const r = await kit(['test', dir]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim()).to.match(/conformance\.json:3: unknown key "callTimeout"/);
  });

  it('Ctrl-C (SIGINT) kills every plugin process it started', async function () {
    if (!(await fs.stat('/proc/self/environ').catch(() => null))) this.skip();
    const dir = await copy('run-hang');
    const marker = `bxk-sigint-${randomUUID()}`;
    const cfg = JSON.parse(await fs.readFile(path.join(dir, 'conformance.json'), 'utf8'));
    cfg.env = { ...(cfg.env ?? {}), BXK_SIGINT_MARK: marker };
    cfg.callTimeoutMs = 60_000;
    await fs.writeFile(path.join(dir, 'conformance.json'), JSON.stringify(cfg));
    const p = spawn(process.execPath, [CLI, 'test', dir], { env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => p.on('exit', (code, signal) => r({ code, signal })));
    let seen: string[] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await withMarker(marker);
    }
    expect(seen.length, 'the hanging plugin never started').to.be.above(0);
    p.kill('SIGINT');
    const how = await exited;
    expect(how.signal === 'SIGINT' || how.code === 130, JSON.stringify(how)).to.equal(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await withMarker(marker)).to.deep.equal([]);
  });

  it('does not overwrite a file that is not an earlier report without --force', async () => {
    const dir = await copy('cfg-numeric-id');
    const precious = path.join(tmp, 'notes.xml');
    await fs.writeFile(precious, 'my notes');
    const r = await kit(['test', dir, '--only', 'OUT', '--reporter', 'junit', '--output', precious]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/exists and is not an earlier report: pass --force/);
    expect(await fs.readFile(precious, 'utf8')).to.equal('my notes');
    const f = await kit(['test', dir, '--only', 'OUT', '--reporter', 'junit', '--output', precious, '--force']);
    expect(f.code).to.equal(0);
    expect(await fs.readFile(precious, 'utf8')).to.match(/^<\?xml/);
  });
});
