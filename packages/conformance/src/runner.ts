/**
 * The conformance runner: runs a plugin as the host does and judges every rule of
 * host contract §5 (docs/rules.md) that applies to the target.
 *
 * Phases: target (targets.ts) and settings (settings.ts) → PKG-* / ARCH-* → the independent
 * calls, concurrently (help and configs twice, from the plugin folder, with an open stdin, and
 * the bad-argument probes) → the order lifecycle (lifecycle.ts) → side by side, the API fault
 * probes (api-probes.ts) and the concurrency probes (concurrency.ts) → the host round trip
 * (host-trip.ts). Calls go through the harness (harness.ts); every verdict comes from a judge
 * of rules/ and lands in the Ledger.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { RULES, readDocumentFile, type RuleId } from '@bx-provider-kit/schemas';
import { checkPluginFolder } from '@bx-provider-kit/packer';
import { answerKey, success, type Call } from './call.js';
import type { ConformanceConfig } from './config.js';
import { RUN_MARKER_VAR, Run, baseEnv } from './harness.js';
import { hostRoundTrip } from './host-trip.js';
import { runApiProbes } from './api-probes.js';
import { runConcurrency } from './concurrency.js';
import { LIFECYCLE_RULES, runLifecycle, stdinBudget, type LifecycleResult } from './lifecycle.js';
import { limiter } from './pool.js';
import { addMarker, describeSurvivors, releaseHandlers, removeMarker, type SweepResult } from './proc.js';
import type { Report } from './report.js';
import { configIds, judgeConfigs } from './rules/configs.js';
import { judgeBadArgs } from './rules/errors.js';
import { judgeHelp } from './rules/help.js';
import { ARCHIVE_RULES, PACKAGE_RULES, judgePackage } from './rules/package.js';
import { judgeCwd, judgeDeterministic, judgeStdin } from './rules/running.js';
import { skipAll } from './rules/shape.js';
import { DEFAULT_SETTINGS, loadSettings, selectRules, type RunOptions } from './settings.js';
import { prepareArchive, resolveTarget } from './targets.js';
import { makeTemp, releaseTemp } from './temp.js';
import { jsonEqual } from './text.js';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export { RUN_MARKER_VAR } from './harness.js';
export { checkName, nameFromArchive } from './targets.js';
export type { ResolvedTarget } from './harness.js';
export type { RunOptions } from './settings.js';
export type { HostRun, HostState } from './harness.js';

/** What the runner says when order rules cannot run. */
export const NO_ORDER_REASON =
  'ordering is not allowed (it may cost money): pass --allow-order or set "allowOrder": true in conformance.json';

const UNKNOWN_ACTION = 'bxkit-no-such-action';
const UNKNOWN_TASK = 'bxkit-no-such-task-7305';
const UNKNOWN_CONFIG = 'bxkit-no-such-config-7305';

/** Runs the conformance suite on a plugin folder, an archive or an executable. */
export async function runConformance(target: string, options: RunOptions = {}): Promise<Report> {
  const run = new Run(options);
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  run.tmp = await makeTemp('bxk-run-');
  // Every plugin process of this run carries this variable: whatever escapes its process group
  // (setsid) is still found and killed at the end.
  run.marker = `${RUN_MARKER_VAR}=${path.basename(run.tmp)}-${process.pid}`;
  addMarker(run.marker);
  // Leftovers are also found by the cgroup, the parent chain and the run's folder (proc.ts).
  run.tracker.watch({ marker: run.marker, dirs: [run.tmp] });
  let swept: SweepResult | undefined;
  try {
    await execute(run, target);
  } finally {
    swept = run.tracker.killAll();
    removeMarker(run.marker);
    releaseHandlers();
    await releaseTemp(run.tmp);
  }
  const unkilled = describeSurvivors(swept);
  if (unkilled) run.ledger.warn('RUN-TIMEOUT', unkilled);
  explainUnchecked(run);
  const rules = run.ledger.results(run.selected, run.forced);
  if (run.bailed) {
    for (const r of rules) {
      if (r.status === 'skipped' && !run.forced.has(r.id as RuleId) && r.message.startsWith('not checked')) {
        r.message = 'not reached: --bail stopped the run after the first failure';
      }
    }
  }
  const summary = { passed: 0, failed: 0, warned: 0, skipped: 0 };
  for (const r of rules) summary[r.status]++;
  const { archiveFile: _a, cwdDir: _c, runnable: _r, notRunnableWhy: _n, configCandidates: _cc, ...tgt } = run.target;
  const report: Report = {
    tool: 'bx-provider-kit',
    version: VERSION,
    target: tgt,
    settings: run.settings,
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    rules,
    calls: run.calls.filter(Boolean).map((c) => c.rec),
    hostCalls: run.hostCalls,
    summary,
    ok: summary.failed === 0,
    bailed: run.bailed,
  };
  return report;
}

