/** CFG-*: the answer to `configs` (CFG-SCHEMA and CFG-ID-SAFE from the schema). */
import type { RuleId } from '@bx-provider-kit/schemas';
import type { Ledger } from '../ledger.js';
import { success, type Call } from '../call.js';
import { show } from '../text.js';
import { judgeShape, skipAll } from './shape.js';

export const CFG_RULES = ['CFG-SCHEMA', 'CFG-EMPTY', 'CFG-ID-SAFE', 'CFG-ID-UNIQUE', 'CFG-ID-STRING'] as const satisfies readonly RuleId[];

/** The ids of a configs answer that are strings or numbers (what can be ordered). */
export function configIds(c: Call): (string | number)[] {
  const s = success(c);
  const list = 'value' in s && Array.isArray(s.value.configurations) ? (s.value.configurations as unknown[]) : [];
  return list
    .filter((x): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x))
    .map((x) => x.id)
    .filter((x): x is string | number => typeof x === 'string' || typeof x === 'number');
}

export function judgeConfigs(L: Ledger, configs: Call): void {
  const id = configs.id;
  const s = success(configs);
  if (!('value' in s)) return skipAll(L, CFG_RULES, s.why);
  const list = s.value.configurations;
  if (!Array.isArray(list)) {
    judgeShape(L, configs, ['CFG-SCHEMA']);
    skipAll(L, ['CFG-EMPTY', 'CFG-ID-SAFE', 'CFG-ID-UNIQUE', 'CFG-ID-STRING'], '"configurations" is not an array (CFG-SCHEMA)');
    return;
  }
  const ids = configIds(configs);
  // The id rules require at least one id to look at.
  const noIds = ids.length ? undefined : list.length ? 'no configuration has a usable id (CFG-SCHEMA)' : 'no configurations (CFG-EMPTY)';
  judgeShape(L, configs, ['CFG-SCHEMA', 'CFG-ID-SAFE'], new Map(noIds ? [['CFG-ID-SAFE', noIds]] : []));
  if (!list.length) L.warn('CFG-EMPTY', 'configs returned no configurations: nothing to order', { call: id });
  else L.ok('CFG-EMPTY', id);
  if (noIds) return skipAll(L, ['CFG-ID-UNIQUE', 'CFG-ID-STRING'], noIds);
  // Across items, which a schema cannot say: the same id twice.
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const x of ids) (seen.has(String(x)) ? dup : seen).add(String(x));
  if (dup.size) L.fail('CFG-ID-UNIQUE', `config id ${[...dup].map((d) => JSON.stringify(d)).join(', ')} appears more than once`, { call: id, excerpt: configs.rec.stdoutExcerpt });
  else L.ok('CFG-ID-UNIQUE', id);
  const nums = ids.filter((x) => typeof x === 'number');
  if (nums.length) L.warn('CFG-ID-STRING', `config id ${nums.map((n) => show(n)).join(', ')} is a JSON number (documented as a string: "${nums[0]}")`, { call: id });
  else L.ok('CFG-ID-STRING', id);
}
