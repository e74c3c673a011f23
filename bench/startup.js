// CLI start-up: `bx-provider-kit --version` (and `--help`) against `node -e 0`, in one run.
// Target: --version within 3x of a bare node start.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));
const RUNS = 15;

function timeOnce(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  const base = [], version = [], help = [];
  timeOnce([cli, '--version']); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    // interleaved, so drift in machine load hits all three alike
    base.push(timeOnce(['-e', '0']));
    version.push(timeOnce([cli, '--version']));
    help.push(timeOnce([cli, '--help']));
  }
  const b = median(base);
  const v = median(version);
  const h = median(help);
  return [
    { name: 'cli --version', ms: v, baselineMs: b, ratio: v / b, target: 'ratio <= 3', ok: v / b <= 3 },
    { name: 'cli --help', ms: h, baselineMs: b, ratio: h / b, target: '(info)', ok: true },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
