import fs from 'node:fs';
import path from 'node:path';
import { KitError, isRealInside, realPathOf } from '@bx-provider-kit/schemas';
import { extractArchive, verifyArchive } from '@bx-provider-kit/packer';
import {
  decodeJsonPP,
  encodeJsonPP,
  isMooseInt,
  mooseDisplay,
  perlBytes,
  perlEmpty,
  perlIs,
  perlNotANumberDisplay,
  perlNumify,
  perlStr,
  perlStringRefDisplay,
  perlTrue,
  type PerlHash,
  type PerlValue,
} from './perl.js';
import { planShellLine, type Segment } from './shell.js';
import { addPoolHost, hasPool, poolFile, writePool } from './pool.js';
import { CappedSink, startProcess, type RunningProcess, type SpawnedCall } from './process.js';
import type { ChildProcess } from 'node:child_process';

/** The actions bx-provider accepts with `-a` (`pool` is accepted, then answered "Unknown action"). */
export const HOST_ACTIONS = ['status', 'list', 'install', 'uninstall', 'pool', 'configs', 'order', 'orders_list', 'order_status', 'order_to_host'] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];

export interface HostOptions {
  /** The folder standing for /opt/webdir: ROOT/providers, ROOT/logs, ROOT/pool. */
  root: string;
  /** Whether a root this Host creates gets a server pool (default true). Existing roots keep theirs. */
  pool?: boolean;
  /**
   * Wraps each plugin call's spawn, which it must call synchronously and return: e.g. a
   * conformance run's tracker starts the call inside the run's cgroup and registers it at fork
   * time (`(start, call) => tracker.spawnCall(start, call.cwd)`). Default: just spawn.
   */
  spawnWith?: (start: () => ChildProcess, call: SpawnedCall) => ChildProcess;
}

export interface RunOptions {
  /** `-a`: default `list`. Anything else than the ten actions prints the usage (exit 0). */
  action?: string;
  /** `--provider` */
  provider?: string;
  /** `--config_id` */
  configId?: string;
  /** `--task_id` */
  taskId?: string;
  /** `--archive`, relative to `cwd` */
  archive?: string;
  /** `-o`: json, plain (default), text, txt; anything else prints the usage (exit 0). */
  output?: string;
  /** `-v`: changes nothing visible, as on the real host (creates logs/providers.debug on install). */
  verbose?: boolean;
  /** Environment of the plugin calls (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Working directory of the plugin calls and base of a relative archive (default: process.cwd()). */
  cwd?: string;
  /**
   * Budget of one plugin call, until its stdout ends and it exits; default: wait forever, as the
   * host does (at most MAX_CALL_TIMEOUT_MS). Past it the emulator kills the call's process group,
   * stops waiting on its pipes (a process that left the group may still hold them), marks the
   * call `timedOut` and stops the run: nothing on stdout, a line on stderr, exit 2, `result.timedOut`.
   */
  callTimeoutMs?: number;
  /**
   * What the emulator keeps of one plugin call's stdout, and of stderr (per call and for the
   * whole run); default OUTPUT_CAP_BYTES (16 MiB). A plugin printing more on stdout stops the run
   * (exit 2, `result.overflow`); more on stderr is still forwarded to `onStderr` but not kept.
   */
  maxOutputBytes?: number;
  /** The plugins' stdin: 'ignore' (default) or 'inherit' (the real host passes the caller's). */
  stdin?: 'ignore' | 'inherit';
  /**
   * Receives stderr (plugin stderr and the host's warnings) as it happens. Back-pressure: when it
   * returns a promise (e.g. until a full `process.stderr` drains), the plugin's stderr is not read
   * until it settles, so a plugin writing gigabytes to a slow reader costs no memory.
   */
  onStderr?: (chunk: Buffer) => unknown;
}

