/**
 * One run of bx-provider: its stderr, its plugin calls (`executeProviderCmd`, through the kit's
 * process runner) and the Perl-side helpers every action uses (warn, die, Output::is_error, the
 * write guard). The actions themselves live in actions.ts, order-to-host.ts, lists.ts and
 * install.ts; the dispatch in host.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isRealInside, realPathOf } from '@bx-provider-kit/schemas';
import { decodeJsonPP, isMooseInt, mooseDisplay, perlBytes, perlStr, perlStringRefDisplay, type PerlHash } from './perl.js';
import { planShellLine, type Segment } from './shell.js';
import { CappedSink, startProcess, type RunningProcess } from './process.js';
import { OUTPUT_CAP_BYTES, type HostOptions, type PluginCall, type RunOptions } from './options.js';
import { Overflow, PerlDie, Refused, TimedOut, sizeText, type Out } from './outcome.js';

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

/** The state of one run, handed to each action (the actions take it as a parameter; nothing here knows them). */
export class HostRun {
  readonly base: string;
  private readonly lib: string;
  /** The run's stderr as kept for the result (up to `cap`, plus the emulator's own closing lines). */
  readonly err: CappedSink;
  /** The last byte written to stderr: whether a message must start on a new line. */
  lastErrByte = 0x0a;
  readonly calls: PluginCall[] = [];
  readonly cwd: string;
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
  noteStderrCap(): void {
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
  async exec(p: { readonly execute: string }, opt: string): Promise<Out> {
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
}
