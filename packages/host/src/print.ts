/** Output::print: an answer as bx-provider prints it, JSON (`-o json`) or the plain lines. */
import { encodeJsonPP, perlNumify, perlStr, perlStringRefDisplay, perlTrue, type PerlHash, type PerlValue } from './perl.js';
import type { Out } from './outcome.js';
import type { HostRun } from './run.js';

export function print(run: Pick<HostRun, 'warn' | 'die'>, out: Out, format: 'json' | 'plain'): string {
  if (format === 'json') {
    const h: PerlHash = Object.create(null);
    if (out.error > 0) h.error = out.errorRaw ?? out.error;
    if (perlTrue(out.message)) h.message = out.message!;
    if (out.data) h.params = { [out.data[0]]: out.data[1] };
    return encodeJsonPP(h);
  }
  let s = '';
  if (out.data) {
    const [type, info] = out.data;
    const byName = (info ?? {}) as PerlHash;
    const names = Object.keys(byName).sort();
    if (type === 'provider_options') {
      for (const n of names) {
        const d = byName[n] as PerlHash;
        const opts = (d.options ?? {}) as PerlHash;
        const on = Object.keys(opts)
          .sort()
          .filter((k) => perlNumify(opts[k]).n === 1);
        s += `provider:options:${n}:${perlStr(d.status)}:${on.join(',')}\n`;
      }
    } else if (type === 'provider_configs') {
      for (const n of names) {
        const d = byName[n] as PerlHash;
        const confs = d.configurations;
        let list: PerlValue[] = [];
        if (confs === undefined || confs === null) list = [];
        else if (Array.isArray(confs)) list = confs;
        else if (typeof confs === 'string' || typeof confs === 'number')
          run.die(`Can't use string (${perlStringRefDisplay(perlStr(confs))}) as an ARRAY ref while "strict refs" in use`, 'Output.pm', 663);
        else run.die('Not an ARRAY reference', 'Output.pm', 663);
        const field = (pc: PerlValue, k: string): PerlValue | undefined => {
          if (pc === null || pc === undefined) return undefined;
          if (Array.isArray(pc) || typeof pc === 'boolean') run.die('Not a HASH reference', 'Output.pm', 663);
          if (typeof pc !== 'object') run.die(`Can't use string (${perlStringRefDisplay(perlStr(pc))}) as a HASH ref while "strict refs" in use`, 'Output.pm', 663);
          return (pc as PerlHash)[k];
        };
        if (list.length > 1) list.forEach((pc) => field(pc, 'id'));
        const sorted = list
          .map((pc, i) => ({ pc, i, n: perlNumify(field(pc, 'id') ?? null).n }))
          .sort((a, b) => a.n - b.n || a.i - b.i)
          .map((x) => x.pc);
        for (const pc of sorted) {
          const id = field(pc, 'id');
          const desc = field(pc, 'descr');
          if (id === undefined || id === null) run.warn('Use of uninitialized value $id in concatenation (.) or string', 'Output.pm', 667);
          if (desc === undefined || desc === null) run.warn('Use of uninitialized value $desc in concatenation (.) or string', 'Output.pm', 667);
          s += `provider:configs:${n}:${perlStr(d.status)}:${perlStr(id)}:${perlStr(desc)}\n`;
        }
      }
    } else if (type === 'provider_order') {
      for (const n of names) {
        const task = (byName[n] as PerlHash).task_id;
        if (task === undefined || task === null) run.warn('Use of uninitialized value $provider_task in concatenation (.) or string', 'Output.pm', 677);
        s += `provider:order:${n}:${perlStr(task)}`;
      }
    } else if (type === 'providers') {
      for (const n of names) {
        const st = (byName[n] as PerlHash).status;
        s += `provider:status:${n}:${perlTrue(st) ? perlStr(st) : 'error'}\n`;
      }
    } else if (type === 'provider_order_list') {
      for (const n of names) {
        const tasks = (byName[n] ?? {}) as PerlHash;
        for (const t of Object.keys(tasks).sort()) {
          const e = tasks[t] as PerlHash;
          if (e.status === undefined || e.status === null) run.warn('Use of uninitialized value $st in concatenation (.) or string', 'Output.pm', 707);
          if (e.mtime === undefined || e.mtime === null) run.warn('Use of uninitialized value $mtime in concatenation (.) or string', 'Output.pm', 707);
          const error = perlTrue(e.error) ? perlStr(e.error) : '';
          const msg = perlTrue(e.message) ? perlStr(e.message) : '';
          s += `provider:orders:${n}:${t}:${perlStr(e.status)}:${perlStr(e.mtime)}:${error}:${msg}\n`;
        }
      }
    }
  }
  if (perlTrue(out.message)) s += `message:${out.message}\n`;
  if (out.error) s += `error:${perlStr(out.errorRaw ?? out.error)}\n`;
  return s;
}
