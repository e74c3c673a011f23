// What the API fault and concurrency probes (issue 13) add to a run, on a template plugin.
//   npm run bench -- faults      (or: node bench/run.js faults)
// For each of the bash and python templates with its HTTP backend against the mock API
// (`backend = http`, default budgets, --allow-order): the suite with `--skip API CONC` vs the
// whole suite, median of 3 rounds each, interleaved. Target: the probes add <= 15 s.
// Every template is scaffolded into a temp folder with the CLI; the runner runs in a child node
// process (start-up included), the mock API in this one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cli = new URL('../packages/cli/dist/main.js', import.meta.url).pathname;
const runnerUrl = new URL('../packages/conformance/dist/index.js', import.meta.url).href;
const mockUrl = new URL('../packages/create-provider/dist/mock-api.js', import.meta.url).href;

const CHILD = `
const m = await import(${JSON.stringify(runnerUrl)});
const t0 = performance.now();
const report = await m.runConformance(process.argv[1], JSON.parse(process.argv[2]));
process.stdout.write(JSON.stringify({ ms: performance.now() - t0, summary: report.summary, bad: report.rules.filter((r) => r.status === 'failed' || r.status === 'warned').map((r) => r.id + ': ' + r.message) }));
`;

/** The suite in a child node (asynchronously: the mock API in this process must keep answering). */
async function suite(dir, opts) {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dir, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const status = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const wall = performance.now() - t0;
  if (status !== 0) throw new Error(`runner failed (exit ${status}): ${stderr.slice(0, 500)}`);
  const out = JSON.parse(stdout);
  if (out.bad.length) throw new Error(`${dir}: not clean:\n${out.bad.join('\n')}`);
  return wall;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  const { startMockApi } = await import(mockUrl);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bxk-bench-faults-'));
  const api = await startMockApi({ port: 0, delayMs: 1500 });
  const rows = [];
  try {
    for (const template of ['bash', 'python']) {
      const name = `bench-${template}`;
      const dir = path.join(tmp, name);
      const r = spawnSync(process.execPath, [cli, 'new', name, '--template', template, '--dir', dir, '--yes'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`new ${template} failed: ${r.stderr}`);
      const conf = path.join(dir, 'etc', `${name}.conf`);
      writeFileSync(
        conf,
        readFileSync(conf, 'utf8')
          .replace(/^backend = .*$/m, 'backend = http')
          .replace(/^api_url = .*$/m, `api_url = ${api.url}`)
          .replace(/^api_token = .*$/m, `api_token = ${api.token}`),
      );
      // default budgets (not the template's conformance.json ones): only ordering is switched on
      const base = { allowOrder: true, callTimeoutMs: 10_000, slowMs: 2000, pollIntervalMs: 1000, lifecycleTimeoutMs: 60_000 };
      const without = [];
      const whole = [];
      for (let i = 0; i < 3; i++) {
        without.push(await suite(dir, { ...base, skip: ['API', 'CONC'] }));
        whole.push(await suite(dir, base));
      }
      const a = median(without);
      const b = median(whole);
      rows.push({
        name: `${template} template, HTTP backend: + API and CONC probes`,
        ms: b,
        baselineMs: a,
        target: 'adds <= 15 s',
        ok: b - a <= 15_000,
        note: `adds ${((b - a) / 1000).toFixed(1)} s (${(a / 1000).toFixed(1)} s -> ${(b / 1000).toFixed(1)} s)`,
      });
    }
  } finally {
    await api.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}
