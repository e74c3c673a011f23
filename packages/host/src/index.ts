export { Host } from './host.js';
export { initRoot } from './root.js';
export { purge } from './install.js';
export { killPluginCalls } from './run.js';
export { usageText, HOST_ACTIONS, OUTPUT_CAP_BYTES, MAX_CALL_TIMEOUT_MS } from './options.js';
export { withPoolLock } from './pool.js';
export type { HostOptions, RunOptions, HostResult, PluginCall, HostAction } from './options.js';
/** The emulator's per-action options under their own name (conformance has a RunOptions too). */
export type { RunOptions as HostRunOptions } from './options.js';
export { hasPool, readPool, poolFile, isServerAddress } from './pool.js';
export type { PoolHost, PoolInventory } from './pool.js';
export { planShellLine } from './shell.js';
export type { Segment, ShellPlan } from './shell.js';
export { decodeJsonPP, encodeJsonPP } from './perl.js';
export { startProcess, killGroup, groupAlive, CappedSink } from './process.js';
export type { ProcessOptions, ProcessOutcome, RunningProcess, SpawnedCall } from './process.js';
