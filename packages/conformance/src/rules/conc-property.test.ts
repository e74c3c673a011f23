/**
 * Properties of the CONC-* judges over generated histories (a fixed seed: the same cases on every
 * run): rounds of order_status answers that only move forward always pass CONC-STATUS; one
 * answer moved back, or one torn answer, always fails it; N task ids pass CONC-TASK-UNIQUE
 * exactly when they are distinct.
 */
import { expect } from 'chai';
import type { Call } from '../call.js';
import { Ledger } from '../ledger.js';
import { judgeConcOrders, judgeConcStatus } from './conc.js';
import { fakeCall, judgeCall, prng } from './testutil.js';

const call = (stdout: unknown, exitCode = 0): Call => judgeCall(new Ledger(), fakeCall('order_status', stdout, { exitCode }));
const RUNNING = { task_id: '24', status: 'in_progress' };
const FINAL = [
  { task_id: '24', status: 'finished', server: '192.0.2.7', server_password: 'pw' },
  { task_id: '24', status: 'error', message: 'no capacity' },
];

/** Rounds of 1..5 answers: in_progress until a random round, in which the task may end part-way; final after. */
function history(r: () => number): { rounds: Call[][]; endedAt?: number } {
  const n = 1 + Math.floor(r() * 6);
  const end = Math.floor(r() * (n + 1)); // == n: never ends
  const fin = FINAL[Math.floor(r() * FINAL.length)]!;
  const rounds: Call[][] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(r() * 5);
    const round: Call[] = [];
    // in the round it ends, a prefix still sees in_progress (calls made at once straddle the change)
    const cut = i === end ? Math.floor(r() * k) : i < end ? k : 0;
    for (let j = 0; j < k; j++) round.push(call(j < cut ? RUNNING : fin));
    rounds.push(round);
  }
  return { rounds, endedAt: end < n ? end : undefined };
}

describe('rules: CONC-* properties (generated histories)', () => {
  const r = prng(13);

  it('answers that only move forward always pass CONC-STATUS', () => {
    for (let i = 0; i < 400; i++) {
      const { rounds } = history(r);
      const L = new Ledger();
      judgeConcStatus(L, '24', rounds);
      expect(L.status('CONC-STATUS'), `case ${i}`).to.equal('passed');
    }
  });

  it('one answer moved back after a round saw the end always fails CONC-STATUS', () => {
    let tried = 0;
    for (let i = 0; i < 400; i++) {
      const { rounds, endedAt } = history(r);
      if (endedAt === undefined || endedAt + 1 >= rounds.length) continue;
      const at = endedAt + 1 + Math.floor(r() * (rounds.length - endedAt - 1));
      const round = rounds[at]!;
      round[Math.floor(r() * round.length)] = call(RUNNING);
      const L = new Ledger();
      judgeConcStatus(L, '24', rounds);
      expect(L.status('CONC-STATUS'), `case ${i}`).to.equal('failed');
      tried++;
    }
    expect(tried).to.be.above(50);
  });

  it('one torn answer (an error, nothing, half a document) anywhere always fails CONC-STATUS', () => {
    const torn = [() => call({ error: 1, error_message: 'task damaged' }, 1), () => call(''), () => call('{"task_id": "24", "sta')];
    for (let i = 0; i < 300; i++) {
      const { rounds } = history(r);
      const round = rounds[Math.floor(r() * rounds.length)]!;
      round[Math.floor(r() * round.length)] = torn[Math.floor(r() * torn.length)]!();
      const L = new Ledger();
      judgeConcStatus(L, '24', rounds);
      expect(L.status('CONC-STATUS'), `case ${i}`).to.equal('failed');
    }
  });

  it('N task ids pass CONC-TASK-UNIQUE exactly when they are distinct', () => {
    for (let i = 0; i < 400; i++) {
      const n = 2 + Math.floor(r() * 6);
      const ids = Array.from({ length: n }, () => `sb-${Math.floor(r() * 8)}`);
      const L = new Ledger();
      judgeConcOrders(L, ids.map((id) => judgeCall(new Ledger(), fakeCall('order', { task_id: id }))));
      expect(L.status('CONC-TASK-UNIQUE'), `${ids.join(',')}`).to.equal(new Set(ids).size === n ? 'passed' : 'failed');
    }
  });
});
