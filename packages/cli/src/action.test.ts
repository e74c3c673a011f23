/**
 * The reusable GitHub Action (action.yml at the repository root), run as a runner runs a
 * composite action: each step's `run:` with bash (`bash --noprofile --norc -eo pipefail`),
 * `${{ inputs.X }}` substituted textually with the documented defaults, the step's `env:`,
 * GITHUB_ACTION_PATH = the repository (already built here, so the build step finds the kit),
 * GITHUB_OUTPUT per step and GITHUB_STEP_SUMMARY in a temp folder, and the default `success()`
 * of a step's `if:`. The plugin is scaffolded from a template, in a temp workspace.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(ROOT, 'packages/cli/bin/bx-provider-kit.js');
const XSD = path.join(ROOT, 'packages/conformance/xsd/junit-10.xsd');

interface Step {
  name: string;
  id?: string;
  if?: string;
  shell: string;
  env?: Record<string, string>;
  run: string;
}
interface Action {
  name: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = loadYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as Action;

interface StepRun {
  name: string;
  skipped: boolean;
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

/** GITHUB_OUTPUT lines: name=value, or name<<DELIMITER ... DELIMITER. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(l);
    if (heredoc) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else if (l.includes('=')) {
      out[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
    }
  }
  return out;
}

/** Runs the action's steps as a runner would; returns each step and the action's outputs. */
async function runAction(workspace: string, given: Record<string, string>) {
  for (const k of Object.keys(given)) if (!(k in action.inputs)) throw new Error(`action.yml has no input ${k}`);
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.inputs)) inputs[k] = given[k] ?? v.default ?? '';
  const runnerTemp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-runner-'));
  const summaryFile = path.join(runnerTemp, 'step_summary.md');
  await fs.writeFile(summaryFile, '');
  const expr = (s: string, steps: Record<string, StepRun>) =>
    s.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, e: string) => {
      let m: RegExpExecArray | null;
      if ((m = /^inputs\.([\w-]+)$/.exec(e))) return inputs[m[1]!] ?? '';
      if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e))) return steps[m[1]!]?.outputs[m[2]!] ?? '';
      if ((m = /^inputs\.([\w-]+) == '([^']*)'$/.exec(e))) return String(inputs[m[1]!] === m[2]);
      throw new Error(`the test runner does not evaluate \${{ ${e} }}`);
    });
  const steps: Record<string, StepRun> = {};
  const ran: StepRun[] = [];
  let failed = false;
  for (const step of action.runs.steps) {
    // `if:` without a status function means success() && (...)
    const cond = step.if === undefined ? 'true' : expr(step.if, steps);
    if (!['true', 'false'].includes(cond)) throw new Error(`if: ${step.if} gave ${cond}`);
    let r: StepRun;
    if (failed || cond === 'false') {
      r = { name: step.name, skipped: true, code: 0, stdout: '', stderr: '', outputs: {} };
    } else {
      const script = path.join(runnerTemp, `step-${ran.length}.sh`);
      await fs.writeFile(script, expr(step.run, steps));
      const outputFile = path.join(runnerTemp, `output-${ran.length}`);
      await fs.writeFile(outputFile, '');
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: undefined, GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp };
      delete env.NO_COLOR;
      Object.assign(env, { GITHUB_ACTION_PATH: ROOT, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile });
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expr(String(v), steps);
      expect(step.shell).to.equal('bash');
      const p = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: workspace, env, encoding: 'utf8', timeout: 300_000 });
      r = { name: step.name, skipped: false, code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr, outputs: parseOutputs(await fs.readFile(outputFile, 'utf8')) };
      if (r.code !== 0) failed = true;
    }
    ran.push(r);
    if (step.id) steps[step.id] = r;
  }
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.outputs)) outputs[k] = expr(v.value, steps);
  const summary = await fs.readFile(summaryFile, 'utf8');
  await fs.rm(runnerTemp, { recursive: true, force: true });
  return { steps: ran, outputs, summary, failed };
}

