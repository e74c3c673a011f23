/**
 * conformance.json: how to test a plugin. Validated against schemas/conformance.schema.json;
 * a bad file is a KitError (exit 2) naming the file, the line and the key.
 */
import { KitError, MAX_DOCUMENT_DEPTH, depthOver, getSchema, matchRules, readDocumentFile, readPluginStdout, validate } from '@bx-provider-kit/schemas';

/** A conformance.json as the schema (schemas/conformance.schema.json) types it. */
type ConformanceFile = import('@bx-provider-kit/schemas').Conformance;

export type SkipEntry = NonNullable<ConformanceFile['skip']>[number];
export type FaultModeName = NonNullable<ConformanceFile['faults']>[number];

/** A parsed conformance.json: the file's keys, with configId as the string the host passes on. */
export interface ConformanceConfig extends Omit<ConformanceFile, '$schema' | 'configId' | 'env' | 'faults'> {
  configId?: string;
  env?: Record<string, string>;
  faults?: FaultModeName[];
}

const PROPERTIES = (getSchema('conformance') as { properties: Record<string, { default?: unknown; minimum?: number; maximum?: number }> }).properties;
const schemaDefault = <T>(key: string): T => {
  const d = PROPERTIES[key]?.default;
  if (d === undefined) throw new Error(`schemas/conformance.schema.json gives no default for ${key}`);
  return d as T;
};

/** The defaults of the settings: the schema's `default`s, so the docs, editors and the runner agree. */
export const DEFAULTS = {
  callTimeoutMs: schemaDefault<number>('callTimeoutMs'),
  slowMs: schemaDefault<number>('slowMs'),
  lifecycleTimeoutMs: schemaDefault<number>('lifecycleTimeoutMs'),
  pollIntervalMs: schemaDefault<number>('pollIntervalMs'),
  parallel: schemaDefault<number>('parallel'),
  faults: schemaDefault<readonly FaultModeName[]>('faults'),
} as const;

/** How many calls the CONC-* probes may make at once: the schema's bounds of `parallel`. */
export const PARALLEL_RANGE = { min: PROPERTIES.parallel!.minimum!, max: PROPERTIES.parallel!.maximum! } as const;

/** The keys a conformance.json may hold: the schema's properties. */
export const CONFIG_KEYS: readonly string[] = Object.keys(PROPERTIES);

/** The 1-based line of the first `"key":` in the raw text (0 when not found). */
export function lineOfKey(text: string, key: string): number {
  const esc = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`${esc}\\s*:`).exec(text);
  if (!m) return 0;
  return text.slice(0, m.index).split('\n').length;
}

function lineOfOffset(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Parses and validates the text of a conformance.json; `file` names it in errors. */
export function parseConfig(text: string, file: string): ConformanceConfig {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const msg = (e as Error).message;
    let pos = /position (\d+)/.exec(msg)?.[1];
    if (pos === undefined) {
      // Node 20 does not always say where: ask the strict parser of the kit (byte offsets).
      const r = readPluginStdout(Buffer.from(text.replace(/^\uFEFF/, ''), 'utf8'));
      if (!r.ok) pos = /offset (\d+)/.exec(r.message)?.[1];
    }
    const where = pos !== undefined ? `:${lineOfOffset(text, Number(pos))}` : '';
    throw new KitError(`${file}${where}: not valid JSON (${msg.replace(/^JSON\.parse: /, '')}); fix the syntax`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new KitError(`${file}: must be a JSON object such as {"allowOrder": true}`);
  }
  if (depthOver(value, MAX_DOCUMENT_DEPTH)) {
    throw new KitError(`${file}: arrays and objects nest more than ${MAX_DOCUMENT_DEPTH} deep; a conformance.json is a flat object of settings`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!CONFIG_KEYS.includes(key)) {
      const line = lineOfKey(text, key);
      throw new KitError(
        `${file}${line ? `:${line}` : ''}: unknown key "${key}" (allowed: ${CONFIG_KEYS.filter((k) => k !== '$schema').join(', ')})`,
      );
    }
  }
  const res = validate('conformance', obj);
  if (!res.ok) {
    const p = res.problems[0]!;
    const top = p.path.split('/').filter(Boolean)[0];
    const line = top ? lineOfKey(text, top) : 0;
    const msg = p.message.replace(/^\/\S*:\s*/, '').replace(/\s*\(SCHEMA\)$/, '');
    throw new KitError(`${file}${line ? `:${line}` : ''}: ${p.path ? `${p.path}: ` : ''}${msg} (see schemas/conformance.schema.json)`);
  }
  const cfg: ConformanceConfig = {};
  if (obj.configId !== undefined) cfg.configId = String(obj.configId);
  if (obj.allowOrder !== undefined) cfg.allowOrder = obj.allowOrder as boolean;
  if (obj.env !== undefined) cfg.env = obj.env as Record<string, string>;
  for (const k of ['callTimeoutMs', 'slowMs', 'lifecycleTimeoutMs', 'pollIntervalMs', 'parallel'] as const) {
    if (obj[k] !== undefined) cfg[k] = obj[k] as number;
  }
  if (obj.faults !== undefined) cfg.faults = obj.faults as FaultModeName[];
  if (obj.skip !== undefined) {
    cfg.skip = obj.skip as SkipEntry[];
    for (const s of cfg.skip) {
      if (!matchRules(s.rule).length) {
        throw new KitError(`${file}:${lineOfKey(text, 'skip')}: skip: no rule matches "${s.rule}" (run bx-provider-kit rules for the ids)`);
      }
    }
  }
  return cfg;
}

/** The most a conformance.json may weigh (a real one is a few hundred bytes). */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/** Reads a conformance.json; a missing file is a KitError when `required`, else undefined. */
export async function loadConfig(file: string, required: boolean): Promise<ConformanceConfig | undefined> {
  let text: string;
  try {
    // a regular file of at most 1 MiB: a FIFO or /dev/zero must not hang the run or eat memory
    text = (await readDocumentFile(file, CONFIG_MAX_BYTES)).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!required && code === 'ENOENT') return undefined;
    throw new KitError(`${(e as Error).message}${required ? ' (check the path given to --config)' : ''}`);
  }
  return parseConfig(text, file);
}
