/**
 * The host round trip (HOST-*): install the plugin into a throw-away emulated host and run
 * list, status, configs and, when ordering is allowed, order, order_status, orders_list and
 * order_to_host through the bx-provider emulator; each answer must match the host schema and
 * carry the plugin's data where the host passes it through.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { Host, initRoot, type HostOptions, type HostResult } from '@bx-provider-kit/host';
import { readDocumentFile, removeInside, type RuleId } from '@bx-provider-kit/schemas';
import { DEFAULT_LIMITS, lengthProblem } from '@bx-provider-kit/packer';
import type { HostRun, HostState } from './harness.js';
import type { ProcessTracker } from './contain.js';
import { sleep } from './pool.js';
import { excerpt, show } from './text.js';
import { HOST_RULES, hostExcerpt, hostTaskId, judgeHostConfigs, judgeHostList, judgeHostOrder, judgeHostOrderStatus, judgeHostOrderToHost, judgeHostOrdersList, judgeHostStatus, said } from './rules/host.js';
import { skipAll } from './rules/shape.js';

/** The host actions that place or follow an order: they require ordering to be allowed and a configuration. */
const ORDER_RULES: readonly RuleId[] = ['HOST-ORDER', 'HOST-ORDER-STATUS', 'HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'];
/** What follows the host's order: it requires the task HOST-ORDER returned. */
const AFTER_ORDER: readonly RuleId[] = ['HOST-ORDER-STATUS', 'HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'];
/** What follows order_status: it requires the status the host passed through. */
const AFTER_STATUS: readonly RuleId[] = ['HOST-ORDERS-LIST', 'HOST-ORDER-TO-HOST'];

/** A run whose tracker (when it has one) follows the plugin calls the emulator makes. */
type TripRun = HostRun & { tracker?: ProcessTracker };

/**
 * The emulated host of a run: each plugin call it makes is started inside the run's cgroup and
 * registered with the run's tracker at fork time, as the runner's own calls are.
 */