describe('the GitHub Action (action.yml)', function () {
  this.timeout(300_000);
  let ws = '';
  before(async function () {
    if (!existsSync(path.join(ROOT, 'packages/cli/dist/bx-provider-kit.js'))) throw new Error('build the kit first (npm run build)');
    ws = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-ws-'));
    const r = spawnSync(process.execPath, [BIN, 'new', 'my-hoster', '--template', 'bash', '--yes'], { cwd: ws, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  });
  after(async () => {
    if (ws) await fs.rm(ws, { recursive: true, force: true });
  });

  it('is a composite action whose inputs and outputs are documented, with bash steps only', () => {
    expect(action.runs.using).to.equal('composite');
    expect(Object.keys(action.inputs)).to.include.members(['path', 'allow-order', 'args', 'pack', 'junit']);
    expect(Object.keys(action.outputs)).to.include.members(['verdict', 'archive', 'sha256']);
    for (const i of Object.values(action.inputs)) expect(i.description).to.be.a('string').and.not.equal('');
    for (const s of action.runs.steps) {
      expect(s.shell).to.equal('bash');
      // inputs reach the scripts through env:, never spliced into the script text
      expect(s.run, s.name).not.to.match(/\$\{\{\s*inputs\./);
    }
  });

  it('on a plugin scaffolded from the bash template: tests with the github reporter, writes a valid JUnit file and the summary, packs and verifies', async () => {
    const r = await runAction(ws, { path: 'my-hoster', 'allow-order': 'true' });
    for (const s of r.steps) expect([s.name, s.skipped, s.code], s.stderr).to.deep.equal([s.name, false, 0]);
    const [build, test, pack] = r.steps;
    expect(build!.stdout).to.match(/already built/);
    expect(test!.stdout).to.match(/^::notice title=bx-provider-kit test passed::provider my-hoster: \d+ passed, 0 failed/m);
    expect(test!.stdout).to.match(/\n\d+ passed, 0 failed, \d+ warned, \d+ skipped\n/); // the text log too
    expect(test!.stderr).to.match(/bx-provider-kit test: +[\d.]+ s {2}lifecycle: ordering config/); // progress, one line per phase
    expect(r.outputs.verdict).to.equal('passed');
    expect(r.outputs.summary).to.match(/^\d+ passed, 0 failed, \d+ warned, \d+ skipped$/);
    // JUnit: where the input says, valid against the junit-10 XSD
    const junit = path.join(ws, 'bx-provider-kit-junit.xml');
    const lint = spawnSync('xmllint', ['--noout', '--schema', XSD, junit], { encoding: 'utf8' });
    expect(lint.status, lint.stderr).to.equal(0);
    // the archive, its sha256, verified
    expect(r.outputs.archive).to.equal(path.join(ws, 'dist', 'my-hoster-v0.1.0.tar.gz'));
    expect(r.outputs.sha256).to.equal(createHash('sha256').update(await fs.readFile(r.outputs.archive!)).digest('hex'));
    expect(pack!.stdout).to.match(/ok: the host can install it/);
    // the job summary: the verdict, then the archive
    expect(r.summary).to.match(/^### ✅ bx-provider-kit test: provider `my-hoster` passed\n/);
    expect(r.summary).to.contain(`**Archive** \`my-hoster-v0.1.0.tar.gz\` verified, sha256 \`${r.outputs.sha256}\``);
  });

  it('extra args are split as words (quotes honoured, nothing expanded); junit and pack can be turned off', async () => {
    const r = await runAction(ws, { path: 'my-hoster', args: `--only "OUT" 'HELP' --timeout 20 --name my-hoster $(touch pwned) \`touch pwned\``, junit: '', pack: 'false' });
    // the unexpanded words reach the kit as arguments: it refuses them (exit 2) rather than run them
    expect(existsSync(path.join(ws, 'pwned'))).to.equal(false);
    const ok = await runAction(ws, { path: 'my-hoster', args: `--only "OUT" 'HELP' --timeout 20`, junit: '', pack: 'false' });
    expect(ok.steps.map((s) => [s.skipped, s.code])).to.deep.equal([[false, 0], [false, 0], [true, 0]]);
    expect(ok.outputs).to.deep.include({ verdict: 'passed', archive: '', sha256: '' });
    expect(ok.steps[1]!.stdout).to.match(/PASS {2}HELP-SCHEMA/);
    expect(ok.steps[1]!.stdout).not.to.match(/CFG-SCHEMA/);
    expect(r.failed).to.equal(true);
  });

  it('a plugin that breaks a rule: ::error annotations on bin/NAME, verdict failed, no archive, the action fails', async () => {
    const broken = path.join(ws, 'broken');
    await fs.cp(path.join(ws, 'my-hoster'), broken, { recursive: true });
    const bin = path.join(broken, 'bin', 'my-hoster');
    const src = await fs.readFile(bin, 'utf8');
    await fs.writeFile(bin, src.replace(/\n/, '\necho "DEBUG: starting"\n')); // a log line on stdout
    const r = await runAction(ws, { path: 'broken' });
    expect(r.failed).to.equal(true);
    const [, test, pack] = r.steps;
    expect(test!.code).to.equal(1);
    expect(pack!.skipped).to.equal(true);
    expect(r.outputs).to.deep.include({ verdict: 'failed', archive: '', sha256: '' });
    expect(r.outputs.summary).to.match(/^\d+ passed, [1-9]\d* failed/);
    expect(test!.stdout).to.match(/^::error file=broken\/bin\/my-hoster,title=OUT-JSON%3A stdout must be exactly one JSON document::/m);
    expect(r.summary).to.match(/^### ❌ bx-provider-kit test: provider `my-hoster` failed\n/);
    expect(r.summary).to.match(/\| ❌ \| `OUT-JSON` /);
    // bad usage (a JUnit folder that does not exist) is the kit's exit 2, surfaced as an ::error
    const bad = await runAction(ws, { path: 'broken', junit: 'reports/junit.xml' });
    expect(bad.steps[1]!.code).to.equal(2);
    expect(bad.steps[1]!.stdout).to.match(/^::error title=bx-provider-kit::bx-provider-kit test exited 2/m);
    expect(bad.steps[1]!.stderr).to.match(/--reporter junit: reports\/junit\.xml: the folder .*reports does not exist/);
    expect(bad.outputs.verdict).to.equal('');
  });
});
