/** The listing actions: list (bxProviders.pm) and orders_list, for one provider or all of them. */
import fs from 'node:fs';
import { perlTrue, type PerlHash } from './perl.js';
import { catfile, isDir, isFile, strerror } from './files.js';
import type { Out } from './outcome.js';
import { gate, optionsProvider, orderStatus } from './actions.js';
import type { HostRun } from './run.js';
import { Provider } from './provider.js';

export async function listOrders4Provider(run: HostRun, p: Provider): Promise<Out> {
  const o = await p.options();
  const g = gate(p, o, 'listOrders4Provider', 'order_status');
  if (g) return g;
  let entries: string[];
  try {
    entries = fs.readdirSync(p.tasks);
  } catch (e) {
    return { error: 1, message: `bxProvider: Cannot open dircetory ${p.tasks}: ${strerror(e)}` };
  }
  let output: PerlHash | null = null;
  for (const taskId of entries) {
    const fn = catfile(p.tasks, taskId);
    let mtime: number | null = null;
    try {
      mtime = Math.floor(fs.statSync(fn).mtimeMs / 1000);
    } catch {
      mtime = null;
    }
    if (!isFile(fn)) continue;
    const st = await orderStatus(run, p, taskId);
    output ??= Object.create(null) as PerlHash;
    const mine = ((output[p.nameStr] as PerlHash | undefined) ??= Object.create(null) as PerlHash);
    if (run.isError(st)) {
      run.isError(st); // `error => $task_status->is_error` logs a second time
      mine[taskId] = { error: st.errorRaw ?? st.error, message: st.message ?? null, mtime };
    } else {
      const d = (st.data![1] as PerlHash)[p.nameStr] as PerlHash;
      mine[taskId] = {
        error: perlTrue(d.error) ? d.error : 0,
        message: perlTrue(d.message) ? d.message : '',
        status: d.status ?? null,
        mtime,
      };
    }
  }
  return { error: 0, data: ['provider_order_list', output] };
}

function readBase(run: HostRun, typo: boolean): string[] | Out {
  try {
    return fs.readdirSync(run.base);
  } catch (e) {
    return { error: 1, message: `bxProviders: Cannot open ${typo ? 'dircetory' : 'directory'} ${run.base}: ${strerror(e)}` };
  }
}

export async function listOrders4Providers(run: HostRun): Promise<Out> {
  const names = readBase(run, false);
  if (!Array.isArray(names)) return names;
  const output: PerlHash = Object.create(null);
  for (const name of names) {
    if (!isDir(catfile(run.base, name))) continue;
    const r = await listOrders4Provider(run, new Provider(run, name));
    if (run.isError(r)) continue;
    const d = r.data![1] as PerlHash | null;
    output[name] = d === null ? null : (d[name] ?? null);
  }
  return { error: 0, data: ['provider_order_list', output] };
}

export async function listProviders(run: HostRun): Promise<Out> {
  const names = readBase(run, true);
  if (!Array.isArray(names)) return names;
  const output: PerlHash = Object.create(null);
  for (const name of names) {
    if (!isDir(catfile(run.base, name))) continue;
    const p = new Provider(run, name);
    const r = await optionsProvider(run, p);
    if (run.isError(r)) {
      run.isError(r); // logged twice, as `error => $provider_opt->is_error` calls it again
      output[name] = { error: r.errorRaw ?? r.error, message: r.message ?? null };
    } else {
      output[name] = { status: (await p.options()).status };
    }
  }
  return { error: 0, data: ['providers', output] };
}
