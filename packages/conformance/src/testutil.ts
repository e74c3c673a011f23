/**
 * Helpers shared by the process containment tests (proc.test.ts, tracker.test.ts,
 * run-leftovers.test.ts). Not shipped: the `files` of package.json leave out every testutil.* in dist.
 *
 * Processes left behind (issue 15 item 5): each test plugin leaves processes that carry a unique
 * token in their command line (a sleep duration), so they can be found in /proc whatever they did
 * to their environment, session or parent; `after` kills any of them by pid, even on failure.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ENV = { PATH: '/sbin:/bin:/usr/sbin:/usr/bin' };

/**
 * Whether user nobody can load this package's compiled modules (the survivor tests run the
 * runner as nobody): a checkout under a 0700 folder (mktemp -d) cannot be, and then those tests
 * say so and skip.
 */
export function nobodyCanLoadDist(): boolean {
  const dist = fileURLToPath(new URL('./proc.js', import.meta.url));
  try {
    execFileSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', dist], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Live (not zombie) processes whose command line contains `token`, as "pid: cmdline". */
export function processesWith(token: string): string[] {
  const found: string[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return found;
  }
  for (const p of pids) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      if (!cmd.includes(token)) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push(`${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Kills, by pid, every live process whose command line carries one of the tokens (test cleanup). */
export function killTokens(tokens: string[]): void {
  for (const t of tokens) for (const line of processesWith(t)) {
    try {
      process.kill(Number(line.split(':')[0]), 'SIGKILL');
    } catch {
      /* gone or not ours */
    }
  }
}

let tokenSeq = 0;
/** A sleep duration no other test (or engineer) uses: 3000.PPPPPN seconds. */
export function token(): string {
  return `3${String(process.pid % 1000).padStart(3, '0')}.${Date.now() % 100000}${++tokenSeq}`;
}

export const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