export interface PluginCall {
  /** As the process got it: the executable, then its arguments (`[ROOT/providers/N/bin/N, 'order', '1']`). */
  argv: string[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  /** stdout went past `maxOutputBytes`: `stdout` holds the first bytes only and the call was killed. */
  stdoutTruncated: boolean;
  /** stderr went past `maxOutputBytes`: `stderr` holds the first bytes only (all of it was forwarded). */
  stderrTruncated: boolean;
}

export interface HostResult {
  /** stdout as text (UTF-8); `stdoutBytes` holds the exact bytes. */
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
  exitCode: number;
  /** stdout parsed, when it is JSON. */
  json?: unknown;
  calls: PluginCall[];
  /** Set when the emulator refused to run a shell line the real host would have run (exit 2). */
  refused?: { line: string; reason: string };
  /**
   * Set when a plugin printed more than `maxOutputBytes` on stdout: the emulator stopped reading,
   * killed the call and answered nothing on stdout, exit 2 (the real host would have buffered it all).
   */
  overflow?: { argv: string[]; limitBytes: number };
  /**
   * Set when a plugin call went past `callTimeoutMs`: the emulator killed its process group and
   * answered nothing on stdout, exit 2, saying so on stderr (the real host would still be waiting).
   */
  timedOut?: { argv: string[]; limitMs: number };
}

/** Default of `maxOutputBytes`: 16 MiB kept of a plugin call's stdout, and of stderr. */
export const OUTPUT_CAP_BYTES = 16 * 1024 * 1024;

const sizeText = (n: number) => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`);

/** The real host died (Perl `die`): nothing more on stdout, the message on stderr, exit 255 or a stale errno. */
class PerlDie extends Error {
  constructor(
    readonly text: string,
    readonly code = 255,
  ) {
    super(text);
  }
}

/** The emulator will not do what the real host would (a shell line with shell syntax, a write outside). */
class Refused extends Error {
  constructor(
    readonly line: string,
    readonly reason: string,
    /** false: not a shell line but a write or remove that would leave ROOT. */
    readonly shell = true,
  ) {
    super(reason);
  }
}

/** A plugin printed more on stdout than the emulator keeps: it stops there (exit 2). */
class Overflow extends Error {
  constructor(
    readonly argv: string[],
    readonly line: string,
    readonly limitBytes: number,
  ) {
    super(`stdout over ${limitBytes} bytes`);
  }
}

/** A plugin call went past `callTimeoutMs` and was killed: the real host would still be waiting (exit 2). */
class TimedOut extends Error {
  constructor(
    readonly argv: string[],
    readonly line: string,
    readonly limitMs: number,
  ) {
    super(`killed after ${limitMs} ms`);
  }
}

/** The largest timer Node keeps (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_CALL_TIMEOUT_MS = 2 ** 31 - 1;

/** Plugin calls running now, in any Host of this process: what killPluginCalls() ends. */
const live = new Set<RunningProcess>();

/**
 * Kills every plugin call still running (its whole process group where it has one), e.g. from
 * a SIGINT/SIGTERM handler before the process exits: the plugins must not outlive the host.
 * Returns how many calls it killed.
 */
export function killPluginCalls(): number {
  const n = live.size;
  for (const c of live) c.kill();
  live.clear();
  return n;
}

/** An Output object of the real host. */
interface Out {
  error: number;
  /** The plugin's own `error` value as Perl holds it ("1" stays a string in the JSON it prints). */
  errorRaw?: PerlValue;
  message?: string;
  data?: [string, PerlValue];
}

const USAGE_ACTIONS = HOST_ACTIONS.join('|');

/** The usage text bx-provider prints for -h and for an unknown -a or -o value (exit 0). */
export function usageText(prog = 'bx-provider'): string {
  return (
    `Usage: ${prog} [-vh] [-a ${USAGE_ACTIONS}] [--provider provider_name] \n` +
    `   [--config_id configuration_id] [--task_id configuration_task_id] [--archive /path/to/archive.tar.gz ] \n` +
    `Options:\n` +
    `  -h|--help    - show this message\n` +
    `  -v|--verbose - verbose mode\n` +
    `  -a|--action  - action: ${USAGE_ACTIONS}\n` +
    `  -o|--output  - output format: json, plain (text, txt)\n` +
    `  --provider   - provider name (the folder in providers/ and its bin/NAME)\n` +
    `  --archive    - archive to install (.tar.gz, .tar.bz2, .zip)\n` +
    `  --config_id  - configuration id to order\n` +
    `  --task_id    - task id returned by order\n` +
    ` Examples:\n` +
    `  * list installed providers\n ${prog} -o json\n` +
    `  * status and supported options of a provider\n ${prog} -a status --provider NAME\n` +
    `  * install a provider from an archive\n ${prog} -a install --provider NAME --archive /tmp/NAME.tar.gz\n` +
    `  * uninstall a provider\n ${prog} -a uninstall --provider NAME\n` +
    `  * list configurations\n ${prog} -a configs --provider NAME\n` +
    `  * order a configuration\n ${prog} -a order --provider NAME --config_id 123\n` +
    `  * status of an order\n ${prog} -a order_status --provider NAME --task_id 987\n` +
    `  * add the ordered server to the pool once it is finished\n ${prog} -a order_to_host --provider NAME --task_id 987\n` +
    `  * orders and their statuses\n ${prog} -a orders_list --provider NAME\n` +
    ` \n`
  );
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENAMETOOLONG: 'File name too long',
  EEXIST: 'File exists',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ELOOP: 'Too many levels of symbolic links',
};
const strerror = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return (err.code && STRERROR[err.code]) || err.message;
};

/** File::Spec::Unix::canonpath */
function canonpath(p: string): string {
  if (p === '') return '';
  let s = p.replace(/\/{2,}/g, '/');
  s = s.replace(/(?:\/\.)+(?=\/|$)/g, '');
  if (s !== './') s = s.replace(/^(?:\.\/)+/, '');
  s = s.replace(/^\/(?:\.\.\/)+/, '/');
  s = s.replace(/^\/\.\.$/, '/');
  if (s.length > 1) s = s.replace(/\/$/, '');
  return s === '' ? '/' : s;
}
/** File::Spec::Unix::catfile(dir, file) */
function catfile(dir: string, file: string): string {
  const f = canonpath(file);
  let d = canonpath(dir + '/');
  if (!d.endsWith('/')) d += '/';
  return d + f;
}
/** File::Basename::dirname */
function dirname(p: string): string {
  const s = p.length > 1 ? p.replace(/\/+$/, '') : p;
  return path.posix.dirname(s || '/');
}

const isDir = (p: string) => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const isFile = (p: string) => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};
const isExecutable = (p: string) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const inside = (dir: string, p: string) => {
  const rel = path.relative(dir, path.resolve(p));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** Creates ROOT/providers, ROOT/logs and, for a new root (no logs/ yet) unless `pool: false`, the pool inventory. */
export function initRoot(root: string, opts: { pool?: boolean } = {}): { created: boolean; pool: boolean } {
  const abs = path.resolve(root);
  if (fs.existsSync(abs) && !isDir(abs)) throw new KitError(`host root ${abs} exists and is not a folder: pick another --root`);
  // ROOT/logs marks an initialised root (a real /opt/webdir always has it); providers/ may be made by hand
  const fresh = !fs.existsSync(path.join(abs, 'logs'));
  try {
    fs.mkdirSync(path.join(abs, 'providers'), { recursive: true });
    fs.mkdirSync(path.join(abs, 'logs'), { recursive: true });
    if (fresh && opts.pool !== false && !hasPool(abs)) writePool(abs, { hosts: [] });
  } catch (e) {
    throw new KitError(`cannot create the host root ${abs}: ${strerror(e)}`);
  }
  return { created: fresh, pool: hasPool(abs) };
}

/** NAME_MAX: the longest file name the host's file system takes (a provider name is one). */
const NAME_MAX = 255;

/**
 * A provider name the emulator can place under ROOT/providers: one folder name (no "/", not "."
 * or ".."), or a KitError saying why not. '' stays allowed where the real host takes it (status,
 * orders_list: "Provider  not exist"). A "/" would let a link inside an installed provider lead
 * anywhere (`--provider x/e/victim` through x/e -> ../..).
 */
function checkProviderName(base: string, name: string): void {
  if (name.includes('\0')) throw new KitError('--provider contains a NUL byte');
  if (name.includes('/') || name === '.' || name === '..') {
    const leaves = name === '.' || name === '..' || name.split('/').includes('..') || path.isAbsolute(name);
    throw new KitError(
      leaves
        ? `--provider ${JSON.stringify(name)} leaves ${base}: the real host would create and run files outside its providers folder; the emulator refuses`
        : `--provider ${JSON.stringify(name)} is not one folder name: the emulator takes a single name under ${base} (no "/"), so no link inside a provider can lead it elsewhere`,
    );
  }
  if (Buffer.byteLength(name) > NAME_MAX) {
    throw new KitError(`--provider is ${Buffer.byteLength(name)} bytes long: a folder name has at most ${NAME_MAX} (NAME_MAX); use a short provider name`);
  }
}

/** Kit-only: really removes ROOT/providers/NAME (the real `uninstall` deletes nothing, see host-observed j). */
export function purge(root: string, name: string): { removed: string } {
  const base = path.join(path.resolve(root), 'providers');
  if (!name) throw new KitError('purge needs --provider NAME');
  checkProviderName(base, name);
  const holder = path.join(base, name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(holder);
  } catch {
    throw new KitError(`no provider folder ${holder} to purge`);
  }
  // never follow a link: a linked provider loses its link, never what it points at
  try {
    if (st.isSymbolicLink()) fs.unlinkSync(holder);
    else {
      if (!isRealInside(base, holder, { allowRoot: false })) throw new KitError(`refusing to purge ${holder}: it resolves to ${realPathOf(holder)}, outside ${base}`);
      fs.rmSync(holder, { recursive: true, force: true });
    }
  } catch (e) {
    if (e instanceof KitError) throw e;
    throw new KitError(`cannot purge ${holder}: ${strerror(e)}`);
  }
  return { removed: holder };
}

/** Rules of archive findings the emulator refuses to unpack: writes outside the holder, devices, and bombs (ARCH-LIMITS). */
const OUTSIDE_RULES = new Set(['ARCH-ABSOLUTE', 'ARCH-TRAVERSAL', 'ARCH-LINK', 'ARCH-SPECIAL', 'ARCH-LIMITS']);

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
    return new HostRun(this.root, opts, this.spawnWith).run();
  }
}

type ProviderOptions = PerlHash & {
  name: PerlValue;
  status: PerlValue;
  config: string;
  files: { holder: string; config: string; execute: string };
  options: { help: number; init: number; configs: number; order: number; order_status: number };
};

class Provider {
  private opts?: ProviderOptions;
  readonly nameStr: string;
  readonly holder: string;
  readonly execute: string;
  readonly config: string;
  readonly tasks: string;
  constructor(
    private readonly r: HostRun,
    readonly name: string | undefined,
  ) {
    this.nameStr = name ?? '';
    this.holder = catfile(r.base, this.nameStr);
    this.execute = catfile(catfile(this.holder, 'bin'), this.nameStr);
    this.config = catfile(catfile(this.holder, 'etc'), this.nameStr + '.conf');
    this.tasks = catfile(this.holder, 'tasks');
  }

  /** bxProvider::provider_options: lazily, once per provider object, running `help`. */
  async options(): Promise<ProviderOptions> {
    if (this.opts) return this.opts;
    const r = this.r;
    if (this.name === undefined) {
      r.warn('Use of uninitialized value in subroutine entry', 'bxProvider.pm', 106);
      r.warn('Use of uninitialized value in subroutine entry', 'bxProvider.pm', 126);
      r.warn('Use of uninitialized value $provider_name in concatenation (.) or string', 'bxProvider.pm', 127);
    }
    const o: ProviderOptions = {
      name: this.name ?? null,
      status: 'not_exists',
      config: 'not_exists',
      files: { holder: this.holder, config: this.config, execute: this.execute },
      options: { help: 0, init: 0, configs: 0, order: 0, order_status: 0 },
    };
    this.opts = o;
    if (!isExecutable(this.execute)) return o;
    o.status = 'exists';
    if (isFile(this.config)) o.config = 'exists';
    const ans = await r.exec(this, 'help');
    if (r.isError(ans)) return o;
    const data = r.dataOrDie(ans, 143);
    const opts = data.options;
    if (opts !== undefined && opts !== null) {
      if (Array.isArray(opts)) {
        for (const cmd of opts) {
          const k = perlStr(cmd);
          if (Object.prototype.hasOwnProperty.call(o.options, k)) (o.options as Record<string, number>)[k] = 1;
        }
      } else if (typeof opts === 'string' || typeof opts === 'number') {
        r.die(`Can't use string (${perlStringRefDisplay(perlStr(opts))}) as an ARRAY ref while "strict refs" in use`, 'bxProvider.pm', 145);
      } else {
        r.die('Not an ARRAY reference', 'bxProvider.pm', 145);
      }
    }
    if (data.status !== undefined && data.status !== null) o.status = data.status;
    return o;
  }
}

