/**
 * The emulator's command line and answers as the public API names them: the actions of `-a`,
 * the options of a Host and of one run, what a run returns, the limits and the usage text.
 */
import type { ChildProcess } from 'node:child_process';
import type { SpawnedCall } from './process.js';

/** The actions bx-provider accepts with `-a` (`pool` is accepted, then answered "Unknown action"). */
export const HOST_ACTIONS = ['status', 'list', 'install', 'uninstall', 'pool', 'configs', 'order', 'orders_list', 'order_status', 'order_to_host'] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];

export interface HostOptions {
  /** The folder standing for /opt/webdir: ROOT/providers, ROOT/logs, ROOT/pool. */
  root: string;
  /** Whether a root this Host creates gets a server pool (default true). Existing roots keep theirs. */
  pool?: boolean;
  /**
   * Wraps each plugin call's spawn, which it must call synchronously and return: e.g. a
   * conformance run's tracker starts the call inside the run's cgroup and registers it at fork
   * time (`(start, call) => tracker.spawnCall(start, call.cwd)`). Default: just spawn.
   */
  spawnWith?: (start: () => ChildProcess, call: SpawnedCall) => ChildProcess;
}

export interface RunOptions {
  /** `-a`: default `list`. Anything else than the ten actions prints the usage (exit 0). */
  action?: string;
  /** `--provider` */
  provider?: string;
  /** `--config_id` */
  configId?: string;
  /** `--task_id` */
  taskId?: string;
  /** `--archive`, relative to `cwd` */
  archive?: string;
  /** `-o`: json, plain (default), text, txt; anything else prints the usage (exit 0). */
  output?: string;
  /** `-v`: changes nothing visible, as on the real host (creates logs/providers.debug on install). */
  verbose?: boolean;
  /** Environment of the plugin calls (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Working directory of the plugin calls and base of a relative archive (default: process.cwd()). */
  cwd?: string;
  /**
   * Budget of one plugin call, until its stdout ends and it exits; default: wait forever, as the
   * host does (at most MAX_CALL_TIMEOUT_MS). Past it the emulator kills the call's process group,
   * stops waiting on its pipes (a process that left the group may still hold them), marks the
   * call `timedOut` and stops the run: nothing on stdout, a line on stderr, exit 2, `result.timedOut`.
   */
  callTimeoutMs?: number;
  /**
   * What the emulator keeps of one plugin call's stdout, and of stderr (per call and for the
   * whole run); default OUTPUT_CAP_BYTES (16 MiB). A plugin printing more on stdout stops the run
   * (exit 2, `result.overflow`); more on stderr is still forwarded to `onStderr` but not kept.
   */
  maxOutputBytes?: number;
  /** The plugins' stdin: 'ignore' (default) or 'inherit' (the real host passes the caller's). */
  stdin?: 'ignore' | 'inherit';
  /**
   * Receives stderr (plugin stderr and the host's warnings) as it happens. Back-pressure: when it
   * returns a promise (e.g. until a full `process.stderr` drains), the plugin's stderr is not read
   * until it settles, so a plugin writing gigabytes to a slow reader costs no memory.
   */
  onStderr?: (chunk: Buffer) => unknown;
}

export interface PluginCall {
  /** As the process got it: the executable, then its arguments (`[ROOT/providers/N/bin/N, 'order', '1']`). */
  argv: string[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  /** stdout went past `maxOutputBytes`: `stdout` holds the first bytes only and the call was killed. */
  stdoutTruncated: boolean;
  /** stderr went past `maxOutputBytes`: `stderr` holds the first bytes only (all of it was forwarded). */
  stderrTruncated: boolean;
}

export interface HostResult {
  /** stdout as text (UTF-8); `stdoutBytes` holds the exact bytes. */
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
  exitCode: number;
  /** stdout parsed, when it is JSON. */
  json?: unknown;
  calls: PluginCall[];
  /** Set when the emulator refused to run a shell line the real host would have run (exit 2). */
  refused?: { line: string; reason: string };
  /**
   * Set when a plugin printed more than `maxOutputBytes` on stdout: the emulator stopped reading,
   * killed the call and answered nothing on stdout, exit 2 (the real host would have buffered it all).
   */
  overflow?: { argv: string[]; limitBytes: number };
  /**
   * Set when a plugin call went past `callTimeoutMs`: the emulator killed its process group and
   * answered nothing on stdout, exit 2, saying so on stderr (the real host would still be waiting).
   */
  timedOut?: { argv: string[]; limitMs: number };
}

/** Default of `maxOutputBytes`: 16 MiB kept of a plugin call's stdout, and of stderr. */
export const OUTPUT_CAP_BYTES = 16 * 1024 * 1024;

/** The largest timer Node keeps (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_CALL_TIMEOUT_MS = 2 ** 31 - 1;

const USAGE_ACTIONS = HOST_ACTIONS.join('|');

/** The usage text bx-provider prints for -h and for an unknown -a or -o value (exit 0). */
export function usageText(prog = 'bx-provider'): string {
  return (
    `Usage: ${prog} [-vh] [-a ${USAGE_ACTIONS}] [--provider provider_name] \n` +
    `   [--config_id configuration_id] [--task_id configuration_task_id] [--archive /path/to/archive.tar.gz ] \n` +
    `Options:\n` +
    `  -h|--help    - show this message\n` +
    `  -v|--verbose - verbose mode\n` +
    `  -a|--action  - action: ${USAGE_ACTIONS}\n` +
    `  -o|--output  - output format: json, plain (text, txt)\n` +
    `  --provider   - provider name (the folder in providers/ and its bin/NAME)\n` +
    `  --archive    - archive to install (.tar.gz, .tar.bz2, .zip)\n` +
    `  --config_id  - configuration id to order\n` +
    `  --task_id    - task id returned by order\n` +
    ` Examples:\n` +
    `  * list installed providers\n ${prog} -o json\n` +
    `  * status and supported options of a provider\n ${prog} -a status --provider NAME\n` +
    `  * install a provider from an archive\n ${prog} -a install --provider NAME --archive /tmp/NAME.tar.gz\n` +
    `  * uninstall a provider\n ${prog} -a uninstall --provider NAME\n` +
    `  * list configurations\n ${prog} -a configs --provider NAME\n` +
    `  * order a configuration\n ${prog} -a order --provider NAME --config_id 123\n` +
    `  * status of an order\n ${prog} -a order_status --provider NAME --task_id 987\n` +
    `  * add the ordered server to the pool once it is finished\n ${prog} -a order_to_host --provider NAME --task_id 987\n` +
    `  * orders and their statuses\n ${prog} -a orders_list --provider NAME\n` +
    ` \n`
  );
}