/** A reason for every rule that no call reached (instead of a bare "not checked"). */
function explainUnchecked(run: Run): void {
  const L = run.ledger;
  const calls = run.calls.filter(Boolean);
  // "help could not start (RUN-CRASH)" -> "could not start (RUN-CRASH)": one line for many calls
  const whys = [...new Set(calls.map((c) => c.why?.replace(/^\S+ /, '')).filter((w): w is string => !!w))];
  const answered = calls.filter((c) => c.answer);
  for (const id of run.selected) {
    if (!L.untouched(id)) continue;
    const def = RULES.find((r) => r.id === id)!;
    if (!['output', 'errors', 'running'].includes(def.area)) continue;
    if (!calls.length) L.skip(id, 'no plugin call was made');
    else if (!answered.length) L.skip(id, `no call gave an answer to judge: the calls ${whys.slice(0, 3).join('; ')}`);
    else if (id === 'ERR-TYPE' || id === 'ERR-MESSAGE') L.skip(id, 'no call answered with an error, so there was no error answer to check');
    else if (id === 'OUT-STDERR' || id === 'ERR-SUCCESS-KEY') L.skip(id, 'no call answered with success');
    else if (whys.length) L.skip(id, `no call reached this check (${whys.slice(0, 3).join('; ')})`);
  }
}