class HostRun {
  readonly base: string;
  private readonly lib: string;
  private readonly err: CappedSink;
  private lastErrByte = 0x0a;
  readonly calls: PluginCall[] = [];
  private readonly cwd: string;
  readonly cap: number;

  constructor(
    readonly root: string,
    readonly o: RunOptions,
    private readonly spawnWith?: HostOptions['spawnWith'],
  ) {
    this.base = path.join(root, 'providers');
    this.lib = path.join(root, 'lib');
    this.cwd = path.resolve(o.cwd ?? process.cwd());
    this.cap = o.maxOutputBytes ?? OUTPUT_CAP_BYTES;
    this.err = new CappedSink(this.cap);
  }

  /**
   * stderr of the run: forwarded to onStderr as it comes (the real host passes its plugins'
   * stderr straight through), kept in the result up to the cap, then one kit note.
   */
  stderr(text: string | Buffer, kit = false): Promise<unknown> | undefined {
    const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    if (!b.length) return undefined;
    // the emulator's own closing messages are kept even past the cap
    if (kit) this.err.append(b);
    else this.err.push(b);
    this.lastErrByte = b[b.length - 1];
    const r = this.o.onStderr?.(b);
    return r instanceof Promise ? r : undefined;
  }

  /** Once the run is over: says that stderr went past the cap (at the end, never inside a plugin's output). */
  private noteStderrCap(): void {
    if (!this.err.truncated) return;
    const note = `bx-provider-kit host: more than ${sizeText(this.cap)} on stderr; the emulator kept only the first ${sizeText(this.cap)} in its result and forwarded all of it (the real host passes stderr through)\n`;
    this.err.append(Buffer.from(`${this.err.endsLine ? '' : '\n'}${note}`));
    this.o.onStderr?.(Buffer.from(`${this.lastErrByte === 0x0a ? '' : '\n'}${note}`));
  }

