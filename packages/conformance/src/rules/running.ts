/** RUN-*: how a call ran (time, crash) and what only several calls show (determinism, cwd, stdin). */
import type { Ledger } from '../ledger.js';
import { answerKey, didNotRun, type Call } from '../call.js';
import { firstDifference, jsonEqual, oneLine } from '../text.js';

export interface RunContext {
  slowMs: number;
  /** This call is a RUN-STDIN probe: its time is judged by RUN-STDIN, not RUN-TIMEOUT/RUN-SLOW. */
  stdinProbe?: boolean;
  /** Why the executable could not start (explainSpawnError), when it could not. */
  spawnWhy?: string;
}

/** RUN-TIMEOUT, RUN-SLOW, RUN-CRASH on one call; sets `c.why` when it gave no answer. */
export function judgeRun(L: Ledger, c: Call, ctx: RunContext): void {
  const { res, id } = c;
  if (res.cut) return; // stopped by the runner at 1 MiB: time and exit say nothing (OUT-SIZE)
  if (!ctx.stdinProbe) {
    if (res.timedOut) {
      L.fail(
        'RUN-TIMEOUT',
        res.stdoutHeld
          ? `${id}: the plugin exited, but a process it left behind kept stdout open past the ${c.rec.budgetMs} ms budget; the host reads stdout to EOF, so it waits until that process ends`
          : `${id}: still running after the ${c.rec.budgetMs} ms budget (the runner killed its process group; the host has no timeout and would wait as long as it takes)`,
        { call: id, excerpt: c.rec.stdoutExcerpt || undefined },
      );
    } else {
      L.ok('RUN-TIMEOUT', id);
      if (res.durationMs > ctx.slowMs) L.warn('RUN-SLOW', `${id}: took ${Math.round(res.durationMs)} ms (soft budget ${ctx.slowMs} ms)`, { call: id });
      else L.ok('RUN-SLOW', id);
    }
  }
  if (res.spawnError) {
    L.fail('RUN-CRASH', `${id}: could not start: ${ctx.spawnWhy ?? res.spawnError}`, { call: id });
    c.why = `${c.action || 'the call'} could not start (RUN-CRASH)`;
  } else if (res.signal && !res.timedOut) {
    L.fail('RUN-CRASH', `${id}: killed by ${res.signal}`, { call: id, excerpt: c.rec.stderrExcerpt || undefined });
    if (!res.stdoutBytes) c.why = `${c.action} was killed by ${res.signal} (RUN-CRASH)`;
  } else if ((res.exitCode === 126 || res.exitCode === 127) && !res.timedOut) {
    L.fail('RUN-CRASH', `${id}: exit ${res.exitCode} (${res.exitCode === 127 ? 'command or interpreter not found' : 'cannot execute'})`, {
      call: id,
      excerpt: c.rec.stderrExcerpt || undefined,
    });
    if (!res.stdoutBytes) c.why = `${c.action} could not run its interpreter (RUN-CRASH)`;
  } else if (!res.timedOut) L.ok('RUN-CRASH', id);
  if (res.timedOut) c.why = `${c.action || 'the call'} timed out (RUN-TIMEOUT)`;
}

/** RUN-DETERMINISTIC: help and configs answer the same on two calls. */
export function judgeDeterministic(L: Ledger, ...pairs: (Call | undefined)[][]): void {
  for (const [a, b] of pairs) {
    if (!a || !b) continue;
    if (didNotRun(a) || didNotRun(b)) {
      L.skip('RUN-DETERMINISTIC', `${a.action} did not answer twice (${a.why ?? b.why})`);
      continue;
    }
    const ka = answerKey(a);
    const kb = answerKey(b);
    if (jsonEqual(ka, kb)) L.ok('RUN-DETERMINISTIC', b.id);
    else
      L.warn('RUN-DETERMINISTIC', `${a.action} answered differently on two calls (${firstDifference(ka, kb)})`, {
        call: b.id,
        excerpt: `1st: ${oneLine(a.rec.stdoutExcerpt, 140)}\n2nd: ${oneLine(b.rec.stdoutExcerpt, 140)}`,
      });
  }
}

/** RUN-CWD: the answer from an empty cwd (a, b) is the one from the plugin folder (p). */
export function judgeCwd(L: Ledger, ...triples: (Call | undefined)[][]): void {
  for (const [a, b, p] of triples) {
    if (!a || !b || !p) continue;
    if ([a, b, p].some(didNotRun)) {
      L.skip('RUN-CWD', `${a.action} did not answer from both folders (${[a, b, p].find((c) => c.why)?.why ?? 'no answer'})`);
      continue;
    }
    if (!jsonEqual(answerKey(a), answerKey(b))) {
      L.skip('RUN-CWD', `${a.action} answers differently on every call (RUN-DETERMINISTIC), so the cwd comparison means nothing`);
      continue;
    }
    const ka = answerKey(a);
    const kp = answerKey(p);
    if (jsonEqual(ka, kp)) L.ok('RUN-CWD', p.id);
    else
      L.fail('RUN-CWD', `${a.action} answers differently from an empty cwd than from the plugin folder (${firstDifference(ka, kp)})`, {
        call: a.id,
        excerpt: `from an empty cwd:      ${oneLine(a.rec.stdoutExcerpt, 120)}\nfrom the plugin folder: ${oneLine(p.rec.stdoutExcerpt, 120)}`,
      });
  }
}

/** RUN-STDIN: a call made with an open, never-written stdin (probe) ends as its base call did. */
export function judgeStdin(L: Ledger, probes: ({ base: Call; probe?: Call } | undefined)[]): void {
  for (const p of probes) {
    if (!p) continue;
    if (!p.probe) {
      L.skip('RUN-STDIN', `${p.base.action} did not finish with stdin closed (${p.base.why}), so a stdin wait cannot be told apart`);
      continue;
    }
    if (p.probe.res.timedOut) {
      L.fail(
        'RUN-STDIN',
        `${p.base.action} waits on stdin: with an open, never-written stdin it was still running after ${p.probe.rec.budgetMs} ms (with stdin closed it took ${p.base.rec.durationMs} ms)`,
        { call: p.probe.id },
      );
    } else L.ok('RUN-STDIN', p.probe.id);
  }
}
