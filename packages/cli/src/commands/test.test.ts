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

function kit(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...opts.env };
    if (!opts.env?.GITHUB_STEP_SUMMARY) delete env.GITHUB_STEP_SUMMARY;
    const p = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    // off a terminal: one progress line per phase (with the elapsed time), none with --quiet
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).to.match(/^bx-provider-kit test: +\d+\.\d s {2}plugin calls: testing folder /);
    expect(lines.some((l) => /^bx-provider-kit test: +\d+\.\d s {2}lifecycle: ordering config /.test(l)), r.stderr).to.equal(true);
    expect(lines.some((l) => /^bx-provider-kit test: +\d+\.\d s {2}host round trip/.test(l)), r.stderr).to.equal(true);
    expect(lines.at(-1)).to.match(/^bx-provider-kit test: +\d+\.\d s {2}done \(\d+ plugin calls\): \d+ passed, 0 failed/);
    expect(lines.length).to.be.below(8);
    const q = await kit(['test', dir, '--quiet', '--only', 'OUT']);
    expect(q.code).to.equal(0);
    expect(q.stderr).to.equal('');
  });

  it('several reporters in one run: text on stdout, JUnit, GitLab and TAP files; github commands and the job summary', async () => {
    const dir = await copy('out-debug-line');
    const [junit, gl, tap, summary] = ['r.xml', 'gl.json', 'r.tap', 'summary.md'].map((f) => path.join(tmp, `multi-${f}`));
    await fs.writeFile(summary!, '# earlier step\n');
    const r = await kit(['test', dir, '--only', 'OUT', '-r', 'text', '-r', `junit:${junit}`, '--reporter', `gitlab:${gl}`, '-r', `tap:${tap}`], {});
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/FAIL {2}OUT-JSON/);
    expect(r.stderr).to.match(/junit report written to .*multi-r\.xml, gitlab report written to .*multi-gl\.json, tap report written to .*multi-r\.tap: \d+ passed, 1 failed/);
    expect(await fs.readFile(junit!, 'utf8')).to.contain('type="OUT-JSON"');
    expect(JSON.parse(await fs.readFile(gl!, 'utf8')).map((x: { check_name: string }) => x.check_name)).to.deep.equal(['OUT-JSON']);
    expect(await fs.readFile(tap!, 'utf8')).to.match(/^TAP version 14\n/);
    // a re-run may replace its own earlier reports
    const again = await kit(['test', dir, '--only', 'OUT-JSON', '-r', `junit:${junit}`, '-r', `gitlab:${gl}`, '-r', `tap:${tap}`, '-q']);
    expect(again.code, again.stderr).to.equal(1);
    // github: workflow commands on stdout (beside the text log), the summary appended to GITHUB_STEP_SUMMARY
    const g = await kit(['test', dir, '--only', 'OUT', '-r', 'github', '-r', 'text', '-q'], { cwd: tmp, env: { GITHUB_STEP_SUMMARY: summary! } });
    expect(g.code, g.stderr).to.equal(1);
    const cmds = g.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(cmds[0]).to.match(/^::error file=out-debug-line\/bin\/out-debug-line,title=OUT-JSON%3A [^:]+::configs[^:]*: text before/);
    expect(cmds.at(-1)).to.match(/^::notice title=bx-provider-kit test failed::/);
    expect(g.stdout).to.match(/FAIL {2}OUT-JSON/);
    const md = await fs.readFile(summary!, 'utf8');
    expect(md).to.match(/^# earlier step\n### ❌ bx-provider-kit test: provider `out-debug-line` failed\n/);
    expect(md).to.match(/\| ❌ \| `OUT-JSON` /);
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
    expect(t.stdout.split('\n').slice(0, 2)).to.deep.equal(['TAP version 14', '1..5']);
  });

  it('exit 2 with one line for bad usage and unreadable targets', async () => {
    const cases: [string[], RegExp][] = [
      [['test', path.join(tmp, 'missing')], /no such file or folder/],
      [['test', CORPUS + 'good-bash', '--timeout', '0'], /--timeout 0/],
      [['test', CORPUS + 'good-bash', '--timeout', 'abc'], /^bx-provider-kit: --timeout abc: give the hard budget per call in seconds/],
      [['test', CORPUS + 'good-bash', '--parallel', 'abc'], /^bx-provider-kit: --parallel abc: give how many calls the CONC-\* probes make at once/],
      [['test', CORPUS + 'good-bash', '--parallel', '1'], /--parallel 1: /],
      [['test', CORPUS + 'good-bash', '--timeout'], /^bx-provider-kit: Not enough arguments following: timeout$/],
      [['test', CORPUS + 'good-bash', '--reporter'], /^bx-provider-kit: Not enough arguments following: reporter$/],
      [['test', CORPUS + 'good-bash', '-o', 'json'], /^bx-provider-kit: --output json: -o\/--output names the report FILE here; for the format use --reporter json/],
      [['test', CORPUS + 'good-bash', '-o', 'junit'], /use --reporter junit/],
      [['test', CORPUS + 'good-bash', '-r', 'text', '-r', 'json'], /--reporter text and json would both print on stdout/],
      [['test', CORPUS + 'good-bash', '-r', 'text', '-r', 'json', '-o', path.join(tmp, 'x.json')], /2 reporters have no file/],
      [['test', CORPUS + 'good-bash', '-r', 'junit:', ], /name the file after the colon/],
      [['test', CORPUS + 'good-bash', '-r', `junit:${path.join(tmp, 'same')}`, '-r', `tap:${path.join(tmp, 'same')}`], /both write/],
      [['test', CORPUS + 'good-bash', '-r', 'sarif:x.json'], /--reporter sarif:x\.json: choose text, json, junit, tap, github or gitlab/],
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
