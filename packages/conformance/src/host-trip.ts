/**
 * The host round trip (HOST-*): install the plugin into a throw-away emulated host and run
 * list, status, configs and, when ordering is allowed, order, order_status, orders_list and
 * order_to_host through the bx-provider emulator; each answer must match the host schema and
 * carry the plugin's data where the host passes it through.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { Host, initRoot, type HostResult } from '@bx-provider-kit/host';
import { removeInside, validate, type RuleId } from '@bx-provider-kit/schemas';
import { DEFAULT_LIMITS } from '@bx-provider-kit/packer';
import type { HostRun, HostState } from './harness.js';
import { sleep } from './pool.js';
import { excerpt, jsonEqual, oneLine, show } from './text.js';

const HOST_RULES = ['HOST-INSTALL', 'HOST-LIST', 'HOST-STATUS', 'HOST-CONFIGS', 'HOST-ORDER', 'HOST-ORDER-STATUS', 'HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'] as const satisfies readonly RuleId[];
/** The host actions that place or follow an order: they require ordering to be allowed and HOST-ORDER's task. */
const ORDER_RULES: readonly RuleId[] = ['HOST-ORDER', 'HOST-ORDER-STATUS', 'HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'];
/** What follows the host's order: it requires the task HOST-ORDER returned. */
const AFTER_ORDER: readonly RuleId[] = ['HOST-ORDER-STATUS', 'HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'];
/** What follows order_status: it requires the status the host passed through. */
const AFTER_STATUS: readonly RuleId[] = ['HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'];

interface Ctx {
  help: { value: Record<string, unknown> } | { why: string };
  configs: { value: Record<string, unknown> } | { why: string };
  configId?: string;
  /** Actions whose direct calls printed over 1 MiB (OUT-SIZE): not fed through the emulator, which buffers everything. */
  oversized: Set<string>;
  /** configs answered the same twice (else only the ids are compared with what the host passes through). */
  configsStable: boolean;
  /** The direct lifecycle reached finished or error (else the host's order_status is polled once). */
  lifecycleEnded: boolean;
}

async function hostRun(run: HostRun, host: Host, args: { action: string; provider?: string; configId?: string; taskId?: string; archive?: string }): Promise<{ r: HostResult; id: string; hung?: string }> {
  const cwd = await run.newCwd();
  const t0 = performance.now();
  // The emulator has its own per-call budget; this outer guard only protects the run from an
  // emulator that cannot return (e.g. a pipe held by a process that left the group).
  const guardMs = run.settings.callTimeoutMs * 4 + 5000;
  let guard: NodeJS.Timeout | undefined;
  const stuck = new Promise<undefined>((res) => {
    guard = setTimeout(() => res(undefined), guardMs);
  });
  const got = await Promise.race([host.run({ ...args, output: 'json', env: run.env, cwd, callTimeoutMs: run.settings.callTimeoutMs, stdin: 'ignore' }), stuck]);
  clearTimeout(guard);
  const r: HostResult = got ?? { stdout: '', stdoutBytes: Buffer.alloc(0), stderr: '', exitCode: -1, calls: [] };
  const flag = (k: string, v?: string) => (v === undefined ? [] : [k, v]);
  const argv = ['-a', args.action, ...flag('--provider', args.provider), ...flag('--config_id', args.configId), ...flag('--task_id', args.taskId), ...flag('--archive', args.archive), '-o', 'json'];
  const id = `host ${argv.join(' ')}`;
  run.hostCalls.push({
    id,
    args: argv,
    exitCode: r.exitCode,
    durationMs: Math.round(performance.now() - t0),
    pluginCalls: r.calls.length,
    pluginArgv: r.calls.map((c) => c.argv.slice(1)),
    stdoutExcerpt: excerpt(Buffer.from(r.stdout)),
    stderrExcerpt: excerpt(Buffer.from(r.stderr)),
  });
  run.progress(`${id.padEnd(60)} exit ${r.exitCode}`);
  const hung = r.calls.find((c) => c.timedOut);
  if (!got) return { r, id, hung: `the emulated host had not returned after ${guardMs} ms (a plugin process may have kept its output open), so the runner stopped waiting` };
  // Say what is known: the call took at least the budget. The real host has no timeout: it
  // waits as long as the plugin takes, and so does the web request behind it.
  return {
    r,
    id,
    hung: hung
      ? `the plugin call \`${path.basename(hung.argv[0] ?? '')} ${hung.argv.slice(1).join(' ')}\` was still running after ${run.settings.callTimeoutMs} ms, when the emulator stopped it: the real host has no timeout and waits as long as the plugin takes`
      : undefined,
  };
}

