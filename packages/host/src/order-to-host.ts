/** order_to_host (bxProvider.pm): a finished order's server goes to the pool, its task file says so. */
import fs from 'node:fs';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import { perlBytes, perlEmpty, perlIs, perlNotANumberDisplay, perlNumify, perlStr, perlTrue } from './perl.js';
import { addPoolHost, hasPool } from './pool.js';
import { catfile, inside, isFile, strerror, writeNoFollow } from './files.js';
import { Refused, type Out } from './outcome.js';
import { gate, statusCall } from './actions.js';
import type { HostRun } from './run.js';
import type { Provider } from './provider.js';

export async function orderToHost(run: HostRun, p: Provider, taskId: string | undefined): Promise<Out> {
  const sub = 'order_to_hostProvider';
  if (taskId === undefined) return { error: 1, message: `bxProvider::${sub}: You must provide task_id for status request` };
  const o = await p.options();
  const g = gate(p, o, sub, 'order_status');
  if (g) return g;
  const sc = await statusCall(run, p, taskId, sub, 566, 568);
  if ('out' in sc) return sc.out;
  const r = sc.data;
  const status = r.status;
  if (perlIs(perlStr(status), 'finished')) {
    const server = perlStr(r.server);
    const password = perlTrue(r.server_password) ? perlStr(r.server_password) : '';
    const taskFile = catfile(p.tasks, taskId);
    if (!isFile(taskFile)) return { error: 1, message: `bxProvider::${sub}: Not found saved task_id=${taskId} on this server` };
    let content: string;
    try {
      content = fs.readFileSync(taskFile).toString('latin1');
    } catch (e) {
      return { error: 1, message: `bxProvider::${sub}: Cannot open file=${taskFile}:${strerror(e)}` };
    }
    if (/^(complete|error)/.test(content)) return { error: 1, message: `bxProvider::${sub}: task_id=${taskId} already ${content}` };
    if (!perlEmpty(content)) {
      // neither branch taken: the sub returns a false scalar and bx-provider calls ->print on it
      run.die(`Can't call method "print" without a package or object reference`, 'bx-provider', 100);
    }
    if (!inside(p.tasks, taskFile)) {
      throw new Refused(`open(my $fh, '>', '${taskFile}')`, `task_id ${JSON.stringify(taskId)} names ${path.resolve(taskFile)}, outside ${p.tasks}; the real host would overwrite it`);
    }
    run.guard(taskFile, `open(my $fh, '>', '${taskFile}')`);
    const pooled = hasPool(run.root);
    const fail = (message: string): Out => {
      saveStatus(taskFile, 'error', message);
      const out = { error: 1, message };
      run.isError(out);
      return out;
    };
    if (password !== '') {
      if (!pooled) return fail('BX_KEY_VIEW: Cannot open main config /etc/ansible/ansible.cfg: No such file or directory');
      run.stderr(
        `bx-provider-kit host: emulated: the real host would now copy the pool's SSH key to root@${server} with server_password (ssh_keycopy); skipped, the emulator uses no network\n`,
      );
    } else if (pooled) {
      run.stderr(
        `bx-provider-kit host: emulated: no server_password in the answer, so the real host would not copy the pool's SSH key to root@${server} and could not manage it (STAT-FINISHED)\n`,
      );
    }
    if (!pooled) return fail('pool_not_created');
    let poolErr: string | undefined;
    try {
      poolErr = addPoolHost(run.root, { host: server, provider: p.nameStr, taskId, added: new Date().toISOString() });
    } catch (e) {
      throw new KitError((e as Error).message);
    }
    if (poolErr) return fail(poolErr);
    saveStatus(taskFile, 'complete', `Server=${server} is added to the pool`);
    return { error: 0, message: `Server=${server} is added to the pool` };
  }
  // `$status == "in_progress"`: numeric comparison, both sides numified with warnings
  run.warn(`Argument "in_progress" isn't numeric in numeric eq (==)`, 'bxProvider.pm', 654);
  const num = perlNumify(status);
  if (num.warn) run.warn(`Argument "${perlNotANumberDisplay(perlStr(status))}" isn't numeric in numeric eq (==)`, 'bxProvider.pm', 654);
  if (num.n === 0) return { error: 0, data: ['provider_order', { [p.nameStr]: r }] };
  return { error: 1, message: `Unknown status=${perlStr(status)} for ${p.nameStr}` };
}

function saveStatus(file: string, status: string, message: string): void {
  try {
    writeNoFollow(file, perlBytes(`${status}: ${message}`).bytes);
  } catch {
    /* saveStatus's failure is ignored by its callers */
  }
}