  /** Before a write or remove: `p` must lie inside ROOT by its real path, else the run is refused (exit 2). */
  guard(p: string, line: string): void {
    if (!isRealInside(this.root, p)) {
      throw new Refused(line, `${p} resolves to ${realPathOf(p)}, outside ${this.root}: a link leads out of the emulator's root; it never writes there`, false);
    }
  }

  warn(msg: string, file: string, line: number): void {
    this.stderr(perlBytes(`${msg} at ${this.where(file)} line ${line}.\n`).bytes);
  }

  die(msg: string, file: string, line: number, code = 255): never {
    throw new PerlDie(`${msg} at ${this.where(file)} line ${line}.\n`, code);
  }

  private where(file: string): string {
    return file === 'bx-provider' ? path.join(this.root, 'bin', 'bx-provider') : path.join(this.lib, file);
  }

  /** Output::is_error: logs errors > 0 to ROOT/logs/wrapper.log; true for any non-zero error. */
  isError(out: Out): boolean {
    if (out.error > 0 && out.message) this.log(out);
    return out.error !== 0;
  }

  private log(out: Out): void {
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    const ts = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    try {
      fs.appendFileSync(path.join(this.root, 'logs', 'wrapper.log'), perlBytes(`[${ts}] ${process.pid} CODE_${p(out.error)} "${out.message}"\n`).bytes);
    } catch {
      /* the real one ignores a log it cannot open */
    }
  }

  dataOrDie(out: Out, line: number, code = 255): PerlHash {
    if (!out.data) {
      this.die("Can't use an undefined value as an ARRAY reference", 'bxProvider.pm', line, code);
    }
    return out.data[1] as PerlHash;
  }

  /** bxProvider::executeProviderCmd: `open($ph, "$exec $opt |")`, emulated without a shell. */
  async exec(p: Provider, opt: string): Promise<Out> {
    const rel = p.execute.slice(this.base.length + 1);
    const segs: Segment[] = [{ text: this.base + '/', opaque: true }, { text: rel }, { text: ' ' + opt }];
    const plan = planShellLine(segs);
    if (!plan.ok) throw new Refused(plan.line, plan.reason);
    const line = plan.line;
    const { stdout, overflow, timedOut } = await this.spawnPlugin(plan.words);
    if (overflow) throw new Overflow(plan.words, line, this.cap);
    if (timedOut) throw new TimedOut(plan.words, line, this.o.callTimeoutMs!);
    if (stdout.length === 0 || (stdout.length === 1 && stdout[0] === 0x0a)) {
      return { error: 1, message: `bxProvider::executeProviderCmd: Command \`${line}\` return empty string` };
    }
    const dec = decodeJsonPP(stdout);
    if (!dec.ok) this.die(dec.message, 'bxProvider.pm', 57);
    let v = dec.value;
    if (v === null) v = Object.create(null) as PerlHash; // `exists $undef->{error}` autovivifies a hash
    if (Array.isArray(v) || typeof v === 'boolean') this.die('Not a HASH reference', 'bxProvider.pm', 58);
    if (typeof v !== 'object') this.die(`Can't use string (${perlStringRefDisplay(perlStr(v))}) as a HASH ref while "strict refs" in use`, 'bxProvider.pm', 58);
    const h = v as PerlHash;
    if ('error' in h) {
      const em = h.error_message;
      if (em === undefined || em === null) this.warn('Use of uninitialized value in concatenation (.) or string', 'bxProvider.pm', 61);
      const message = `cmd=\`${line}\` return ${perlStr(em)}`;
      if (!isMooseInt(h.error)) {
        throw new PerlDie(
          `Attribute (error) does not pass the type constraint because: Validation failed for 'Int' with value ${mooseDisplay(h.error)} at /usr/lib/x86_64-linux-gnu/perl5/5.36/Moose/Object.pm line 24\n`,
          2,
        );
      }
      return { error: parseInt(perlStr(h.error), 10), errorRaw: h.error, message };
    }
    return { error: 0, data: ['json', h] };
  }

