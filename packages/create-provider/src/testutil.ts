/** Helpers for this package's tests: temp folders, running plugins and the CLI as real processes. */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
export const CREATE_BIN = fileURLToPath(new URL('./bin.js', import.meta.url));

/** What sudo's secure_path gives a plugin on a BitrixVM (the host's environment is minimal). */
export const PLUGIN_ENV: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: os.tmpdir() };

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** 'closed' (default): empty stdin; 'open': a pipe that is never written nor closed. */
  stdin?: 'closed' | 'open';
  input?: string;
  /** Kill after this many ms (the result then has signal SIGKILL). */
  timeoutMs?: number;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? os.tmpdir(),
      env: opts.env ?? PLUGIN_ENV,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else if (opts.stdin !== 'open') child.stdin.end();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (opts.stdin === 'open') child.stdin.destroy();
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
        signal,
        ms: Date.now() - started,
      });
    });
  });
}

/** Runs the bx-provider-kit CLI (NO_COLOR, no TTY). */
export function cli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [CLI_MAIN, ...args], {
    ...opts,
    env: { ...(opts.env ?? { PATH: process.env.PATH, HOME: process.env.HOME }), NO_COLOR: '1' },
  });
}

/** Rewrites `key = value` settings of a generated plugin's etc/NAME.conf. */
export async function setConf(file: string, settings: Record<string, string>): Promise<void> {
  let text = await fs.readFile(file, 'utf8');
  for (const [k, v] of Object.entries(settings)) {
    const re = new RegExp(`^${k}\\s*=.*$`, 'm');
    text = re.test(text) ? text.replace(re, `${k} = ${v}`) : `${text}${k} = ${v}\n`;
  }
  await fs.writeFile(file, text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Parses a plugin's stdout the strict way: exactly one JSON object and one newline. */
export function parseAnswer(stdout: string): Record<string, unknown> {
  if (!stdout.endsWith('\n') || stdout.endsWith('\n\n')) throw new Error(`not one document + newline: ${JSON.stringify(stdout)}`);
  if (stdout.indexOf('\n') !== stdout.length - 1) throw new Error(`more than one line: ${JSON.stringify(stdout)}`);
  const v = JSON.parse(stdout) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`not an object: ${stdout}`);
  return v as Record<string, unknown>;
}

export const DOC_RANGES = [/^192\.0\.2\.\d{1,3}$/, /^198\.51\.100\.\d{1,3}$/, /^203\.0\.113\.\d{1,3}$/];
export const SAFE_TASK = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