async function execute(run: Run, targetPath: string): Promise<void> {
  const L = run.ledger;
  run.target = await resolveTarget(targetPath, run.opts.name);
  const t = run.target;
  // Settings: for an archive, conformance.json comes from --config or the unpacked copy, so
  // the archive goes first when there is no --config.
  const select = (cfg: ConformanceConfig) => {
    const s = selectRules(run.opts, cfg);
    run.selected = s.selected;
    run.forced = s.forced;
  };
  const home = path.join(run.tmp, 'home');
  await fs.mkdir(home, { recursive: true });
  if (t.kind === 'archive' && !run.opts.configFile) {
    // A cheap pass for --only/--skip given on the command line (config skips come after).
    select({});
    run.settings = { ...DEFAULT_SETTINGS };
    run.env = { ...baseEnv(home), ...run.markerEnv() };
    await prepareArchive(run);
    const { cfg, settings } = await loadSettings(run.opts, t.configCandidates);
    run.settings = settings;
    select(cfg);
    run.env = { ...baseEnv(home), ...(cfg.env ?? {}), ...run.markerEnv() };
  } else {
    const { cfg, settings } = await loadSettings(run.opts, t.configCandidates);
    run.settings = settings;
    select(cfg);
    run.env = { ...baseEnv(home), ...(cfg.env ?? {}), ...run.markerEnv() };
    if (t.kind === 'archive') await prepareArchive(run);
  }
  const settings = run.settings;
  run.progress(`testing ${t.kind} ${t.path} as provider ${t.name}`);

  // ---- PKG-* (the folder, or the installed copy of an archive), ARCH-* (archives only)
  const hs = run.hostState;
  if (t.kind === 'executable' && !t.pluginDir) skipAll(L, PACKAGE_RULES, 'the target is a bare executable, not a plugin folder');
  else if (t.kind === 'archive' && hs?.extractError) skipAll(L, PACKAGE_RULES, t.notRunnableWhy ?? 'the archive could not be unpacked');
  else if (t.pluginDir && (await fs.stat(t.pluginDir).catch(() => null))) {
    // The packer reads provider.json whole: a FIFO or a huge file there must not hang the run.
    const manifestWhy = await readDocumentFile(path.join(t.pluginDir, 'provider.json')).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : e.message),
    );
    if (manifestWhy) skipAll(L, PACKAGE_RULES, `${manifestWhy}: the runner does not read it further`);
    else judgePackage(L, await checkPluginFolder(t.pluginDir, { name: t.name }), hs?.salvagedBecause);
  }
  else skipAll(L, PACKAGE_RULES, t.notRunnableWhy ?? 'no plugin folder');
  if (t.kind !== 'archive') {
    skipAll(L, ARCHIVE_RULES, t.kind === 'folder' ? 'the target is a folder: pack it (bx-provider-kit pack) and test the archive to check ARCH-*' : 'the target is not an archive');
  }
  if (run.shouldStop()) return;

  if (!t.runnable) {
    const why = t.notRunnableWhy ?? `bin/${t.name} cannot be run`;
    skipAll(L, RULES.filter((r) => r.area !== 'package' && r.area !== 'archive').map((r) => r.id), `no call was made: ${why}`);
    return;
  }

  // ---- independent calls, concurrently
  if (!run.wants('OUT', 'ERR', 'HELP', 'CFG', 'RUN', 'ORD', 'STAT', 'LIFE', 'HOST', 'API', 'CONC')) return; // only PKG-*/ARCH-* asked for
  const lim = limiter(Math.max(1, run.opts.concurrency ?? 4));
  const allowOrder = settings.allowOrder;
  // The order probes place no order on a correct plugin, but a broken one might: only when the
  // rules they serve are judged.
  const orderProbes = allowOrder && run.wants('ERR', 'OUT', 'RUN');
  const calls = {
    help: lim(() => run.call('help', [], { purpose: 'help, as the host runs it before every action' })),
    help2: lim(() => run.call('help', [], { purpose: 'help again (RUN-DETERMINISTIC)' })),
    helpCwd: lim(() => run.call('help', [], { purpose: 'help from the plugin folder as cwd (RUN-CWD)', cwd: 'plugin', label: 'help (cwd = plugin folder)' })),
    configs: lim(() => run.call('configs', [], { purpose: 'configs' })),
    configs2: lim(() => run.call('configs', [], { purpose: 'configs again (RUN-DETERMINISTIC)' })),
    configsCwd: lim(() =>
      run.call('configs', [], { purpose: 'configs from the plugin folder as cwd (RUN-CWD)', cwd: 'plugin', label: 'configs (cwd = plugin folder)' }),
    ),
    noTask: lim(() => run.call('order_status', [], { purpose: 'order_status without a task id (ERR-BAD-ARGS)', label: 'order_status (no task id)' })),
    badTask: lim(() => run.call('order_status', [UNKNOWN_TASK], { purpose: 'order_status for a task that never existed (ERR-BAD-ARGS)' })),
    badAction: lim(() => run.call(UNKNOWN_ACTION, [], { purpose: 'an unknown action (ERR-BAD-ARGS)' })),
    noConfig: orderProbes ? lim(() => run.call('order', [], { purpose: 'order without a config id (ERR-BAD-ARGS)', label: 'order (no config id)' })) : undefined,
  };
  const stdinProbe = async (base: Promise<Call>, action: string, args: string[] = []) => {
    const b = await base;
    if (b.res.timedOut || b.res.spawnError) return { base: b, probe: undefined };
    const budget = stdinBudget(settings, b);
    const what = [action, ...args].join(' ');
    const probe = await lim(() =>
      run.call(action, args, { purpose: `${what} with an open, never-written stdin (RUN-STDIN)`, stdin: 'open', budgetMs: budget, label: `${what} (stdin open)` }),
    );
    return { base: b, probe };
  };
  // Every action the run calls is probed: help and configs here, order_status here on an unknown
  // task and in the lifecycle on the real one, order in the lifecycle (only when ordering is allowed).
  const stdinHelp = run.wants('RUN-STDIN') ? stdinProbe(calls.help, 'help') : undefined;
  const stdinConfigs = run.wants('RUN-STDIN') ? stdinProbe(calls.configs, 'configs') : undefined;
  const stdinStatus = run.wants('RUN-STDIN') ? stdinProbe(calls.badTask, 'order_status', [UNKNOWN_TASK]) : undefined;
  const help = await calls.help;
  const configs = await calls.configs;
  // The unknown config id probe needs the list of ids.
  const cfgIds = configIds(configs).map(String);
  let unknownConfig = UNKNOWN_CONFIG;
  while (cfgIds.includes(unknownConfig)) unknownConfig += 'x';
  const badConfig = orderProbes
    ? lim(() => run.call('order', [unknownConfig], { purpose: 'order an unknown config id (ERR-BAD-ARGS)' }))
    : undefined;
  const [help2, helpCwd, configs2, configsCwd, noTask, badTask, badAction, noConfig, badCfg, sHelp, sConfigs, sStatus] = await Promise.all([
    calls.help2,
    calls.helpCwd,
    calls.configs2,
    calls.configsCwd,
    calls.noTask,
    calls.badTask,
    calls.badAction,
    calls.noConfig,
    badConfig,
    stdinHelp,
    stdinConfigs,
    stdinStatus,
  ]);

  judgeHelp(L, help);
  judgeConfigs(L, configs);
  judgeDeterministic(L, [help, help2], [configs, configs2]);
  judgeCwd(L, [help, help2, helpCwd], [configs, configs2, configsCwd]);
  judgeStdin(L, [sHelp, sConfigs, sStatus]);
  judgeBadArgs(L, [
    { c: noTask, what: 'order_status without a task id' },
    { c: badTask, what: 'order_status for a task that never existed' },
    { c: badAction, what: 'an unknown action' },
    ...(noConfig ? [{ c: noConfig, what: 'order without a config id' }] : []),
    ...(badCfg ? [{ c: badCfg, what: 'order with an unknown config id' }] : []),
  ]);
  if (!allowOrder) L.note('ERR-BAD-ARGS', 'the order probes were not run: ordering is not allowed (--allow-order)');
  if (run.shouldStop()) return;

  // ---- the order lifecycle, in order
  let lifecycle: LifecycleResult | undefined;
  if (!allowOrder) {
    skipAll(L, LIFECYCLE_RULES, NO_ORDER_REASON);
  } else if (run.wants('ORD', 'STAT', 'LIFE', 'HOST')) {
    lifecycle = await runLifecycle(run, configs, cfgIds);
  }
  if (run.shouldStop()) return;

  // ---- issue 13: the API failing (fault proxy) and calls made at once, side by side
  {
    const configId = allowOrder ? lifecycle?.configId ?? settings.configId ?? cfgIds[0] : undefined;
    const noOrderWhy = allowOrder ? 'no configuration to order (see the lifecycle rules)' : NO_ORDER_REASON;
    await Promise.all([
      run.wants('API') ? runApiProbes(run, { configId, noOrderWhy }) : undefined,
      run.wants('CONC') ? runConcurrency(run, { help, configs, configId, noOrderWhy }) : undefined,
    ]);
  }
  if (run.shouldStop()) return;

  // ---- the host round trip
  if (run.wants('HOST')) {
    await hostRoundTrip(run, run.hostState ?? { root: path.join(run.tmp, 'host'), installedByHost: false, installMessage: '' }, {
      help: success(help),
      configs: success(configs),
      configId: lifecycle?.configId,
      oversized: new Set(run.calls.filter((c) => c?.res.cut).map((c) => c.action)),
      configsStable: jsonEqual(answerKey(configs), answerKey(configs2)),
      lifecycleEnded: lifecycle?.final !== undefined,
    });
  }
}