  /**
   * One plugin call as the host makes it (`open($ph, "$exec $opt |")`, read to EOF, `close`),
   * through the kit's process runner (process.ts): it ends when its stdout ends and it has
   * exited. stderr is the caller's on the real host: it is forwarded as it comes; once the call is over, a pipe still held open by a process the plugin
   * left behind gets 200 ms, then the emulator stops reading it. Memory stays bounded: past
   * `cap` bytes on stdout the call is killed and `overflow` set; stderr past `cap` is forwarded,
   * not kept. With `callTimeoutMs`, the plugin runs in its own process group; past the budget the
   * group is killed and, 250 ms later, pipes still held (by a process that left the group, e.g.
   * with setsid) are abandoned: the call returns marked `timedOut` (and the run stops, exit 2).
   */
  private async spawnPlugin(words: string[]): Promise<{ stdout: Buffer; overflow: boolean; timedOut: boolean }> {
    const [file, ...args] = words;
    const started = Date.now();
    const timeout = this.o.callTimeoutMs;
    const h = startProcess({
      file,
      args,
      cwd: this.cwd,
      env: this.o.env ?? process.env,
      stdin: this.o.stdin ?? 'ignore',
      stdoutCap: this.cap,
      onStderr: (b) => this.stderr(b),
      timeoutMs: timeout,
      stderrGraceMs: 200,
      giveUpMs: 250,
      returnOnCut: true,
      spawnWith: this.spawnWith,
    });
    live.add(h);
    const r = await h.result;
    live.delete(h);
    let stderr = r.stderr;
    let exitCode = r.exitCode;
    if (r.spawnError !== undefined) {
      // what /bin/sh prints when it cannot run the first word
      const code = r.spawnError;
      const denied = code === 'EACCES' || code === 'EISDIR';
      const msg = Buffer.from(`sh: 1: ${file}: ${denied ? 'Permission denied' : 'not found'}\n`);
      this.stderr(msg);
      stderr = Buffer.concat([stderr, msg]);
      exitCode = code === 'EACCES' ? 126 : 127;
    }
    this.calls.push({
      argv: [file, ...args],
      stdout: r.stdout.toString('utf8'),
      stderr: stderr.toString('utf8'),
      exitCode,
      signal: r.signal,
      durationMs: Date.now() - started,
      timedOut: r.timedOut,
      stdoutTruncated: r.stdoutTruncated,
      stderrTruncated: r.stderrTruncated,
    });
    return { stdout: r.stdout, overflow: r.cut, timedOut: r.timedOut };
  }

  // ---- actions (bxProvider.pm / bxProviders.pm) -------------------------------------------

  private gate(p: Provider, o: ProviderOptions, sub: string, option: keyof ProviderOptions['options']): Out | undefined {
    const m = perlIs(perlStr(o.status), 'not_exists', 'disabled');
    if (m) return { error: 1, message: `bxProvider::${sub}: Provider ${p.nameStr} ${m} on the host` };
    if (o.options[option] === 0) return { error: 1, message: `bxProvider::${sub}: Provider ${p.nameStr} doesn't support ${option} option` };
    return undefined;
  }

  async optionsProvider(p: Provider): Promise<Out> {
    const o = await p.options();
    if (perlIs(perlStr(o.status), 'not_exists')) {
      if (p.name === undefined) this.warn('Use of uninitialized value $provider_name in concatenation (.) or string', 'bxProvider.pm', 324);
      return { error: 1, message: `bxProvider::optionsProvider: Provider ${p.nameStr} not exist on the host` };
    }
    return { error: 0, data: ['provider_options', { [p.nameStr]: o }] };
  }

  async configs(p: Provider): Promise<Out> {
    const o = await p.options();
    const g = this.gate(p, o, 'configsProvider', 'configs');
    if (g) return g;
    const ans = await this.exec(p, 'configs');
    if (this.isError(ans)) return ans;
    const data = this.dataOrDie(ans, 371);
    return { error: 0, data: ['provider_configs', { [p.nameStr]: data }] };
  }

  async order(p: Provider, configId: string | undefined): Promise<Out> {
    if (configId === undefined) return { error: 1, message: 'bxProvider::order2Provider: You must provide config_id for order' };
    const o = await p.options();
    const g = this.gate(p, o, 'order2Provider', 'order');
    if (g) return g;
    const ans = await this.exec(p, `order ${configId}`);
    if (this.isError(ans)) return ans;
    const hadTasks = isDir(p.tasks);
    if (!hadTasks) {
      this.guard(p.tasks, `mkpath('${p.tasks}')`);
      fs.mkdirSync(p.tasks, { recursive: true });
      fs.chmodSync(p.tasks, 0o750); // mkpath(..., 0770) under root's umask 022
    }
    // `-d tasks` failing leaves errno ENOENT behind: a die right after exits 2 (host-observed c)
    const data = this.dataOrDie(ans, 423, hadTasks ? 255 : 2);
    const task = data.task_id;
    if (task === undefined || task === null) this.warn('Use of uninitialized value $task_id in pattern match (m//)', 'bxProvider.pm', 425);
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
    this.guard(resolved, `open(my $th, '>', '${taskFile}')`);
    try {
      const existed = fs.existsSync(resolved);
      writeNoFollow(resolved, Buffer.alloc(0));
      if (!existed) fs.chmodSync(resolved, 0o644);
    } catch (e) {
      return { error: 1, message: `bxProvider::order2Provider: Cannot save ${taskFile}: ${strerror(e)}` };
    }
    return { error: 0, data: ['provider_order', { [p.nameStr]: data }] };
  }

