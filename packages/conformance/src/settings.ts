/**
 * The settings of a run: conformance.json (the plugin's, or --config), then the options of
 * runConformance over it; and which rules are judged (--only, --skip, conformance.json skips).
 */
import { KitError, RULES, matchRules, type RuleId } from '@bx-provider-kit/schemas';
import { DEFAULTS, PARALLEL_RANGE, loadConfig, type ConformanceConfig, type FaultModeName } from './config.js';
import type { ReportSettings } from './report.js';

export interface RunOptions {
  /** The provider NAME (default: provider.json, the single file in bin/, the archive name). */
  name?: string;
  /** A conformance.json to use instead of the plugin folder's. */
  configFile?: string;
  // Settings over conformance.json (the CLI's flags). undefined keeps the file's value.
  allowOrder?: boolean;
  configId?: string;
  callTimeoutMs?: number;
  slowMs?: number;
  lifecycleTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Extra environment for every plugin call (over conformance.json `env`). */
  env?: Record<string, string>;
  /** Rule ids or prefixes to judge (default: all). */
  only?: string[];
  /** Rule ids or prefixes to report skipped. */
  skip?: string[];
  /** Stop after the first phase with a failed rule. */
  bail?: boolean;
  /** Independent calls run at once (default 4). */
  concurrency?: number;
  /** CONC-*: how many orders (and help, configs, order_status calls) are made at once (default 4, 2 to 32; over conformance.json `parallel`). */
  parallel?: number;
  /** API-*: the fault modes probed (default all four: refused, blackhole, slow, 503; over conformance.json `faults`). */
  faults?: FaultModeName[];
  /** Live progress (one line per event). */
  onProgress?: (line: string) => void;
}

/** The settings of a run before conformance.json and the options are applied. */
export const DEFAULT_SETTINGS: Readonly<ReportSettings> = {
  allowOrder: false,
  callTimeoutMs: DEFAULTS.callTimeoutMs,
  slowMs: DEFAULTS.slowMs,
  lifecycleTimeoutMs: DEFAULTS.lifecycleTimeoutMs,
  pollIntervalMs: DEFAULTS.pollIntervalMs,
  parallel: DEFAULTS.parallel,
  faults: [...DEFAULTS.faults],
};

export interface Selection {
  selected: Set<RuleId>;
  /** Selected rules reported skipped, with the reason (conformance.json, --skip). */
  forced: Map<RuleId, string>;
}

/** The rules judged: --only (default all), minus conformance.json's and --skip's. */
export function selectRules(opts: RunOptions, cfg: ConformanceConfig): Selection {
  const selected = new Set<RuleId>();
  const forced = new Map<RuleId, string>();
  const pick = (sel: string, flag: string) => {
    const m = matchRules(sel);
    if (!m.length) throw new KitError(`${flag} ${sel}: no rule matches (try an id such as OUT-JSON or a prefix such as ARCH; list them with bx-provider-kit rules)`);
    return m;
  };
  if (opts.only?.length) for (const s of opts.only) for (const r of pick(s, '--only')) selected.add(r.id);
  else for (const r of RULES) selected.add(r.id);
  for (const s of cfg.skip ?? []) for (const r of matchRules(s.rule)) forced.set(r.id, `skipped by conformance.json: ${s.reason}`);
  for (const s of opts.skip ?? []) for (const r of pick(s, '--skip')) forced.set(r.id, 'skipped with --skip');
  return { selected, forced };
}

/** conformance.json (--config, else the first candidate that exists) under the options. */
export async function loadSettings(opts: RunOptions, candidates: string[]): Promise<{ cfg: ConformanceConfig; settings: ReportSettings }> {
  let cfg: ConformanceConfig = {};
  let file: string | undefined;
  if (opts.configFile) {
    cfg = (await loadConfig(opts.configFile, true))!;
    file = opts.configFile;
  } else {
    for (const c of candidates) {
      const got = await loadConfig(c, false);
      if (got) {
        cfg = got;
        file = c;
        break;
      }
    }
  }
  const flat: ConformanceConfig = {
    allowOrder: opts.allowOrder,
    configId: opts.configId,
    callTimeoutMs: opts.callTimeoutMs,
    slowMs: opts.slowMs,
    lifecycleTimeoutMs: opts.lifecycleTimeoutMs,
    pollIntervalMs: opts.pollIntervalMs,
    parallel: opts.parallel,
    faults: opts.faults?.length ? opts.faults : undefined,
  };
  const o: ConformanceConfig = {};
  for (const [k, v] of Object.entries(flat)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  for (const k of ['callTimeoutMs', 'slowMs', 'lifecycleTimeoutMs', 'pollIntervalMs'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new KitError(`${k} ${v}: give a positive number of milliseconds`);
  }
  const { min, max } = PARALLEL_RANGE;
  if (o.parallel !== undefined && (!Number.isInteger(o.parallel) || o.parallel < min || o.parallel > max)) throw new KitError(`parallel ${o.parallel}: give a whole number from ${min} to ${max}`);
  for (const f of o.faults ?? []) if (!DEFAULTS.faults.includes(f)) throw new KitError(`faults: unknown mode "${f}" (choose from ${DEFAULTS.faults.join(', ')})`);
  const merged: ConformanceConfig = { ...cfg, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
  merged.env = { ...(cfg.env ?? {}), ...(opts.env ?? {}) };
  merged.skip = [...(cfg.skip ?? [])];
  const callTimeoutMs = merged.callTimeoutMs ?? DEFAULTS.callTimeoutMs;
  const settings: ReportSettings = {
    allowOrder: merged.allowOrder ?? false,
    callTimeoutMs,
    slowMs: Math.min(merged.slowMs ?? DEFAULTS.slowMs, callTimeoutMs),
    lifecycleTimeoutMs: merged.lifecycleTimeoutMs ?? DEFAULTS.lifecycleTimeoutMs,
    pollIntervalMs: merged.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    parallel: merged.parallel ?? DEFAULTS.parallel,
    faults: [...new Set(merged.faults ?? DEFAULTS.faults)],
  };
  if (merged.configId !== undefined) settings.configId = String(merged.configId);
  if (file) settings.configFile = file;
  return { cfg: merged, settings };
}
