// The conformance runner against a plain shell script making the same plugin calls, in one run.
//   npm run bench -- conformance      (or: node bench/conformance.js)
// Rows:
//   - the full suite (with the order lifecycle and the host round trip) on the corpus's correct
//     bash plugin vs a bash script running the very same plugin calls back to back (same argv,
//     same cwd kind, the same poll pauses): overhead <= 25% of the script's time + 300 ms;
//   - the runner's peak RSS (its own process, as reported by the kernel): <= 120 MB;
//   - the hang, grandchild and 50 MB cases: every call ends within its budget + 1 s, and the
//     runner's peak RSS stays <= 120 MB on the 50 MB case.
// The runner runs in a child node process (so start-up and peak RSS are the user's); every case
// is copied to a temp folder first (the plugins keep order state under their folder).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.join(here, '..', 'conformance', 'plugins');
const runnerUrl = new URL('../packages/conformance/dist/index.js', import.meta.url).href;

const CHILD = `
const m = await import(${JSON.stringify(runnerUrl)});
const t0 = performance.now();
const report = await m.runConformance(process.argv[1], {});
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, maxRssKB: process.resourceUsage().maxRSS, report }));
`;

/** Runs the suite in a child node; wall time includes node start-up and module loading. */
function runSuite(dir) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`runner failed (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
  const out = JSON.parse(r.stdout);
  return { wall, inner: out.ms, peakRssMB: out.maxRssKB / 1024, report: out.report };
}

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** A bash script making the same plugin calls as the report, back to back. */
function shellScript(report, dir) {
  const exe = path.join(dir, 'bin', report.target.name);
  const s = report.settings;
  const lines = ['#!/bin/bash', 'set -u', 'export PATH=/sbin:/bin:/usr/sbin:/usr/bin', `cd ${q(dir)}`, 'E=$(mktemp -d)'];
  let last = '';
  for (const c of report.calls) {
    const args = c.argv.slice(1);
    if (c.argv[1] === 'order_status' && last === 'order_status') lines.push(`sleep ${(s.pollIntervalMs / 1000).toFixed(3)}`);
    last = c.argv[1];
    const cwd = c.cwd === 'plugin' ? q(dir) : '"$E"';
    lines.push(`(cd ${cwd} && ${[q(exe), ...args.map(q)].join(' ')} </dev/null >/dev/null 2>&1)`);
  }
  let lastHost = '';
  for (const h of report.hostCalls) {
    const action = h.args[h.args.indexOf('-a') + 1];
    if (action === 'order_status' && lastHost === 'order_status') lines.push(`sleep ${(s.pollIntervalMs / 1000).toFixed(3)}`);
    lastHost = action;
    for (const argv of h.pluginArgv) lines.push(`(cd "$E" && ${[q(exe), ...argv.map(q)].join(' ')} </dev/null >/dev/null 2>&1)`);
  }
  lines.push('rm -rf "$E"');
  return lines.join('\n') + '\n';
}

function copyCase(tmp, name, as = name) {
  const dst = path.join(tmp, as);
  cpSync(path.join(corpus, name), dst, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
  return dst;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bxk-bench-'));
  const rows = [];
  try {
    // ---- the full suite on good-bash vs the same calls from a shell script (3 rounds, interleaved)
    const suite = [];
    const script = [];
    let peak = 0;
    let calls = 0;
    for (let i = 0; i < 3; i++) {
      const dir = copyCase(tmp, 'good-bash', `good-bash-${i}`);
      const r = runSuite(dir);
      if (!r.report.ok) throw new Error(`good-bash failed ${r.report.summary.failed} rules`);
      suite.push(r.wall);
      peak = Math.max(peak, r.peakRssMB);
      calls = r.report.calls.length + r.report.hostCalls.reduce((n, h) => n + h.pluginCalls, 0);
      const sdir = copyCase(tmp, 'good-bash', `good-bash-script-${i}`);
      const file = path.join(tmp, `calls-${i}.sh`);
      writeFileSync(file, shellScript(r.report, sdir), { mode: 0o755 });
      const t0 = performance.now();
      const sh = spawnSync('/bin/bash', [file], { stdio: 'ignore' });
      if (sh.status !== 0) throw new Error(`the shell script failed (exit ${sh.status})`);
      script.push(performance.now() - t0);
    }
    const ms = median(suite);
    const base = median(script);
    const overhead = ms - base;
    rows.push({
      name: `suite on good-bash with lifecycle (${calls} plugin calls) vs shell script`,
      ms,
      baselineMs: base,
      ratio: ms / base,
      target: 'overhead <= 25% of script + 300 ms',
      ok: overhead <= 0.25 * base + 300,
      note: `overhead ${overhead.toFixed(0)} ms (allowed ${(0.25 * base + 300).toFixed(0)} ms); independent calls run 4 at a time`,
    });
    rows.push({ name: 'peak RSS of the runner on good-bash', ms, peakRssMB: peak, target: 'peak RSS <= 120 MB', ok: peak <= 120 });

    // ---- hostile cases: every call ends within its budget + 1 s
    for (const name of ['run-hang', 'run-grandchild', 'out-size']) {
      const dir = copyCase(tmp, name);
      const r = runSuite(dir);
      const budget = r.report.settings.callTimeoutMs;
      const longest = Math.max(...r.report.calls.map((c) => c.durationMs), ...r.report.hostCalls.map((h) => h.durationMs));
      const memOk = r.peakRssMB <= 120;
      rows.push({
        name: `${name}: longest call (direct or through the host)`,
        ms: longest,
        baselineMs: budget,
        ratio: longest / budget,
        peakRssMB: r.peakRssMB,
        target: 'every call <= budget + 1 s; peak RSS <= 120 MB',
        ok: longest <= budget + 1000 && memOk,
        note: `whole suite ${(r.wall / 1000).toFixed(1)} s; ${r.report.summary.failed} rules failed`,
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
