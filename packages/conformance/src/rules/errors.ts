/**
 * ERR-*: error answers. ERR-TYPE, ERR-MESSAGE and ERR-SUCCESS-KEY come from the schemas
 * (plugin/error and the `error` key of every success schema); the exit code and the
 * bad-argument probes, which no schema can see, are judged here.
 */
import type { Ledger } from '../ledger.js';
import { isErrorKind, type Call } from '../call.js';
import { oneLine, show } from '../text.js';
import { judgeShape } from './shape.js';

/** ERR-TYPE, ERR-MESSAGE, ERR-SUCCESS-KEY, ERR-EXIT on one answered call. */
export function judgeErrors(L: Ledger, c: Call): void {
  const a = c.answer;
  if (!a) return;
  const { id, res } = c;
  if (isErrorKind(a)) {
    const failed = judgeShape(L, c, ['ERR-TYPE', 'ERR-MESSAGE']);
    const code = a.value.error;
    // "1" passes the host's Moose Int check (and the schema): a warning, with the reason
    if (!failed.has('ERR-TYPE') && typeof code === 'string') {
      L.warn('ERR-TYPE', `${id}: "error" is the string ${show(code)}: the host's integer check (Moose Int) accepts a string of digits and reports error ${code}, but the documented form is the number ${code}`, {
        call: id,
        excerpt: c.rec.stdoutExcerpt,
      });
    }
    if (res.exitCode === 0) L.warn('ERR-EXIT', `${id}: exit 0 after an error answer`, { call: id });
    else L.ok('ERR-EXIT', id);
    return;
  }
  judgeShape(L, c, ['ERR-SUCCESS-KEY']);
  if (res.exitCode !== 0) L.warn('ERR-EXIT', `${id}: exit ${res.exitCode} after a success answer`, { call: id });
  else L.ok('ERR-EXIT', id);
}

/** ERR-BAD-ARGS: each probe (a missing or unknown argument, an unknown action) got an error answer. */
export function judgeBadArgs(L: Ledger, probes: { c: Call; what: string }[]): void {
  for (const { c, what } of probes) {
    if (c.res.timedOut || c.res.spawnError || ((c.res.signal || c.res.exitCode === 126 || c.res.exitCode === 127) && !c.res.stdoutBytes)) {
      L.skip('ERR-BAD-ARGS', `${what}: ${c.why ?? 'the call did not run'}`);
      continue;
    }
    const ans = c.answer;
    if (ans && isErrorKind(ans)) {
      L.ok('ERR-BAD-ARGS', c.id);
      continue;
    }
    let got: string;
    if (!ans) got = c.why ?? 'no answer';
    else if (c.action === 'order_status' && ans.value.status === 'in_progress') got = 'an "in_progress" for a task that never existed';
    else got = `a success answer ${oneLine(c.rec.stdoutExcerpt, 80)}`;
    L.fail('ERR-BAD-ARGS', `${what} (\`${c.rec.argv.slice(1).join(' ')}\`) got ${got} instead of {"error": N, "error_message": "..."}`, {
      call: c.id,
      excerpt: c.rec.stdoutExcerpt || undefined,
    });
  }
}
