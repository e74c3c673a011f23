/**
 * Process containment: runs one plugin call as the host would (argv, never a shell; the kit's
 * one process runner, @bx-provider-kit/host's startProcess), with a hard time budget after which the whole process group is killed (grandchildren included),
 * stdout/stderr read up to a cap and then drained and discarded (memory stays bounded), and
 * every call tracked (contain.ts, tracker.ts: cgroup, parent chain, group and session, run
 * marker, run folders) so that nothing is left running when the run ends, the process exits, or the user
 * presses Ctrl-C.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { startProcess, type ProcessOutcome } from '@bx-provider-kit/host';
import { ALL_GROUPS, killGroup, LIVE_TRACKERS, ProcessTracker, setActivateHook, type SweepResult } from './contain.js';

export { groupAlive } from '@bx-provider-kit/host';

export { cgroupAvailable, describeSurvivors, killGroup, ProcessTracker, type FoundBy, type SweepResult, type SweptProcess, type Survivor, type TrackerOptions } from './contain.js';

/** Bytes of stdout/stderr kept per call (OUT-SIZE). */
export const OUTPUT_CAP = 1024 * 1024;

export interface ProcessSpec {
  /** The executable (absolute path). */
  file: string;
  args: string[];
  cwd: string;
  /** The complete environment (nothing is inherited). */
  env: Record<string, string>;
  /** Hard budget: the process group is killed after this many ms. */
  timeoutMs: number;
  /** `closed` (default): stdin is an empty pipe closed at once; `open`: a pipe never written nor closed. */
  stdin?: 'closed' | 'open';
  /** Bytes kept of each stream (default OUTPUT_CAP). */
  maxBytes?: number;
  /** Groups are registered here so the caller can kill leftovers (see `ProcessTracker`). */
  tracker?: ProcessTracker;
}

/**
 * One call as the runner records it: the shared runner's outcome without the pid and the
 * emulator's total time. `durationMs` runs until the leader exited and stdout reached EOF
 * (what the host waits for), or the kill; `cut` is OUT-SIZE (reading stopped, group killed).
 */
export type ProcessResult = Omit<ProcessOutcome, 'pid' | 'totalMs'>;

const MARKERS = new Set<string>();

/** Registers a run marker so that leftovers carrying it are killed on exit and on signals. */
export function addMarker(marker: string): void {
  MARKERS.add(marker);
  installHandlers();
}
export function removeMarker(marker: string): void {
  MARKERS.delete(marker);
}

/**
 * Kills every process (but this one and its ancestors) whose environment carries `marker`,
 * and everything they started: what escaped its process group (setsid) is found this way as
 * long as it kept the variable. Linux /proc only. A run's `ProcessTracker.killAll()` does this
 * and more (cgroup, parent chain, run folders).
 */
export function sweep(marker: string): SweepResult {
  return new ProcessTracker({ marker, cgroup: false, bornAfter: 0 }).killAll();
}
let handlersInstalled = false;

/** Kills everything every live tracker of this process follows (used by the exit and signal handlers). */
export function killAllGroups(): void {
  for (const t of [...LIVE_TRACKERS]) t.killAll();
  for (const g of ALL_GROUPS) killGroup(g);
  ALL_GROUPS.clear();
  for (const m of MARKERS) sweep(m);
}

function onSignal(sig: NodeJS.Signals): void {
  killAllGroups();
  // Re-raise with the default behaviour unless someone else handles the signal.
  if (process.listenerCount(sig) <= 1) {
    process.removeListener(sig, onSignal);
    process.kill(process.pid, sig);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllGroups);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}
setActivateHook(installHandlers);

/** Removes the signal handlers when nothing is tracked any more (so a library user's process can exit normally). */
export function releaseHandlers(): void {
  if (!handlersInstalled || ALL_GROUPS.size || MARKERS.size || LIVE_TRACKERS.size) return;
  handlersInstalled = false;
  process.removeListener('exit', killAllGroups);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGHUP', onSignal);
}

/**
 * Runs one call. Never throws for anything the plugin does: a start failure is reported in
 * `spawnError`, a hang as `timedOut`. The call is over when the leader exited and stdout
 * reached EOF; stderr still open then gets 100 ms before the group is killed; after a kill,
 * pipes held by a process that left the group are given up 1 s later.
 */
export async function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const cap = spec.maxBytes ?? OUTPUT_CAP;
  const tracker = spec.tracker;
  const r = await startProcess({
    file: spec.file,
    args: spec.args,
    cwd: spec.cwd,
    env: spec.env,
    stdin: spec.stdin === 'open' ? 'open' : 'closed',
    group: true, // its own process group: kill(-pid) reaches grandchildren
    stdoutCap: cap,
    stderrCap: cap,
    timeoutMs: spec.timeoutMs,
    // The host does not wait for stderr (it is the caller's): give it a moment, then cut.
    stderrGraceMs: 100,
    killHeldStderr: true,
    // A process that escaped the group (setsid) may still hold a pipe: never wait on it for long.
    giveUpMs: 1000,
    // Started inside the run's cgroup when there is one, and registered at fork time.
    spawnWith: tracker ? (start, call) => tracker.spawnCall(start, call.cwd) : undefined,
    onOver: (pid) => tracker?.ended(pid),
  }).result;
  const { pid: _pid, totalMs: _total, ...result } = r;
  return result;
}

/** Why a file could not be started, in words (for RUN-CRASH). */
export async function explainSpawnError(file: string, code: string): Promise<string> {
  let first = '';
  try {
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      const { bytesRead } = await fh.read(buf, 0, 256, 0);
      first = buf.subarray(0, bytesRead).toString('latin1').split('\n')[0] ?? '';
    } finally {
      await fh.close();
    }
  } catch {
    if (code === 'ENOENT') return `${file} does not exist`;
  }
  if (code === 'ENOENT') {
    if (first.startsWith('#!')) {
      if (first.endsWith('\r')) return `the interpreter "${first.slice(2).trim()}\\r" does not exist: the shebang line ends in CRLF`;
      return `the interpreter of "${first}" does not exist on this machine`;
    }
    return `${file} could not be started (ENOENT)`;
  }
  if (code === 'EACCES') return `${file} is not executable (EACCES): chmod 0755 it`;
  if (code === 'ENOEXEC') return `${file} is not a valid executable (ENOEXEC): add a #! line`;
  return `${file} could not be started (${code})`;
}

/** Whether /proc can be read (Linux): used by tests that look for leftovers. */
export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}
