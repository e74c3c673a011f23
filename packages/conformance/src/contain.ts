/**
 * What a run's plugin processes leave behind, found and killed. A plugin call is its own
 * process group, but a plugin can leave it (`setsid`), drop the run marker from its
 * environment (`env -i`), double-fork so that its worker is reparented to init, change
 * directory, and keep forking while it is being killed. A `ProcessTracker` follows a run's
 * processes by several independent fingerprints and sweeps until a pass finds nothing new:
 *
 * - cgroup (Linux cgroup v2, when this process may create one: root on a writable
 *   /sys/fs/cgroup): every call is started inside a per-run cgroup (this process steps into it
 *   for the synchronous fork and back out), so everything the call forks, however it forks, is
 *   in it; the sweep writes `cgroup.kill` (the kernel kills every member and any fork in flight).
 * - parent chain: a poll (every 50 ms while the run lives) records each descendant of a call
 *   (pid and start time, field 22 of /proc/PID/stat, so that a reused pid is never taken for
 *   ours); a descendant seen once stays ours after its parent died.
 * - process group and session of each call, while a known member still pins the number.
 * - the run marker in /proc/PID/environ, and a working directory inside the run's own folders.
 * - an orphan (adopted by init) born while a call ran, working in that call's folder.
 *
 * The sweep first stops (SIGSTOP) everything it finds and looks again, until a pass finds
 * nothing new (a stopped process cannot fork), then kills it all (SIGKILL) and checks that it
 * is gone; what is still alive (permission denied, or stuck in the kernel) is returned as a
 * survivor so the report can say so.
 *
 * Where each part lives:
 *
 * - procfs.ts: what /proc says (stat, children, environment, working folder, clock, signals).
 * - cgroup.ts: the cgroup v2 backend (making, listing, removing the run's cgroup).
 * - tracker.ts: `ProcessTracker`, which follows a run's processes and sweeps them.
 * - survivors.ts: what a sweep returns, and the report line for what it could not kill.
 *
 * This module is what the rest of the package imports containment from.
 */
export { killGroup } from '@bx-provider-kit/host';
export { cgroupAvailable, ownCgroup } from './cgroup.js';
export { isAlive, readProc, scanProcs, type ProcInfo } from './procfs.js';
export { describeSurvivors, type FoundBy, type Survivor, type SweepResult, type SweptProcess } from './survivors.js';
export { ALL_GROUPS, LIVE_TRACKERS, ProcessTracker, setActivateHook, type TrackerOptions } from './tracker.js';
