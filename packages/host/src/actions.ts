/**
 * The actions that ask the plugin (bxProvider.pm): status (`help`), configs, order and
 * order_status, and how their answers are wrapped for Output::print.
 */
import fs from 'node:fs';
import path from 'node:path';
import { perlEmpty, perlIs, perlStr, type PerlHash } from './perl.js';
import { catfile, inside, isDir, isFile, strerror, writeNoFollow } from './files.js';
import { Refused, type Out } from './outcome.js';
import type { HostRun } from './run.js';
import type { Provider, ProviderOptions } from './provider.js';

export function gate(p: Provider, o: ProviderOptions, sub: string, option: keyof ProviderOptions['options']): Out | undefined {
  const m = perlIs(perlStr(o.status), 'not_exists', 'disabled');
  if (m) return { error: 1, message: `bxProvider::${sub}: Provider ${p.nameStr} ${m} on the host` };
  if (o.options[option] === 0) return { error: 1, message: `bxProvider::${sub}: Provider ${p.nameStr} doesn't support ${option} option` };
  return undefined;
}

export async function optionsProvider(run: HostRun, p: Provider): Promise<Out> {
  const o = await p.options();
  if (perlIs(perlStr(o.status), 'not_exists')) {
    if (p.name === undefined) run.warn('Use of uninitialized value $provider_name in concatenation (.) or string', 'bxProvider.pm', 324);
    return { error: 1, message: `bxProvider::optionsProvider: Provider ${p.nameStr} not exist on the host` };
  }
  return { error: 0, data: ['provider_options', { [p.nameStr]: o }] };
}

export async function configs(run: HostRun, p: Provider): Promise<Out> {
  const o = await p.options();
  const g = gate(p, o, 'configsProvider', 'configs');
  if (g) return g;
  const ans = await run.exec(p, 'configs');
  if (run.isError(ans)) return ans;
  const data = run.dataOrDie(ans, 371);
  return { error: 0, data: ['provider_configs', { [p.nameStr]: data }] };
}

export async function order(run: HostRun, p: Provider, configId: string | undefined): Promise<Out> {
  if (configId === undefined) return { error: 1, message: 'bxProvider::order2Provider: You must provide config_id for order' };
  const o = await p.options();
  const g = gate(p, o, 'order2Provider', 'order');
  if (g) return g;
  const ans = await run.exec(p, `order ${configId}`);
  if (run.isError(ans)) return ans;
  const hadTasks = isDir(p.tasks);
  if (!hadTasks) {
    run.guard(p.tasks, `mkpath('${p.tasks}')`);
    fs.mkdirSync(p.tasks, { recursive: true });
    fs.chmodSync(p.tasks, 0o750); // mkpath(..., 0770) under root's umask 022
  }
  // `-d tasks` failing leaves errno ENOENT behind: a die right after exits 2 (host-observed c)
  const data = run.dataOrDie(ans, 423, hadTasks ? 255 : 2);
  const task = data.task_id;
  if (task === undefined || task === null) run.warn('Use of uninitialized value $task_id in pattern match (m//)', 'bxProvider.pm', 425);
  const ts = perlStr(task);
  if (perlEmpty(ts)) return { error: 1, message: `bxProvider::order2Provider: Provider ${p.nameStr} doesn't return task_id` };
  const taskFile = catfile(p.tasks, ts);
  const resolved = path.resolve(taskFile);
  if (!inside(p.tasks, resolved) && !isDir(resolved)) {
    throw new Refused(
      `open(my $th, '>', '${taskFile}')`,
      `the plugin's task_id ${JSON.stringify(ts)} makes the task file ${resolved}, outside ${p.tasks}; the real host would create or truncate it`,
    );
  }
  run.guard(resolved, `open(my $th, '>', '${taskFile}')`);
  try {
    const existed = fs.existsSync(resolved);
    writeNoFollow(resolved, Buffer.alloc(0));
    if (!existed) fs.chmodSync(resolved, 0o644);
  } catch (e) {
    return { error: 1, message: `bxProvider::order2Provider: Cannot save ${taskFile}: ${strerror(e)}` };
  }
  return { error: 0, data: ['provider_order', { [p.nameStr]: data }] };
}

export async function statusCall(run: HostRun, p: Provider, taskId: string, sub: string, dieLine: number, warnLine: number): Promise<{ out: Out } | { data: PerlHash }> {
  const ans = await run.exec(p, `order_status ${taskId}`);
  if (run.isError(ans)) return { out: ans };
  const data = run.dataOrDie(ans, dieLine);
  const status = data.status;
  if (status === undefined || status === null) run.warn('Use of uninitialized value $status in pattern match (m//)', 'bxProvider.pm', warnLine);
  if (perlEmpty(perlStr(status))) {
    return { out: { error: 1, message: `bxProvider::${sub}: Provider ${p.nameStr} doesn't return status for task_id=${taskId}` } };
  }
  return { data };
}

export async function orderStatus(run: HostRun, p: Provider, taskId: string | undefined): Promise<Out> {
  if (taskId === undefined) return { error: 1, message: 'bxProvider::order_status2Provider: You must provide task_id for status request' };
  const o = await p.options();
  const g = gate(p, o, 'order_status2Provider', 'order_status');
  if (g) return g;
  const sc = await statusCall(run, p, taskId, 'order_status2Provider', 486, 488);
  if ('out' in sc) return sc.out;
  const r = sc.data;
  const taskFile = catfile(p.tasks, taskId);
  if (isFile(taskFile)) {
    let content: string;
    try {
      content = fs.readFileSync(taskFile).toString('latin1');
    } catch (e) {
      return { error: 1, message: `Cannot open ${taskFile}: ${strerror(e)}` };
    }
    const m = /^error:[ \t\n\r\f\v]*([^\n]+)\n?$/.exec(content);
    if (m) {
      r.status = 'error';
      r.message = m[1];
      r.error = 1;
    } else if (content.startsWith('complete')) {
      r.status = 'complete';
    }
  }
  return { error: 0, data: ['provider_order', { [p.nameStr]: r }] };
}