/** What the host printed, for a finding. */
function said(r: HostResult): string {
  const out = r.stdout ? oneLine(r.stdout, 200) : '(nothing on stdout)';
  const err = r.stderr.trim() ? `; stderr: ${oneLine(r.stderr.trim().split('\n')[0] ?? '', 160)}` : '';
  return `exit ${r.exitCode}, ${out}${err}`;
}

function hostExcerpt(r: HostResult): string {
  return `stdout: ${oneLine(r.stdout || '(empty)', 240)}${r.stderr.trim() ? `\nstderr: ${oneLine(r.stderr.trim(), 240)}` : ''}`;
}

/** Validation against the host schema; a problem list in words or ''. */
function schemaProblems(kind: string, json: unknown): string {
  const v = validate(kind, json);
  if (v.ok) return '';
  return v.problems.slice(0, 2).map((p) => p.message).join('; ');
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const dig = (v: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => obj(o)?.[k], v);

/** The ids of a configurations list (for a plugin whose descriptions change on every call). */
const ids = (list: unknown): unknown => (Array.isArray(list) ? list.map((x) => String(obj(x)?.id)) : list);

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsc.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `bx-provider -a install` of an archive into the emulated host at `root` (HOST-INSTALL). */
export async function installArchive(run: HostRun, root: string, name: string, file: string): Promise<{ ok: boolean; message: string }> {
  const L = run.ledger;
  initRoot(root, { pool: true });
  const host = new Host({ root, pool: true });
  const { r, id } = await hostRun(run, host, { action: 'install', provider: name, archive: file });
  const exe = path.join(root, 'providers', name, 'bin', name);
  if (r.exitCode !== 0) {
    L.fail('HOST-INSTALL', `\`bx-provider -a install\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
    return { ok: false, message: r.stdout };
  }
  if (!(await isExecutable(exe))) {
    L.fail('HOST-INSTALL', `install reported success, but providers/${name}/bin/${name} is ${(await fs.stat(exe).catch(() => null)) ? 'not executable' : 'missing'}: the host will say the provider does not exist`, {
      call: id,
      excerpt: hostExcerpt(r),
    });
    return { ok: false, message: r.stdout };
  }
  return { ok: true, message: r.stdout };
}

/**
 * Sizes what `copyIn` would copy, without following links, stopping at the archive bounds
 * (ARCH-LIMITS: what `pack` and `verify` allow); the reason it is too big, or undefined.
 */
export async function overBounds(srcs: string[], limits: { maxEntries: number; maxBytes: number } = DEFAULT_LIMITS): Promise<string | undefined> {
  let entries = 0;
  let bytes = 0;
  const stack = [...srcs];
  while (stack.length) {
    const f = stack.pop()!;
    const st = await fs.lstat(f).catch(() => null);
    if (!st) continue;
    entries++;
    if (st.isFile()) bytes += st.size;
    if (entries > limits.maxEntries) return `more than ${limits.maxEntries} files and folders`;
    if (bytes > limits.maxBytes) return `more than ${Math.round(limits.maxBytes / 1048576)} MiB (${path.basename(f)} alone is ${st.size} bytes)`;
    if (st.isDirectory()) for (const n of await fs.readdir(f).catch(() => [] as string[])) stack.push(path.join(f, n));
  }
  return undefined;
}

/**
 * Copies a plugin folder (what an archive would hold) into ROOT/providers/NAME; returns why it
 * did not (the folder is over the archive bounds), or undefined.
 */
async function copyIn(run: HostRun, holder: string, limits = DEFAULT_LIMITS): Promise<string | undefined> {
  const t = run.target;
  await removeInside(run.tmp, holder);
  await fs.mkdir(path.join(holder, 'bin'), { recursive: true });
  if (t.pluginDir) {
    // What an archive of the folder would hold: bin/, etc/, lib/, provider.json and its "files".
    const parts = ['bin', 'etc', 'lib', 'provider.json'];
    try {
      const manifest = JSON.parse(await fs.readFile(path.join(t.pluginDir, 'provider.json'), 'utf8'));
      if (Array.isArray(manifest?.files)) {
        for (const f of manifest.files) if (typeof f === 'string' && f && !path.isAbsolute(f) && !f.split(/[\\/]/).includes('..')) parts.push(f);
      }
    } catch {
      /* no or broken provider.json: PKG-* says so */
    }
    const big = await overBounds(parts.map((p) => path.join(t.pluginDir!, p)), limits);
    if (big) return `the plugin folder's bin/, etc/, lib/ and files hold ${big}: an archive of it breaks ARCH-LIMITS, so the runner does not copy it into the emulated host`;
    for (const part of parts) {
      const src = path.join(t.pluginDir, part);
      if (await fs.stat(src).catch(() => null)) {
        await fs.mkdir(path.dirname(path.join(holder, part)), { recursive: true });
        await fs.cp(src, path.join(holder, part), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      }
    }
  } else {
    const big = await overBounds([t.executable], limits);
    if (big) return `the executable is ${big}: an archive of it breaks ARCH-LIMITS, so the runner does not copy it into the emulated host`;
    await fs.copyFile(t.executable, path.join(holder, 'bin', t.name));
    await fs.chmod(path.join(holder, 'bin', t.name), (await fs.stat(t.executable)).mode & 0o7777);
  }
  return undefined;
}

export async function hostRoundTrip(run: HostRun, hs: HostState, ctx: Ctx): Promise<void> {
  const L = run.ledger;
  const t = run.target;
  const name = t.name;
  const root = hs.root;
  initRoot(root, { pool: true });
  const host = new Host({ root, pool: true });
  const holder = path.join(root, 'providers', name);
  if (t.kind !== 'archive') {
    const refused = await copyIn(run, holder);
    if (refused) {
      HOST_RULES.forEach((r) => L.skip(r, refused));
      return;
    }
  }
  let stopped: string | undefined;
  const big = (rule: RuleId, ...actions: string[]): boolean => {
    const a = ['help', ...actions].find((x) => ctx.oversized.has(x));
    if (!a) return false;
    L.skip(rule, `${a} prints over 1 MiB (OUT-SIZE): the runner does not feed that through the emulated host, which would buffer all of it`);
    return true;
  };
  if (big('HOST-STATUS')) {
    HOST_RULES.forEach((r) => big(r));
    return;
  }
  const stop = (why: string) => {
    stopped = why;
  };
  // A stop (a hang, a provider the host does not see) skips every host rule not judged yet.
  const skipRest = () => HOST_RULES.filter((r) => L.untouched(r)).forEach((r) => L.skip(r, `the host round trip stopped: ${stopped}`));
  const hang = (rule: RuleId, id: string, why: string) => {
    L.fail(rule, why, { call: id });
    stop(`${rule}: ${why}`);
  };

  // status first: does the host see the provider at all?
  {
    const { r, id, hung } = await hostRun(run, host, { action: 'status', provider: name });
    if (hung) {
      hang('HOST-STATUS', id, hung);
      if (t.kind !== 'archive' || hs.installedByHost) L.skip('HOST-INSTALL', `the host round trip stopped: ${stopped}`);
    } else {
      const p = obj(dig(r.json, 'params', 'provider_options', name));
      const notExist = r.exitCode !== 0 && /not.?exists? on the host/.test(r.stdout);
      if (t.kind === 'archive' && !hs.installedByHost) {
        /* HOST-INSTALL already failed; the rest runs on the runner's own unpacked copy */
      } else if (notExist) {
        L.fail('HOST-INSTALL', `after install the host says the provider does not exist: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      } else {
        L.ok('HOST-INSTALL', id);
      }
      const problems = r.exitCode === 0 ? schemaProblems('host/status', r.json) : '';
      if (r.exitCode !== 0 || !p) L.fail('HOST-STATUS', `\`-a status\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      else if (problems) L.fail('HOST-STATUS', `\`-a status\` does not match the host schema: ${problems}`, { call: id, excerpt: hostExcerpt(r) });
      else {
        const opts = obj(p.options) ?? {};
        const off = ['help', 'configs', 'order', 'order_status'].filter((o) => opts[o] !== 1);
        const hv = 'value' in ctx.help ? ctx.help.value : undefined;
        if (off.length) L.fail('HOST-STATUS', `the host shows ${off.join(', ')} as unsupported (options ${show(opts, 120)}): it will refuse those actions`, { call: id, excerpt: hostExcerpt(r) });
        else if (p.status === 'disabled') L.fail('HOST-STATUS', 'the host shows the provider as "disabled": it refuses every action', { call: id, excerpt: hostExcerpt(r) });
        else if (hv && hv.status !== undefined && p.status !== hv.status) L.fail('HOST-STATUS', `the host shows status ${show(p.status)}, help answered ${show(hv.status)}`, { call: id, excerpt: hostExcerpt(r) });
        else L.ok('HOST-STATUS', id);
      }
      if (notExist) stop('the host does not see the provider');
    }
  }
  if (stopped) return skipRest();

  // list
  {
    const { r, id, hung } = await hostRun(run, host, { action: 'list' });
    if (hung) hang('HOST-LIST', id, hung);
    else {
      const entry = dig(r.json, 'params', 'providers', name);
      const problems = r.exitCode === 0 ? schemaProblems('host/list', r.json) : '';
      if (r.exitCode !== 0 || r.json === undefined) L.fail('HOST-LIST', `\`-a list\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      else if (problems) L.fail('HOST-LIST', `\`-a list\` does not match the host schema: ${problems}`, { call: id, excerpt: hostExcerpt(r) });
      else if (!entry) L.fail('HOST-LIST', `\`-a list\` does not show ${name}`, { call: id, excerpt: hostExcerpt(r) });
      else L.ok('HOST-LIST', id);
    }
  }
  if (stopped) return skipRest();

  // configs
  if (!big('HOST-CONFIGS', 'configs')) {
    const { r, id, hung } = await hostRun(run, host, { action: 'configs', provider: name });
    if (hung) hang('HOST-CONFIGS', id, hung);
    else {
      const p = obj(dig(r.json, 'params', 'provider_configs', name));
      const problems = r.exitCode === 0 ? schemaProblems('host/configs', r.json) : '';
      const direct = 'value' in ctx.configs ? ctx.configs.value.configurations : undefined;
      if (r.exitCode !== 0 || !p) L.fail('HOST-CONFIGS', `\`-a configs\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      else if (problems) L.fail('HOST-CONFIGS', `\`-a configs\` does not match the host schema: ${problems}`, { call: id, excerpt: hostExcerpt(r) });
      else if (direct !== undefined && !jsonEqual(ctx.configsStable ? p.configurations : ids(p.configurations), ctx.configsStable ? direct : ids(direct)))
        L.fail('HOST-CONFIGS', `the host passes ${show(p.configurations, 100)} through, the plugin answered ${show(direct, 100)}`, { call: id, excerpt: hostExcerpt(r) });
      else L.ok('HOST-CONFIGS', id);
    }
  }
  if (stopped) return skipRest();

  const orderRules = ORDER_RULES;
  if (!run.settings.allowOrder) {
    orderRules.forEach((r) => L.skip(r, 'ordering is not allowed (it may cost money): pass --allow-order or set "allowOrder": true in conformance.json'));
    return;
  }
  if (ctx.configId === undefined) {
    orderRules.forEach((r) => L.skip(r, 'no configuration to order (see CFG-* and the lifecycle)'));
    return;
  }

  // order
  let taskId: string | undefined;
  if (big('HOST-ORDER', 'order')) {
    AFTER_ORDER.forEach((r) => L.skip(r, 'the host order was not run (OUT-SIZE)'));
    return;
  }
  {
    const { r, id, hung } = await hostRun(run, host, { action: 'order', provider: name, configId: ctx.configId });
    if (hung) hang('HOST-ORDER', id, hung);
    else {
      const p = obj(dig(r.json, 'params', 'provider_order', name));
      const problems = r.exitCode === 0 ? schemaProblems('host/order', r.json) : '';
      const tid = p?.task_id;
      if (r.exitCode !== 0 || !p) L.fail('HOST-ORDER', `\`-a order --config_id ${ctx.configId}\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      else if (problems) L.fail('HOST-ORDER', `\`-a order\` does not match the host schema: ${problems}`, { call: id, excerpt: hostExcerpt(r) });
      else if ((typeof tid !== 'string' && typeof tid !== 'number') || tid === '') L.fail('HOST-ORDER', `\`-a order\` returned no task id: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      else {
        taskId = String(tid);
        const saved = await fs.stat(path.join(holder, 'tasks', taskId)).catch(() => null);
        if (!saved?.isFile()) L.fail('HOST-ORDER', `the host did not save tasks/${taskId}`, { call: id, excerpt: hostExcerpt(r) });
        else L.ok('HOST-ORDER', id);
      }
    }
  }
  if (stopped) return skipRest();
  if (taskId === undefined) {
    AFTER_ORDER.forEach((r) => L.skip(r, 'the host order gave no task (HOST-ORDER)'));
    return;
  }

  // order_status until finished or error
  let final: string | undefined;
  if (big('HOST-ORDER-STATUS', 'order_status')) {
    AFTER_STATUS.forEach((r) => big(r, 'order_status'));
    return;
  }
  {
    const deadline = performance.now() + run.settings.lifecycleTimeoutMs;
    let lastStatus: unknown;
    let judged = false;
    for (;;) {
      const { r, id, hung } = await hostRun(run, host, { action: 'order_status', provider: name, taskId });
      if (hung) {
        hang('HOST-ORDER-STATUS', id, hung);
        break;
      }
      const p = obj(dig(r.json, 'params', 'provider_order', name));
      const problems = r.exitCode === 0 ? schemaProblems('host/order_status', r.json) : '';
      if (r.exitCode !== 0 || !p) {
        L.fail('HOST-ORDER-STATUS', `\`-a order_status --task_id ${taskId}\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
        judged = true;
        break;
      }
      if (problems) {
        L.fail('HOST-ORDER-STATUS', `\`-a order_status\` does not match the host schema: ${problems}`, { call: id, excerpt: hostExcerpt(r) });
        judged = true;
        break;
      }
      lastStatus = p.status;
      if (!judged) {
        L.ok('HOST-ORDER-STATUS', id);
        judged = true;
      }
      if (p.status === 'finished' || p.status === 'error') {
        final = p.status;
        break;
      }
      // The direct lifecycle already showed this order never ends: one answer is enough here.
      if (!ctx.lifecycleEnded) break;
      if (performance.now() + run.settings.pollIntervalMs > deadline) break;
      await sleep(run.settings.pollIntervalMs);
    }
    if (!stopped && final === undefined && judged && L.status('HOST-ORDER-STATUS') === 'passed') {
      L.note('HOST-ORDER-STATUS', `the task was still ${show(lastStatus)} at the end of the lifecycle budget`);
    }
  }
  if (stopped) return skipRest();

  // orders_list
  {
    const { r, id, hung } = await hostRun(run, host, { action: 'orders_list', provider: name });
    if (hung) hang('HOST-ORDERS-LIST', id, hung);
    else {
      const list = obj(dig(r.json, 'params', 'provider_order_list', name));
      const problems = r.exitCode === 0 ? schemaProblems('host/orders_list', r.json) : '';
      if (r.exitCode !== 0 || r.json === undefined) L.fail('HOST-ORDERS-LIST', `\`-a orders_list\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      else if (problems) L.fail('HOST-ORDERS-LIST', `\`-a orders_list\` does not match the host schema: ${problems}`, { call: id, excerpt: hostExcerpt(r) });
      else if (!list || !(taskId in list)) L.fail('HOST-ORDERS-LIST', `\`-a orders_list\` does not list task ${taskId}`, { call: id, excerpt: hostExcerpt(r) });
      else {
        const e = obj(list[taskId]);
        if (e && e.error !== 0 && e.error !== undefined) L.fail('HOST-ORDERS-LIST', `task ${taskId} is listed with error ${show(e.error)}: ${show(e.message, 120)}`, { call: id, excerpt: hostExcerpt(r) });
        else L.ok('HOST-ORDERS-LIST', id);
      }
    }
  }
  if (stopped) return skipRest();

  // order_to_host
  {
    const { r, id, hung } = await hostRun(run, host, { action: 'order_to_host', provider: name, taskId });
    if (hung) hang('HOST-ORDER-TO-HOST', id, hung);
    else {
      const problems = r.json !== undefined ? schemaProblems('host/order_to_host', r.json) : 'nothing on stdout';
      if (final === 'finished') {
        const msg = obj(r.json)?.message;
        if (r.exitCode !== 0) L.fail('HOST-ORDER-TO-HOST', `the task is finished, but \`-a order_to_host\` failed: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
        else if (problems) L.fail('HOST-ORDER-TO-HOST', `\`-a order_to_host\` does not match the host schema: ${problems}`, { call: id, excerpt: hostExcerpt(r) });
        else if (typeof msg !== 'string' || !/added to the pool/.test(msg)) L.fail('HOST-ORDER-TO-HOST', `the task is finished, but the server was not added to the pool: ${said(r)}`, { call: id, excerpt: hostExcerpt(r) });
        else L.ok('HOST-ORDER-TO-HOST', id);
      } else if (r.exitCode !== 0 || problems) {
        L.fail('HOST-ORDER-TO-HOST', `\`-a order_to_host\` on a ${final ?? 'unfinished'} task: ${problems || said(r)}`, { call: id, excerpt: hostExcerpt(r) });
      } else {
        L.ok('HOST-ORDER-TO-HOST', id);
        if (final !== 'error') L.note('HOST-ORDER-TO-HOST', 'the task never finished, so only the pass-through answer was checked');
      }
    }
  }
}