  private async statusCall(p: Provider, taskId: string, sub: string, dieLine: number, warnLine: number): Promise<{ out: Out } | { data: PerlHash }> {
    const ans = await this.exec(p, `order_status ${taskId}`);
    if (this.isError(ans)) return { out: ans };
    const data = this.dataOrDie(ans, dieLine);
    const status = data.status;
    if (status === undefined || status === null) this.warn('Use of uninitialized value $status in pattern match (m//)', 'bxProvider.pm', warnLine);
    if (perlEmpty(perlStr(status))) {
      return { out: { error: 1, message: `bxProvider::${sub}: Provider ${p.nameStr} doesn't return status for task_id=${taskId}` } };
    }
    return { data };
  }

  async orderStatus(p: Provider, taskId: string | undefined): Promise<Out> {
    if (taskId === undefined) return { error: 1, message: 'bxProvider::order_status2Provider: You must provide task_id for status request' };
    const o = await p.options();
    const g = this.gate(p, o, 'order_status2Provider', 'order_status');
    if (g) return g;
    const sc = await this.statusCall(p, taskId, 'order_status2Provider', 486, 488);
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

  async orderToHost(p: Provider, taskId: string | undefined): Promise<Out> {
    const sub = 'order_to_hostProvider';
    if (taskId === undefined) return { error: 1, message: `bxProvider::${sub}: You must provide task_id for status request` };
    const o = await p.options();
    const g = this.gate(p, o, sub, 'order_status');
    if (g) return g;
    const sc = await this.statusCall(p, taskId, sub, 566, 568);
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
        this.die(`Can't call method "print" without a package or object reference`, 'bx-provider', 100);
      }
      if (!inside(p.tasks, taskFile)) {
        throw new Refused(`open(my $fh, '>', '${taskFile}')`, `task_id ${JSON.stringify(taskId)} names ${path.resolve(taskFile)}, outside ${p.tasks}; the real host would overwrite it`);
      }
      this.guard(taskFile, `open(my $fh, '>', '${taskFile}')`);
      const pooled = hasPool(this.root);
      const fail = (message: string): Out => {
        saveStatus(taskFile, 'error', message);
        const out = { error: 1, message };
        this.isError(out);
        return out;
      };
      if (password !== '') {
        if (!pooled) return fail('BX_KEY_VIEW: Cannot open main config /etc/ansible/ansible.cfg: No such file or directory');
        this.stderr(
          `bx-provider-kit host: emulated: the real host would now copy the pool's SSH key to root@${server} with server_password (ssh_keycopy); skipped, the emulator uses no network\n`,
        );
      } else if (pooled) {
        this.stderr(
          `bx-provider-kit host: emulated: no server_password in the answer, so the real host would not copy the pool's SSH key to root@${server} and could not manage it (STAT-FINISHED)\n`,
        );
      }
      if (!pooled) return fail('pool_not_created');
      let poolErr: string | undefined;
      try {
        poolErr = addPoolHost(this.root, { host: server, provider: p.nameStr, taskId, added: new Date().toISOString() });
      } catch (e) {
        throw new KitError((e as Error).message);
      }
      if (poolErr) return fail(poolErr);
      saveStatus(taskFile, 'complete', `Server=${server} is added to the pool`);
      return { error: 0, message: `Server=${server} is added to the pool` };
    }
    // `$status == "in_progress"`: numeric comparison, both sides numified with warnings
    this.warn(`Argument "in_progress" isn't numeric in numeric eq (==)`, 'bxProvider.pm', 654);
    const num = perlNumify(status);
    if (num.warn) this.warn(`Argument "${perlNotANumberDisplay(perlStr(status))}" isn't numeric in numeric eq (==)`, 'bxProvider.pm', 654);
    if (num.n === 0) return { error: 0, data: ['provider_order', { [p.nameStr]: r }] };
    return { error: 1, message: `Unknown status=${perlStr(status)} for ${p.nameStr}` };
  }

  async listOrders4Provider(p: Provider): Promise<Out> {
    const o = await p.options();
    const g = this.gate(p, o, 'listOrders4Provider', 'order_status');
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
      const st = await this.orderStatus(p, taskId);
      output ??= Object.create(null) as PerlHash;
      const mine = ((output[p.nameStr] as PerlHash | undefined) ??= Object.create(null) as PerlHash);
      if (this.isError(st)) {
        this.isError(st); // `error => $task_status->is_error` logs a second time
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

  private readBase(typo: boolean): string[] | Out {
    try {
      return fs.readdirSync(this.base);
    } catch (e) {
      return { error: 1, message: `bxProviders: Cannot open ${typo ? 'dircetory' : 'directory'} ${this.base}: ${strerror(e)}` };
    }
  }

  async listOrders4Providers(): Promise<Out> {
    const names = this.readBase(false);
    if (!Array.isArray(names)) return names;
    const output: PerlHash = Object.create(null);
    for (const name of names) {
      if (!isDir(catfile(this.base, name))) continue;
      const r = await this.listOrders4Provider(new Provider(this, name));
      if (this.isError(r)) continue;
      const d = r.data![1] as PerlHash | null;
      output[name] = d === null ? null : (d[name] ?? null);
    }
    return { error: 0, data: ['provider_order_list', output] };
  }

  async listProviders(): Promise<Out> {
    const names = this.readBase(true);
    if (!Array.isArray(names)) return names;
    const output: PerlHash = Object.create(null);
    for (const name of names) {
      if (!isDir(catfile(this.base, name))) continue;
      const p = new Provider(this, name);
      const r = await this.optionsProvider(p);
      if (this.isError(r)) {
        this.isError(r); // logged twice, as `error => $provider_opt->is_error` calls it again
        output[name] = { error: r.errorRaw ?? r.error, message: r.message ?? null };
      } else {
        output[name] = { status: (await p.options()).status };
      }
    }
    return { error: 0, data: ['providers', output] };
  }

  async install(p: Provider, archive: string | undefined): Promise<Out> {
    const o = await p.options();
    if (!perlIs(perlStr(o.status), 'not_exists')) return { error: 1, message: `bxProvider: Provider ${p.nameStr} already exist on the host` };
    for (const d of [this.base, p.holder, dirname(p.execute), dirname(p.config)]) this.guard(d, `mkdir('${d}')`);
    for (const d of [this.base, p.holder, dirname(p.execute), dirname(p.config)]) {
      if (!isDir(d)) {
        try {
          fs.mkdirSync(d);
          fs.chmodSync(d, 0o755);
        } catch {
          /* Perl's mkdir failure is not checked */
        }
        this.debugLog();
      }
    }
    if (perlTrue(archive)) {
      const u = await this.unpack(p.holder, archive!);
      if (this.isError(u)) return u;
      this.debugLog();
    }
    // `chown -R bitrix.bitrix HOLDER` is not reproduced: the emulator runs unprivileged and the
    // Debian warning it prints (host-observed G5) depends on the coreutils version.
    return { error: 0, message: `bxProvider: Provider data created, you can found it in ${p.holder}` };
  }

  /** `-v` makes the real one open logs/providers.debug for appending, and write nothing. */
  private debugLog(): void {
    if (!this.o.verbose) return;
    try {
      fs.appendFileSync(path.join(this.root, 'logs', 'providers.debug'), '');
    } catch {
      /* ignored, as there */
    }
  }

  private async unpack(folder: string, archive: string): Promise<Out> {
    const file = path.resolve(this.cwd, archive);
    if (!isFile(file)) return { error: 1, message: `bxProvider: not found ${archive}` };
    this.guard(folder, `tar xzf ${archive} -C ${folder}`);
    let mkdirFailed: unknown;
    try {
      if (!isDir(folder)) fs.mkdirSync(folder);
    } catch (e) {
      mkdirFailed = e; // unchecked there: tar -C then fails
    }
    const m = /\.(tar\.gz|tar\.bz2|zip)\n?$/.exec(archive);
    if (!m) return { error: 1, message: 'bxProvider: not supported archive (only support tar.gz, tar.bz2, zip)' };
    const type = m[1];
    const folderSegs: Segment[] = [{ text: this.base + '/', opaque: true }, { text: folder.slice(this.base.length + 1) }];
    const segs: Segment[] =
      type === 'zip'
        ? [{ text: 'unzip ' }, { text: archive }, { text: ' -d ' }, ...folderSegs]
        : [{ text: 'tar xzf ' }, { text: archive }, { text: ' -C ' }, ...folderSegs];
    const plan = planShellLine(segs);
    if (!plan.ok) throw new Refused(plan.line, plan.reason);
    const line = plan.line;
    const failed: Out = { error: 1, message: `bxProvider: cmd=\`${line}\` return error: No such file or directory` };
    if (mkdirFailed !== undefined) return { error: 1, message: `bxProvider: cmd=\`${line}\` return error: ${strerror(mkdirFailed)}` };
    const expected = type === 'zip' ? ['unzip', archive, '-d', folder] : ['tar', 'xzf', archive, '-C', folder];
    // a blank in the archive path or the provider name splits a word: tar/unzip then fail
    if (plan.words.length !== expected.length || plan.words.some((w, i) => w !== expected[i])) return failed;
    const format = type === 'zip' ? 'zip' : 'tar.gz';
    const refuse = (reason: string, rule: string | undefined): Out => {
      // say what is true: a bomb is unpacked in full (inside the folder), not written outside
      const would =
        rule === 'ARCH-LIMITS'
          ? `the real host would run \`${line}\` as root and unpack all of it into ${folder}, filling the disk; the emulator stops at its limits`
          : `the real host would run \`${line}\` as root and write outside ${folder}, the emulator never does`;
      this.stderr(`bx-provider-kit host: refused to unpack ${archive}: ${reason}; ${would}\n`);
      return { error: 1, message: `bxProvider: cmd=\`${line}\` return error: refused by the emulator: ${reason}` };
    };
    try {
      const v = await verifyArchive(file);
      const bad = v.findings.find((f) => f.severity === 'error' && OUTSIDE_RULES.has(f.rule));
      if (bad) return refuse(`${bad.entry ? `${bad.entry}: ` : ''}${bad.message} (${bad.rule})`, bad.rule);
    } catch {
      /* unreadable archives are tar's problem below */
    }
    try {
      await extractArchive(file, folder, { format });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const rule = /\b(ARCH-[A-Z-]+)\b/.exec(msg)?.[1];
      if (e instanceof KitError && rule && OUTSIDE_RULES.has(rule)) return refuse(msg, rule);
      return failed; // not gzip / not a zip / corrupt: tar or unzip exits non-zero
    }
    return { error: 0, message: `bxProvider: unpack ${archive} to ${folder}` };
  }

  async uninstall(p: Provider): Promise<Out> {
    const o = await p.options();
    if (perlIs(perlStr(o.status), 'not_exists')) return { error: 1, message: `bxProvider: Provider ${p.nameStr} not exist on the host` };
    // remove_tree() is given the options hashref: it stats "HASH(0x...)" in the cwd and deletes nothing
    return { error: 0, message: `bxProvider: Provider data deleted from ${p.holder}` };
  }

  // ---- Output::print ------------------------------------------------------------------------

  private print(out: Out, format: 'json' | 'plain'): string {
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
            this.die(`Can't use string (${perlStringRefDisplay(perlStr(confs))}) as an ARRAY ref while "strict refs" in use`, 'Output.pm', 663);
          else this.die('Not an ARRAY reference', 'Output.pm', 663);
          const field = (pc: PerlValue, k: string): PerlValue | undefined => {
            if (pc === null || pc === undefined) return undefined;
            if (Array.isArray(pc) || typeof pc === 'boolean') this.die('Not a HASH reference', 'Output.pm', 663);
            if (typeof pc !== 'object') this.die(`Can't use string (${perlStringRefDisplay(perlStr(pc))}) as a HASH ref while "strict refs" in use`, 'Output.pm', 663);
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
            if (id === undefined || id === null) this.warn('Use of uninitialized value $id in concatenation (.) or string', 'Output.pm', 667);
            if (desc === undefined || desc === null) this.warn('Use of uninitialized value $desc in concatenation (.) or string', 'Output.pm', 667);
            s += `provider:configs:${n}:${perlStr(d.status)}:${perlStr(id)}:${perlStr(desc)}\n`;
          }
        }
      } else if (type === 'provider_order') {
        for (const n of names) {
          const task = (byName[n] as PerlHash).task_id;
          if (task === undefined || task === null) this.warn('Use of uninitialized value $provider_task in concatenation (.) or string', 'Output.pm', 677);
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
            if (e.status === undefined || e.status === null) this.warn('Use of uninitialized value $st in concatenation (.) or string', 'Output.pm', 707);
            if (e.mtime === undefined || e.mtime === null) this.warn('Use of uninitialized value $mtime in concatenation (.) or string', 'Output.pm', 707);
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

  // ---- bx-provider (the script) -------------------------------------------------------------

  async run(): Promise<HostResult> {
    const o = this.o;
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
        if (o.provider !== undefined) checkProviderName(this.base, o.provider);
        const p = new Provider(this, o.provider);
        let out: Out;
        const a = action;
        if (a === 'install') out = await this.install(p, o.archive);
        else if (a === 'uninstall') out = await this.uninstall(p);
        else if (a === 'status') out = await this.optionsProvider(p);
        else if (a === 'configs') out = await this.configs(p);
        else if (a === 'order') out = await this.order(p, o.configId);
        else if (a === 'orders_list') out = perlTrue(o.provider) ? await this.listOrders4Provider(p) : await this.listOrders4Providers();
        else if (a === 'order_status') out = await this.orderStatus(p, o.taskId);
        else if (a === 'order_to_host') out = await this.orderToHost(p, o.taskId);
        else if (a === 'list') out = await this.listProviders();
        else out = { error: 1, message: `Unknown action=${action}` };
        stdout = this.print(out, format);
        exitCode = ((out.error % 256) + 256) % 256;
      } catch (e) {
        if (e instanceof PerlDie) {
          stdout = '';
          this.stderr(perlBytes(e.text).bytes);
          exitCode = e.code;
        } else if (e instanceof Refused) {
          stdout = '';
          refused = { line: e.line, reason: e.reason };
          this.stderr(
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
          this.stderr(
            `${this.lastErrByte === 0x0a ? '' : '\n'}bx-provider-kit host: the plugin call \`${e.line}\` did not end within the call timeout (${e.limitMs} ms); ` +
              `the emulator killed its process group and answers nothing (exit 2); the real host has no timeout and would still be waiting\n`,
            true,
          );
          exitCode = 2;
        } else if (e instanceof Overflow) {
          stdout = '';
          overflow = { argv: e.argv, limitBytes: e.limitBytes };
          this.stderr(
            `bx-provider-kit host: the plugin call \`${e.line}\` printed more than ${sizeText(e.limitBytes)} on stdout; ` +
              `the emulator stopped reading there and killed the call (the real host would buffer it all, then decode it); nothing is answered (exit 2)\n`,
            true,
          );
          exitCode = 2;
        } else if (!(e instanceof KitError) && typeof (e as NodeJS.ErrnoException)?.code === 'string') {
          // the file system said no where the emulator did not expect it (an unwritable
          // providers folder, a name too long): one line, exit 2, never a stack trace
          throw new KitError(`host -a ${action}: ${strerror(e)} (${(e as Error).message.split('\n')[0]}); check that ${this.root} is a folder you can write`);
        } else throw e;
      }
    }
    this.noteStderrCap();
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
    return { stdout: text, stdoutBytes: bytes, stderr: this.err.buffer.toString('utf8'), exitCode, json, calls: this.calls, refused, overflow, timedOut };
  }
}

/** Writes a file, refusing to follow a link in its place (O_NOFOLLOW: ELOOP). */
function writeNoFollow(file: string, data: Buffer): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}

function saveStatus(file: string, status: string, message: string): void {
  try {
    writeNoFollow(file, perlBytes(`${status}: ${message}`).bytes);
  } catch {
    /* saveStatus's failure is ignored by its callers */
  }
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