function emulatedHost(run: TripRun, root: string): Host {
  const tracker = run.tracker;
  const spawnWith: HostOptions['spawnWith'] = tracker ? (start, call) => tracker.spawnCall(start, call.cwd) : undefined;
  return new Host({ root, pool: true, spawnWith });
}

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

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsc.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `bx-provider -a install` of an archive into the emulated host at `root` (HOST-INSTALL). */
export async function installArchive(run: TripRun, root: string, name: string, file: string): Promise<{ ok: boolean; message: string }> {
  const L = run.ledger;
  initRoot(root, { pool: true });
  const host = emulatedHost(run, root);
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
 * (ARCH-LIMITS: what `pack` and `verify` allow) and at paths the host's tar would refuse once
 * below `dest` (ARCH-FORMAT: PATH_MAX, NAME_MAX); the reason it cannot be copied, or undefined.
 */
export async function overBounds(
  srcs: string[],
  limits: { maxEntries: number; maxBytes: number } = DEFAULT_LIMITS,
  { base, dest }: { base?: string; dest?: string } = {},
): Promise<string | undefined> {
  let entries = 0;
  let bytes = 0;
  const stack = [...srcs];
  while (stack.length) {
    const f = stack.pop()!;
    const st = await fs.lstat(f).catch(() => null);
    if (!st) continue;
    entries++;
    if (st.isFile()) bytes += st.size;
    // a FIFO, socket or device: copying it would block or read forever (ARCH-SPECIAL in an archive)
    else if (!st.isDirectory() && !st.isSymbolicLink()) return `a FIFO, socket or device (${path.basename(f)}), which an archive may not hold (ARCH-SPECIAL)`;
    if (entries > limits.maxEntries) return `more than ${limits.maxEntries} files and folders, more than an archive may hold (ARCH-LIMITS)`;
    if (bytes > limits.maxBytes) return `more than ${Math.round(limits.maxBytes / 1048576)} MiB (${path.basename(f)} alone is ${st.size} bytes), more than an archive may hold (ARCH-LIMITS)`;
    if (base !== undefined) {
      const rel = path.relative(base, f);
      const long = lengthProblem(dest === undefined ? rel : path.join(dest, rel), `${rel.slice(0, 40)}${rel.length > 40 ? '…' : ''}`);
      if (long) return `a path too long to unpack: ${long} (ARCH-FORMAT)`;
    }
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
      const manifest = JSON.parse((await readDocumentFile(path.join(t.pluginDir, 'provider.json'))).toString('utf8'));
      if (Array.isArray(manifest?.files)) {
        for (const f of manifest.files) if (typeof f === 'string' && f && !path.isAbsolute(f) && !f.split(/[\\/]/).includes('..')) parts.push(f);
      }
    } catch {
      /* no or broken provider.json: PKG-* says so */
    }
    const big = await overBounds(parts.map((p) => path.join(t.pluginDir!, p)), limits, { base: t.pluginDir, dest: holder });
    if (big) return `the plugin folder's bin/, etc/, lib/ and files hold ${big}, so the runner does not copy it into the emulated host`;
    for (const part of parts) {
      const src = path.join(t.pluginDir, part);
      if (await fs.stat(src).catch(() => null)) {
        await fs.mkdir(path.dirname(path.join(holder, part)), { recursive: true });
        await fs.cp(src, path.join(holder, part), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      }
    }
  } else {
    const big = await overBounds([t.executable], limits);
    if (big) return `the executable is ${big}, so the runner does not copy it into the emulated host`;
    await fs.copyFile(t.executable, path.join(holder, 'bin', t.name));
    await fs.chmod(path.join(holder, 'bin', t.name), (await fs.stat(t.executable)).mode & 0o7777);
  }
  return undefined;
}

export async function hostRoundTrip(run: TripRun, hs: HostState, ctx: Ctx): Promise<void> {
  const L = run.ledger;
  const t = run.target;
  const name = t.name;
  const root = hs.root;
  initRoot(root, { pool: true });
  const host = emulatedHost(run, root);
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
  // A stop (a hang, a provider the host does not see) skips every host rule not judged yet.
  const skipRest = () => HOST_RULES.filter((r) => L.untouched(r)).forEach((r) => L.skip(r, `the host round trip stopped: ${stopped}`));
  const hang = (rule: RuleId, id: string, why: string) => {
    L.fail(rule, why, { call: id });
    stopped = `${rule}: ${why}`;
  };
  const installFailed = t.kind === 'archive' && !hs.installedByHost;

  // status first: does the host see the provider at all?
  {
    const { r, id, hung } = await hostRun(run, host, { action: 'status', provider: name });
    if (hung) {
      hang('HOST-STATUS', id, hung);
      if (!installFailed) L.skip('HOST-INSTALL', `the host round trip stopped: ${stopped}`);
    } else if (judgeHostStatus(L, { r, id }, name, { help: 'value' in ctx.help ? ctx.help.value : undefined, installFailed })) {
      stopped = 'the host does not see the provider';
    }
  }
  if (stopped) return skipRest();

  {
    const { r, id, hung } = await hostRun(run, host, { action: 'list' });
    if (hung) hang('HOST-LIST', id, hung);
    else judgeHostList(L, { r, id }, name);
  }
  if (stopped) return skipRest();

  if (!big('HOST-CONFIGS', 'configs')) {
    const { r, id, hung } = await hostRun(run, host, { action: 'configs', provider: name });
    if (hung) hang('HOST-CONFIGS', id, hung);
    else judgeHostConfigs(L, { r, id }, name, 'value' in ctx.configs ? ctx.configs.value.configurations : undefined, ctx.configsStable);
  }
  if (stopped) return skipRest();

  // Everything after this requires ordering (it may cost money) and a configuration to order.
  if (!run.settings.allowOrder) return skipAll(L, ORDER_RULES, 'ordering is not allowed (it may cost money): pass --allow-order or set "allowOrder": true in conformance.json');
  if (ctx.configId === undefined) return skipAll(L, ORDER_RULES, 'no configuration to order (see CFG-* and the lifecycle)');
  if (big('HOST-ORDER', 'order')) return skipAll(L, AFTER_ORDER, 'the host order was not run (OUT-SIZE)');

  let taskId: string | undefined;
  {
    const { r, id, hung } = await hostRun(run, host, { action: 'order', provider: name, configId: ctx.configId });
    if (hung) hang('HOST-ORDER', id, hung);
    else {
      const tid = hostTaskId({ r, id }, name);
      const saved = tid !== undefined && !!(await fs.stat(path.join(holder, 'tasks', tid)).catch(() => null))?.isFile();
      taskId = judgeHostOrder(L, { r, id }, name, ctx.configId, saved);
    }
  }
  if (stopped) return skipRest();
  // What follows requires the task HOST-ORDER returned.
  if (taskId === undefined) return skipAll(L, AFTER_ORDER, 'the host order gave no task (HOST-ORDER)');

  // order_status until finished or error
  if (big('HOST-ORDER-STATUS', 'order_status')) {
    AFTER_STATUS.forEach((r) => big(r, 'order_status'));
    return;
  }
  let final: string | undefined;
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
      const j = judgeHostOrderStatus(L, { r, id }, name, taskId, !judged);
      judged = true;
      if (j.failed) break;
      lastStatus = j.status;
      if (j.status === 'finished' || j.status === 'error') {
        final = j.status;
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

  {
    const { r, id, hung } = await hostRun(run, host, { action: 'orders_list', provider: name });
    if (hung) hang('HOST-ORDERS-LIST', id, hung);
    else judgeHostOrdersList(L, { r, id }, name, taskId);
  }
  if (stopped) return skipRest();

  {
    const { r, id, hung } = await hostRun(run, host, { action: 'order_to_host', provider: name, taskId });
    if (hung) hang('HOST-ORDER-TO-HOST', id, hung);
    else judgeHostOrderToHost(L, { r, id }, final);
  }
}
