/**
 * The Host: runs one bx-provider command line on a sandbox root, as the bx-provider script does
 * (the action check, the dispatch, Output::print, the exit code), and turns the ways a run stops
 * early into its result.
 */
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import { perlBytes, perlTrue } from './perl.js';
import { hasPool, poolFile } from './pool.js';
import { HOST_ACTIONS, MAX_CALL_TIMEOUT_MS, usageText, type HostOptions, type HostResult, type RunOptions } from './options.js';
import { Overflow, PerlDie, Refused, TimedOut, sizeText, type Out } from './outcome.js';
import { strerror } from './files.js';
import { checkProviderName, initRoot } from './root.js';
import { HostRun } from './run.js';
import { Provider } from './provider.js';
import { configs, optionsProvider, order, orderStatus } from './actions.js';
import { orderToHost } from './order-to-host.js';
import { listOrders4Provider, listOrders4Providers, listProviders } from './lists.js';
import { install, uninstall } from './install.js';
import { print } from './print.js';

export class Host {
  readonly root: string;
  private readonly pool: boolean;
  private readonly spawnWith: HostOptions['spawnWith'];

  constructor(opts: HostOptions) {
    if (!opts || typeof opts.root !== 'string' || !opts.root) throw new KitError('new Host({ root }) needs the folder standing for /opt/webdir');
    this.root = path.resolve(opts.root);
    this.pool = opts.pool ?? true;
    this.spawnWith = opts.spawnWith;
  }

  /** Whether this root has a server pool (ROOT/pool/hosts.json). */
  hasPool(): boolean {
    return hasPool(this.root);
  }

  poolFile(): string {
    return poolFile(this.root);
  }

  /** Runs one bx-provider command line; never throws for anything the real host would answer. */
  async run(opts: RunOptions = {}): Promise<HostResult> {
    const cap = opts.maxOutputBytes;
    if (cap !== undefined && (!Number.isSafeInteger(cap) || cap < 1)) throw new KitError(`maxOutputBytes must be a positive integer, not ${String(cap)}`);
    const t = opts.callTimeoutMs;
    if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > MAX_CALL_TIMEOUT_MS)) {
      throw new KitError(`callTimeoutMs must be a whole number of milliseconds from 1 to ${MAX_CALL_TIMEOUT_MS} (about 24 days), not ${String(t)}`);
    }
    initRoot(this.root, { pool: this.pool });
    return runLine(new HostRun(this.root, opts, this.spawnWith));
  }
}

/** bx-provider (the script): the action and output checks, the dispatch, Output::print, the exit code. */
async function runLine(run: HostRun): Promise<HostResult> {
  const o = run.o;
  const action = o.action ?? 'list';
  const fmt = o.output ?? 'plain';
  let stdout = '';
  let exitCode = 0;
  let refused: HostResult['refused'];
  let overflow: HostResult['overflow'];
  let timedOut: HostResult['timedOut'];
  // `grep(/^$o_action$/, @script_actions)`, then the output format check
  const known = actionMatches(action);
  if (!known || !/^(json|plain|te?xt)\n?$/.test(fmt)) {
    stdout = usageText();
  } else {
    const format = /^json\n?$/.test(fmt) ? 'json' : 'plain';
    try {
      if (o.provider !== undefined) checkProviderName(run.base, o.provider);
      const p = new Provider(run, o.provider);
      let out: Out;
      const a = action;
      if (a === 'install') out = await install(run, p, o.archive);
      else if (a === 'uninstall') out = await uninstall(run, p);
      else if (a === 'status') out = await optionsProvider(run, p);
      else if (a === 'configs') out = await configs(run, p);
      else if (a === 'order') out = await order(run, p, o.configId);
      else if (a === 'orders_list') out = perlTrue(o.provider) ? await listOrders4Provider(run, p) : await listOrders4Providers(run);
      else if (a === 'order_status') out = await orderStatus(run, p, o.taskId);
      else if (a === 'order_to_host') out = await orderToHost(run, p, o.taskId);
      else if (a === 'list') out = await listProviders(run);
      else out = { error: 1, message: `Unknown action=${action}` };
      stdout = print(run, out, format);
      exitCode = ((out.error % 256) + 256) % 256;
    } catch (e) {
      if (e instanceof PerlDie) {
        stdout = '';
        run.stderr(perlBytes(e.text).bytes);
        exitCode = e.code;
      } else if (e instanceof Refused) {
        stdout = '';
        refused = { line: e.line, reason: e.reason };
        run.stderr(
          e.shell
            ? `bx-provider-kit host: refused: the real bx-provider would run \`${e.line}\`, where ${e.reason}; ` +
                `the emulator never runs a shell command line built from input (exit 2). Use task ids, config ids, names and paths made of letters, digits, '.', '_' and '-'.\n`
            : `bx-provider-kit host: refused: the real bx-provider would do \`${e.line}\`, but ${e.reason} (exit 2)\n`,
          true,
        );
        exitCode = 2;
      } else if (e instanceof TimedOut) {
        stdout = '';
        timedOut = { argv: e.argv, limitMs: e.limitMs };
        run.stderr(
          `${run.lastErrByte === 0x0a ? '' : '\n'}bx-provider-kit host: the plugin call \`${e.line}\` did not end within the call timeout (${e.limitMs} ms); ` +
            `the emulator killed its process group and answers nothing (exit 2); the real host has no timeout and would still be waiting\n`,
          true,
        );
        exitCode = 2;
      } else if (e instanceof Overflow) {
        stdout = '';
        overflow = { argv: e.argv, limitBytes: e.limitBytes };
        run.stderr(
          `bx-provider-kit host: the plugin call \`${e.line}\` printed more than ${sizeText(e.limitBytes)} on stdout; ` +
            `the emulator stopped reading there and killed the call (the real host would buffer it all, then decode it); nothing is answered (exit 2)\n`,
          true,
        );
        exitCode = 2;
      } else if (!(e instanceof KitError) && typeof (e as NodeJS.ErrnoException)?.code === 'string') {
        // the file system said no where the emulator did not expect it (an unwritable
        // providers folder, a name too long): one line, exit 2, never a stack trace
        throw new KitError(`host -a ${action}: ${strerror(e)} (${(e as Error).message.split('\n')[0]}); check that ${run.root} is a folder you can write`);
      } else throw e;
    }
  }
  run.noteStderrCap();
  const { bytes } = perlBytes(stdout);
  const text = bytes.toString('utf8');
  let json: unknown;
  if (text.length) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { stdout: text, stdoutBytes: bytes, stderr: run.err.buffer.toString('utf8'), exitCode, json, calls: run.calls, refused, overflow, timedOut };
}

/** `grep(/^$o_action$/, @script_actions)`: the action is a regex there. */
function actionMatches(action: string): boolean {
  if ((HOST_ACTIONS as readonly string[]).includes(action)) return true;
  let re: RegExp;
  try {
    re = new RegExp(`^${action}$`);
  } catch {
    return false;
  }
  return HOST_ACTIONS.some((a) => re.test(a));
}
