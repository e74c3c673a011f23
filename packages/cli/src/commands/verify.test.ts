import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));
const RECIPES = fileURLToPath(new URL('../../../../conformance/archives/recipes.mjs', import.meta.url));

export function run(args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Recipes {
  buildRecipe(name: string, dir: string): Promise<string>;
}

describe('bx-provider-kit verify', function () {
  let dir: string;
  let rec: Recipes;
  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
    rec = (await import(pathToFileURL(RECIPES).href)) as Recipes;
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('exit 0 for a good archive, with its name and format', async () => {
    const file = await rec.buildRecipe('good-plain', path.join(dir, 'good'));
    const r = run(['verify', file]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/tar\.gz, 4 entries, provider good/);
    expect(r.stdout).to.match(/^ok: the host can install it$/m);
  });

  it('exit 0 with warnings only, and lists them', async () => {
    const file = await rec.buildRecipe('extra-files', path.join(dir, 'extra'));
    const r = run(['verify', file]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/warning ARCH-EXTRA +\.git\/: /);
    expect(r.stdout).to.match(/ok: the host can install it \(0 errors, 3 warnings\)/);
  });

  it('exit 1 with severity, rule, entry and fix for each finding', async () => {
    const file = await rec.buildRecipe('no-exec', path.join(dir, 'noexec'));
    const r = run(['verify', file]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/error +ARCH-EXEC +bin\/noexec: bin\/noexec is stored with mode 0644/);
    expect(r.stdout).to.match(/fix: chmod 0755 bin\/noexec and repack\./);
    expect(r.stdout).to.match(/not installable: 1 error, 0 warnings/);
    expect(r.stdout).to.not.match(/\u001b\[/);
  });

  it('--name checks the install name', async () => {
    const file = await rec.buildRecipe('good-plain', path.join(dir, 'named'));
    expect(run(['verify', file, '--name', 'good']).code).to.equal(0);
    const r = run(['verify', file, '--name', 'ghost']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/ARCH-NAME.*no bin\/ghost/);
  });

  it('--json prints the verifyArchive result', async () => {
    const file = await rec.buildRecipe('wrapped', path.join(dir, 'wrapped'));
    const r = run(['verify', file, '--json']);
    expect(r.code).to.equal(1);
    const j = JSON.parse(r.stdout);
    expect(j).to.include({ format: 'tar.gz', ok: false });
    expect(j.findings.map((f: { rule: string }) => f.rule)).to.deep.equal(['ARCH-LAYOUT']);
    expect(j.entries.map((e: { path: string }) => e.path)).to.include('wrapped/bin/wrapped');
  });

  it('--max-bytes stops a bomb early', async () => {
    const file = await rec.buildRecipe('bomb', path.join(dir, 'bomb'));
    const r = run(['verify', file, '--max-bytes', '1000000', '--json']);
    expect(r.code).to.equal(1);
    expect(JSON.parse(r.stdout).findings.map((f: { rule: string }) => f.rule)).to.deep.equal(['ARCH-LIMITS']);
    expect(run(['verify', file, '--max-bytes', 'lots']).code).to.equal(2);
  });

  it('exit 2 with one line for a missing file; exit 2 without an argument', () => {
    const r = run(['verify', path.join(dir, 'missing.tar.gz')]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim()).to.match(/^bx-provider-kit: cannot read .*missing\.tar\.gz: no such file$/);
    expect(run(['verify']).code).to.equal(2);
  });

  it('has --help with examples', () => {
    const r = run(['verify', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/Examples:/);
    expect(r.stdout).to.match(/--name/);
  });
});
