// CLI start-up, as a user runs it (the bin: packages/cli/bin/bx-provider-kit.js, which runs the
// bundle `npm run build` writes), against a bare `node -e 0` measured in the same run.
// Whole-process wall time, median of RUNS, the three commands interleaved so that drift in the
// machine's load hits them alike. Targets (issue 14): --version <= 1.5x, test --help <= 2x.
// BENCH_STARTUP_RUNS=N changes the number of runs (default 21).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/cli/bin/bx-provider-kit.js', import.meta.url));
const bundle = fileURLToPath(new URL('../packages/cli/dist/bx-provider-kit.js', import.meta.url));
const mainJs = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));
const RUNS = Number(process.env.BENCH_STARTUP_RUNS) || 21;

function timeOnce(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build (tsc -b, then the CLI bundle)`);
  const cases = [
    { name: 'bx-provider-kit --version', args: [bin, '--version'], max: 1.5 },
    { name: 'bx-provider-kit test --help', args: [bin, 'test', '--help'], max: 2 },
    { name: 'bx-provider-kit --help', args: [bin, '--help'] },
    // for comparison (info): the help rendered by yargs, from the bundle and from tsc's modules
    { name: 'bundle, yargs renders test --help', args: [bundle, 'test', '--help'] },
    { name: 'unbundled dist/main.js test --help', args: [mainJs, 'test', '--help'] },
  ];
  const base = [];
  const times = cases.map(() => []);
  for (const c of cases) timeOnce(c.args); // warm the file cache
  timeOnce(['-e', '0']);
  for (let i = 0; i < RUNS; i++) {
    base.push(timeOnce(['-e', '0']));
    cases.forEach((c, j) => times[j].push(timeOnce(c.args)));
  }
  const b = median(base);
  return cases.map((c, j) => {
    const ms = median(times[j]);
    const ratio = ms / b;
    return c.max
      ? { name: c.name, ms, baselineMs: b, ratio, target: `ratio <= ${c.max}`, ok: ratio <= c.max, note: `node -e 0 median ${b.toFixed(0)} ms over ${RUNS} runs` }
      : { name: c.name, ms, baselineMs: b, ratio, target: '(info)', ok: true };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
