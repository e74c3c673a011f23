/**
 * The kit's one process runner (process.ts), on its own: the emulator (host.ts) and the
 * conformance runner (conformance/src/proc.ts) both start plugins through it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { groupAlive, startProcess, type ProcessOptions, type ProcessOutcome } from './process.js';
import { killWithEnv, noneWithEnv, pidsWithEnv } from './testkit.js';

const MARK = 'BXK_PROCESS_TEST_MARK';
const MiB = 1024 * 1024;

describe('the process runner (process.ts)', function () {
  this.timeout(30000);
  const marks: string[] = [];
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'bxk-process-'));
  });
  after(() => {
    for (const m of marks) killWithEnv(MARK, m);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs `script` with /bin/sh; every process it starts carries a fresh marker (returned). */
  const sh = (script: string, o: Partial<ProcessOptions> = {}) => {
    const m = randomUUID();
    marks.push(m);
    const h = startProcess({ file: '/bin/sh', args: ['-c', script], cwd: tmp, env: { PATH: process.env.PATH, [MARK]: m }, stdoutCap: MiB, ...o });
    return { m, h };
  };
  const run = async (script: string, o: Partial<ProcessOptions> = {}): Promise<ProcessOutcome & { m: string }> => {
    const { m, h } = sh(script, o);
    return { ...(await h.result), m };
  };

  describe('capped output', () => {
    const cases: { name: string; script: string; o: Partial<ProcessOptions>; want: Partial<ProcessOutcome>; kept: [number, number] }[] = [
      { name: 'stdout under the cap is kept whole', script: 'head -c 1000 /dev/zero', o: {}, want: { cut: false, exitCode: 0, stdoutTruncated: false }, kept: [1000, 0] },
      { name: 'exactly the cap is fine', script: `head -c ${MiB} /dev/zero`, o: {}, want: { cut: false, exitCode: 0 }, kept: [MiB, 0] },
      { name: 'past the cap: cut, the group killed (the writer and its grandchild)', script: 'sleep 300 & yes', o: {}, want: { cut: true, stdoutTruncated: true, signal: 'SIGKILL', exitCode: null }, kept: [MiB, 0] },
      { name: 'past the cap, returnOnCut (the emulator): cut and back at once', script: 'sleep 300 & yes', o: { returnOnCut: true }, want: { cut: true, signal: 'SIGKILL' }, kept: [MiB, 0] },
      { name: 'a small cap given by the caller', script: 'head -c 5000 /dev/zero; sleep 300', o: { stdoutCap: 4096 }, want: { cut: true }, kept: [4096, 0] },
      { name: 'stderr past its cap is drained, not a cut', script: `head -c ${3 * MiB} /dev/zero >&2; echo ok`, o: {}, want: { cut: false, exitCode: 0, stderrTruncated: true, stderrBytes: 3 * MiB }, kept: [3, MiB] },
      { name: 'stderr cap apart from stdout cap', script: 'head -c 3000 /dev/zero >&2', o: { stderrCap: 1000 }, want: { stderrTruncated: true }, kept: [0, 1000] },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const t0 = Date.now();
        const r = await run(c.script, c.o);
        expect(r).to.include(c.want);
        expect([r.stdout.length, r.stderr.length]).to.deep.equal(c.kept);
        expect(Date.now() - t0).to.be.below(10000);
        if (r.cut) {
          expect(r.stdoutBytes).to.be.above(r.stdout.length);
          expect(await noneWithEnv(MARK, r.m, 2000)).to.equal(true);
        }
      });
    }
  });

  describe('when a call is over, budgets and held pipes', () => {
    it('without a budget it waits as the host does (exit and stdout EOF)', async () => {
      const r = await run('sleep 0.6; echo late');
      expect(r).to.include({ timedOut: false, exitCode: 0 });
      expect(r.stdout.toString()).to.equal('late\n');
      expect(r.durationMs).to.be.at.least(500);
    });

    it('a budget kills the whole group, grandchildren included (SIGKILL)', async () => {
      const t0 = Date.now();
      const r = await run('sleep 300 & (sleep 300 &); sleep 300', { timeoutMs: 300 });
      expect(r).to.include({ timedOut: true, stdoutHeld: false, signal: 'SIGKILL', exitCode: null });
      expect(Date.now() - t0).to.be.below(5000);
      expect(groupAlive(r.pid!)).to.equal(false);
      expect(await noneWithEnv(MARK, r.m, 2000)).to.equal(true);
    });

    it('the leader exited but a grandchild holds stdout: stdoutHeld at the budget, killed', async () => {
      const r = await run('sleep 300 & echo hi', { timeoutMs: 400 });
      expect(r).to.include({ timedOut: true, stdoutHeld: true, exitCode: 0 });
      expect(r.stdout.toString()).to.equal('hi\n');
      expect(groupAlive(r.pid!)).to.equal(false);
    });

    const held: [string, Partial<ProcessOptions>, number][] = [
      ['the emulator (give up 250 ms after the kill)', { timeoutMs: 300, giveUpMs: 250 }, 250],
      ['the conformance runner (give up 1 s after the kill)', { timeoutMs: 300, giveUpMs: 1000 }, 1000],
    ];
    for (const [who, o, giveUp] of held) {
      it(`a pipe held by a process that left the group (setsid) is given up after the kill: ${who}`, async () => {
        const t0 = Date.now();
        const r = await run('setsid sleep 300 & sleep 300', o);
        const took = Date.now() - t0;
        expect(r.timedOut).to.equal(true);
        expect(took).to.be.at.least(300 + giveUp - 50);
        expect(took).to.be.below(300 + giveUp + 3000);
        expect(pidsWithEnv(MARK, r.m).length).to.equal(1); // the escapee is the caller's to sweep
        killWithEnv(MARK, r.m);
      });
    }

    it('stderr held after the call is over: read for the grace, then given up (no kill by default)', async () => {
      const t0 = Date.now();
      const r = await run('sleep 300 >/dev/null & echo out', { stderrGraceMs: 100 });
      expect(r).to.include({ timedOut: false, exitCode: 0 });
      expect(Date.now() - t0).to.be.below(3000);
      expect(pidsWithEnv(MARK, r.m).length).to.equal(1); // left running, as the host would
      killWithEnv(MARK, r.m);
    });

    it('stderr held after the call is over, killHeldStderr (the conformance runner): the group is killed', async () => {
      const r = await run('sleep 300 >/dev/null & echo out', { stderrGraceMs: 100, killHeldStderr: true, giveUpMs: 1000 });
      expect(r).to.include({ timedOut: false, exitCode: 0 });
      expect(await noneWithEnv(MARK, r.m, 2000)).to.equal(true);
    });

    it('a process that closed stdout and stderr does not hold the call', async () => {
      const t0 = Date.now();
      const r = await run('sleep 300 >/dev/null 2>&1 & echo out');
      expect(r.stdout.toString()).to.equal('out\n');
      expect(Date.now() - t0).to.be.below(3000);
      killWithEnv(MARK, r.m);
    });

    it('kill() ends the whole group at once (what killPluginCalls uses)', async () => {
      const { m, h } = sh('sleep 300 & sleep 300');
      await new Promise((r) => setTimeout(r, 200));
      h.kill();
      const r = await h.result;
      expect(r.signal).to.equal('SIGKILL');
      expect(await noneWithEnv(MARK, m, 2000)).to.equal(true);
    });
  });

  describe('stderr forwarded with back-pressure', () => {
    it('a receiver returning a promise holds the plugin back until it settles; everything arrives, in order', async () => {
      const got: Buffer[] = [];
      let pending = 0;
      let maxPending = 0;
      const r = await run(`head -c ${2 * MiB} /dev/zero | tr '\\0' e >&2; echo done`, {
        onStderr: (b) => {
          got.push(b);
          pending++;
          maxPending = Math.max(maxPending, pending);
          return new Promise<void>((res) =>
            setTimeout(() => {
              pending--;
              res();
            }, 5),
          );
        },
      });
      expect(maxPending).to.equal(1); // never read again before the receiver was ready
      expect(Buffer.concat(got).length).to.equal(2 * MiB);
      expect(r.stderrBytes).to.equal(2 * MiB);
      expect(r.stdout.toString()).to.equal('done\n');
    });

    it('a receiver that holds the last chunk past the grace still gets what follows (up to 5 s)', async () => {
      let n = 0;
      const got: Buffer[] = [];
      const r = await run('echo one >&2; sleep 0.2; echo two >&2', {
        stderrGraceMs: 50,
        onStderr: (b) => {
          got.push(b);
          return n++ === 0 ? new Promise((res) => setTimeout(res, 600)) : undefined;
        },
      });
      expect(Buffer.concat(got).toString()).to.equal('one\ntwo\n');
      expect(r.exitCode).to.equal(0);
    });

    it('a receiver returning nothing is not waited for', async () => {
      const got: Buffer[] = [];
      const r = await run('echo a >&2; echo b >&2', { onStderr: (b) => void got.push(b) });
      expect(Buffer.concat(got).toString()).to.equal('a\nb\n');
      expect(r.stderr.toString()).to.equal('a\nb\n');
    });
  });

  describe('starting', () => {
    it('spawnWith wraps the spawn synchronously and sees the child at fork time', async () => {
      const seen: { pid?: number; inside: boolean; cwd: string }[] = [];
      let inside = false;
      const { h } = sh('echo hi', {
        spawnWith: (start, call) => {
          inside = true;
          let c: ChildProcess;
          try {
            c = start();
          } finally {
            inside = false;
          }
          seen.push({ pid: c.pid, inside, cwd: call.cwd });
          return c;
        },
      });
      // called before startProcess returned, with the spawned child
      expect(seen).to.have.length(1);
      expect(seen[0]!.pid).to.be.a('number').and.equal(h.pid);
      expect(seen[0]!.cwd).to.equal(tmp);
      expect((await h.result).stdout.toString()).to.equal('hi\n');
    });

    it('a spawnWith that throws is a start failure, not an exception', async () => {
      const r = await run('echo hi', {
        spawnWith: () => {
          throw Object.assign(new Error('no room'), { code: 'EAGAIN' });
        },
      });
      expect(r.spawnError).to.equal('EAGAIN');
    });

    it('reports start failures by code (ENOENT, EACCES)', async () => {
      const notExec = path.join(tmp, 'not-exec');
      writeFileSync(notExec, '#!/bin/sh\necho hi\n', { mode: 0o644 });
      const cases: [string, string][] = [
        [path.join(tmp, 'missing'), 'ENOENT'],
        [notExec, 'EACCES'],
      ];
      for (const [file, code] of cases) {
        const r = await startProcess({ file, args: [], cwd: tmp, env: {}, stdoutCap: MiB }).result;
        expect(r.spawnError, file).to.equal(code);
        expect(r.spawnMessage, file).to.be.a('string');
      }
    });

    const stdins: [ProcessOptions['stdin'], string, Partial<ProcessOutcome>][] = [
      ['ignore', 'cat; echo end', { timedOut: false }],
      ['closed', 'cat; echo end', { timedOut: false }],
      ['open', 'cat; echo end', { timedOut: true }],
    ];
    for (const [stdin, script, want] of stdins) {
      it(`stdin ${stdin}`, async () => {
        const r = await run(script, { stdin, timeoutMs: 800 });
        expect(r).to.include(want);
      });
    }

    it('its own process group by default; none when asked', async () => {
      const pgrp = (r: ProcessOutcome) => r.stdout.toString().trim().split(' ');
      const own = await run('echo $$ $(cut -d" " -f5 /proc/$$/stat)');
      const [pid, group] = pgrp(own);
      expect(group).to.equal(pid);
      const shared = await run('echo $$ $(cut -d" " -f5 /proc/$$/stat)', { group: false });
      const [pid2, group2] = pgrp(shared);
      expect(group2).to.not.equal(pid2);
    });
  });
});
