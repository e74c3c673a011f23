/** Calls for table tests: a recorded call built from what a plugin printed, without running it. */
import type { Call } from '../call.js';
import { Ledger } from '../ledger.js';
import type { ProcessResult } from '../proc.js';
import { excerpt } from '../text.js';
import { judgeErrors } from './errors.js';
import { judgeOutput } from './output.js';
import { judgeRun } from './running.js';

export interface FakeCall {
  exitCode?: number | null;
  signal?: string | null;
  stderr?: string;
  durationMs?: number;
  timedOut?: boolean;
  spawnError?: string;
  budgetMs?: number;
  id?: string;
  stdin?: 'open' | 'closed';
}

/** A call of `action` that printed `stdout` (a value is printed as JSON and a newline). */
export function fakeCall(action: string, stdout: unknown, o: FakeCall = {}): Call {
  const out = Buffer.isBuffer(stdout) ? stdout : typeof stdout === 'string' ? Buffer.from(stdout) : Buffer.from(`${JSON.stringify(stdout)}\n`);
  const err = Buffer.from(o.stderr ?? '');
  const args = action === 'order' ? ['1'] : action === 'order_status' ? ['24'] : [];
  const res: ProcessResult = {
    argv: ['/x/bin/p', action, ...args],
    stdout: out,
    stderr: err,
    stdoutBytes: out.length,
    stderrBytes: err.length,
    stdoutTruncated: false,
    stderrTruncated: false,
    exitCode: o.exitCode === undefined ? 0 : o.exitCode,
    signal: o.signal ?? null,
    timedOut: o.timedOut ?? false,
    stdoutHeld: false,
    cut: false,
    durationMs: o.durationMs ?? 5,
    ...(o.spawnError ? { spawnError: o.spawnError } : {}),
  };
  const id = o.id ?? [action, ...args].join(' ');
  return {
    id,
    action,
    args,
    res,
    rec: {
      id,
      purpose: 'table test',
      argv: res.argv,
      cwd: 'empty',
      stdin: o.stdin ?? 'closed',
      budgetMs: o.budgetMs ?? 10_000,
      durationMs: res.durationMs,
      exitCode: res.exitCode,
      signal: res.signal,
      timedOut: res.timedOut,
      stdoutBytes: res.stdoutBytes,
      stderrBytes: res.stderrBytes,
      stdoutTruncated: false,
      stdoutExcerpt: excerpt(out),
      stderrExcerpt: excerpt(err),
    },
  };
}

/** What the harness does with every call: the running, output and errors judges. */
export function judgeCall(L: Ledger, c: Call, slowMs = 2000): Call {
  judgeRun(L, c, { slowMs });
  judgeOutput(L, c);
  judgeErrors(L, c);
  return c;
}

/** The verdicts a ledger holds for `ids`: id → passed/failed/warned/skipped. */
export function verdicts(L: Ledger, ids: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of L.results(new Set(ids), new Map())) out[r.id] = r.status;
  return out;
}

/** mulberry32: the same answers on every run (a failure names its seed and index). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
