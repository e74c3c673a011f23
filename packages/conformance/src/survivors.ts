/**
 * What a sweep of a run's processes found and killed, and what it could not kill (survivors),
 * in the words a report uses.
 */

/** How a process was recognised as the run's. */
export type FoundBy = 'cgroup' | 'call' | 'chain' | 'group' | 'session' | 'marker' | 'cwd' | 'orphan';

export interface SweptProcess {
  pid: number;
  comm: string;
  how: FoundBy;
}

export interface Survivor extends SweptProcess {
  /** Why it is still alive: "permission denied (EPERM)" or "still alive N ms after SIGKILL (state D)". */
  why: string;
}

export interface SweepResult {
  /** `cgroup` when the run's calls were started in a cgroup of their own, else `proc` (/proc only). */
  mechanism: 'cgroup' | 'proc';
  killed: SweptProcess[];
  /** Processes of the run still alive after the sweep: the report must say so. */
  survivors: Survivor[];
  /** Look-ups of /proc the sweep made until one found nothing new. */
  passes: number;
  /** A cgroup folder that could not be removed (it still holds a survivor). */
  cgroupLeft?: string;
}

/** One line for a report about the processes a sweep could not kill, or undefined when there are none. */
export function describeSurvivors(r: SweepResult | undefined): string | undefined {
  if (!r?.survivors.length) return undefined;
  const list = r.survivors
    .slice(0, 5)
    .map((s) => `pid ${s.pid} (${s.comm}, ${s.why})`)
    .join(', ');
  const more = r.survivors.length > 5 ? ` and ${r.survivors.length - 5} more` : '';
  return `${r.survivors.length} process${r.survivors.length === 1 ? '' : 'es'} the plugin left behind could not be killed by the runner and ${r.survivors.length === 1 ? 'is' : 'are'} still running: ${list}${more}; kill ${r.survivors.length === 1 ? 'it' : 'them'} by hand (the host never would)`;
}
