/**
 * The emulator's own limits, where it cannot be the real host: a plugin printing without end
 * (memory stays bounded) and a plugin whose pipes outlive it (a callTimeoutMs call returns).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { OUTPUT_CAP_BYTES } from './index.js';
import { GOOD_HELP, killWithEnv, noneWithEnv, pidsWithEnv, placeScript } from './testkit.js';
import { cleanup, env, expectJson, statusJson, ALL_OPTS } from './expect.js';

after(cleanup);

const MARK = 'BXK_HOST_TEST_MARK';
const FIFTY_MB = 'head -c 52428800 /dev/zero | tr "\\0" a';
const MiB16 = 16 * 1024 * 1024;

describe('host emulator: limits of the emulation', function () {
  this.timeout(60000);
  const marks: string[] = [];
  /** The caller's environment plus a marker every process of the call inherits. */
  const marked = () => {
    const m = randomUUID();
    marks.push(m);
    return { m, env: { ...process.env, [MARK]: m } };
  };
  after(() => {
    for (const m of marks) killWithEnv(MARK, m);
  });

  describe('stdout and stderr are capped (default 16 MiB)', () => {
    it('a plugin printing 50 MB on stdout: the emulator stops at the cap, says so, exit 2, and nothing of it is left running', async () => {
      expect(OUTPUT_CAP_BYTES).to.equal(MiB16);
      const e = env();
      placeScript(e.root, 'big', FIFTY_MB);
      const { m, env: pEnv } = marked();
      const rss0 = process.memoryUsage().rss;
      const t = Date.now();
      const r = await e.run({ action: 'status', provider: 'big', output: 'json', env: pEnv });
      const took = Date.now() - t;
      expect(took, `${took} ms`).to.be.below(10000);
      expect(process.memoryUsage().rss - rss0, 'rss growth').to.be.below(600 * 1024 * 1024);
      expect(r.exitCode).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.json).to.equal(undefined);
      const bin = e.sub('/opt/webdir/providers/big/bin/big');
      expect(r.overflow).to.deep.equal({ argv: [bin, 'help'], limitBytes: MiB16 });
      expect(r.stderr).to.equal(
        `bx-provider-kit host: the plugin call \`${bin} help\` printed more than 16 MiB on stdout; the emulator stopped reading there and killed the call (the real host would buffer it all, then decode it); nothing is answered (exit 2)\n`,
      );
      expect(r.calls).to.have.length(1);
      expect(r.calls[0]).to.include({ stdoutTruncated: true, stderrTruncated: false, timedOut: false });
      expect(r.calls[0].stdout.length).to.equal(MiB16);
      // head and tr lose their reader (SIGPIPE): nothing keeps writing after the call
      expect(await noneWithEnv(MARK, m), 'processes left').to.equal(true);
    });

    it('the same with callTimeoutMs (the plugin has its own process group, killed whole) and for every action, list included', async () => {
      const e = env();
      placeScript(e.root, 'big', `sleep 300 & ${FIFTY_MB}`);
      const { m, env: pEnv } = marked();
      const t = Date.now();
      const r = await e.run({ action: 'list', output: 'plain', env: pEnv, callTimeoutMs: 60000 });
      expect(Date.now() - t).to.be.below(10000);
      expect(r).to.deep.include({ exitCode: 2, stdout: '' });
      expect(r.stderr).to.match(/^bx-provider-kit host: the plugin call `.*\/providers\/big\/bin\/big help` printed more than 16 MiB on stdout;.*\(exit 2\)\n$/);
      expect(r.calls[0]).to.include({ stdoutTruncated: true, timedOut: false, signal: 'SIGKILL' });
      expect(await noneWithEnv(MARK, m), 'processes left (the background sleep too)').to.equal(true);
    });

    it('a plugin printing 50 MB on stderr: all forwarded as it comes, 16 MiB kept with a note, the answer unchanged', async () => {
      const e = env();
      placeScript(e.root, 'noisy', `${FIFTY_MB} >&2\n[ "$1" = help ] && printf '%s' '${GOOD_HELP.trim()}'`);
      let forwarded = 0;
      let last = '';
      const t = Date.now();
      const r = await e.run({
        action: 'status',
        provider: 'noisy',
        output: 'json',
        onStderr: (b) => {
          forwarded += b.length;
          last = b.toString('latin1');
        },
      });
      expect(Date.now() - t).to.be.below(10000);
      expectJson(e, r, statusJson('noisy', ALL_OPTS));
      const note =
        '\nbx-provider-kit host: more than 16 MiB on stderr; the emulator kept only the first 16 MiB in its result and forwarded all of it (the real host passes stderr through)\n';
      expect(forwarded).to.equal(52428800 + note.length);
      expect(last === note, 'the note comes last').to.equal(true);
      expect(r.stderr.length).to.equal(MiB16 + note.length);
      expect(r.stderr.endsWith('a' + note), 'kept: 16 MiB, then the note').to.equal(true);
      expect(r.calls[0]).to.include({ stdoutTruncated: false, stderrTruncated: true });
      expect(r.calls[0].stderr.length).to.equal(MiB16);
    });

    it('maxOutputBytes sets the cap: exactly the cap is fine, one byte more stops; stderr of the whole run is capped too', async () => {
      const e = env();
      const help = GOOD_HELP.trim();
      placeScript(e.root, 'p', `printf '%s' '${help}'\n[ -f "\${0%/bin/*}/more" ] && printf x\nexit 0`);
      const ok = await e.run({ action: 'status', provider: 'p', output: 'json', maxOutputBytes: help.length });
      expectJson(e, ok, statusJson('p', ALL_OPTS));
      expect(ok.overflow).to.equal(undefined);
      expect(ok.calls[0]).to.include({ stdoutTruncated: false });
      placeScript(e.root, 'p', `printf '%s' '${help}'; printf x`);
      const over = await e.run({ action: 'status', provider: 'p', output: 'json', maxOutputBytes: help.length });
      expect(over).to.deep.include({ exitCode: 2, stdout: '' });
      expect(over.overflow?.limitBytes).to.equal(help.length);
      expect(over.stderr).to.include(`printed more than ${help.length} bytes on stdout`);
      expect(over.calls[0].stdout).to.equal(help);
      // three calls of 40 bytes each on stderr, a cap of 100: the run keeps 100 bytes and one note
      const e2 = env();
      for (const n of ['p1', 'p2', 'p3']) placeScript(e2.root, n, `printf '%039d\\n' 0 >&2; printf '%s' '${help}'`);
      let forwarded = '';
      const r = await e2.run({ action: 'list', output: 'json', maxOutputBytes: 100, onStderr: (b) => (forwarded += b.toString()) });
      expectJson(e2, r, '{"params":{"providers":{"p1":{"status":"enabled"},"p2":{"status":"enabled"},"p3":{"status":"enabled"}}}}');
      const line = '0'.repeat(39) + '\n';
      const note = '\nbx-provider-kit host: more than 100 bytes on stderr; the emulator kept only the first 100 bytes in its result and forwarded all of it (the real host passes stderr through)\n';
      expect(r.stderr).to.equal(line + line + line.slice(0, 20) + note);
      expect(forwarded).to.equal(line + line + line + note.slice(1));
      expect(r.calls.map((c) => c.stderrTruncated)).to.deep.equal([false, false, false]);
    });

    it('a bad maxOutputBytes is a kit error', async () => {
      const e = env();
      for (const v of [0, -1, 1.5, NaN]) {
        let err: unknown;
        await e.run({ action: 'list', maxOutputBytes: v }).catch((x) => (err = x));
        expect((err as Error)?.name, String(v)).to.equal('KitError');
      }
    });
  });

  describe('pipes held open by processes the plugin left behind', () => {
    const holder = (bg: string) => `printf '%s' '${GOOD_HELP.trim()}'\n${bg}\nexit 0`;

    for (const [what, bg] of [
      ['a plain grandchild (`sleep 300 &`)', 'sleep 300 &'],
      ['a grandchild that left the group (`setsid sleep 300 &`)', 'setsid sleep 300 &'],
    ] as const) {
      it(`callTimeoutMs: ${what} holding stdout: the run returns within the budget + 2 s, the call marked timedOut, exit 2`, async () => {
        const e = env();
        placeScript(e.root, 'held', holder(bg));
        const { m, env: pEnv } = marked();
        const budget = 1000;
        const t = Date.now();
        const r = await e.run({ action: 'status', provider: 'held', output: 'json', env: pEnv, callTimeoutMs: budget });
        const took = Date.now() - t;
        expect(took, `${took} ms`).to.be.below(budget + 2000);
        expect(r.calls).to.have.length(1);
        expect(r.calls[0]).to.include({ timedOut: true, exitCode: 0 });
        // the host reads to EOF: it would still be waiting; the emulator says so and answers nothing
        expect(r.calls[0].stdout).to.equal(GOOD_HELP.trim());
        expect(r).to.deep.include({ exitCode: 2, stdout: '' });
        expect(r.stderr).to.match(/did not end within the call timeout \(1000 ms\)/);
        if (bg.startsWith('setsid')) {
          // out of the emulator's reach (another session): the caller's marker finds it
          expect(pidsWithEnv(MARK, m)).to.have.length(1);
          killWithEnv(MARK, m);
        }
        expect(await noneWithEnv(MARK, m), 'processes left').to.equal(true);
      });
    }

    it('without callTimeoutMs, a process holding only stderr does not hold the call (the host does not read stderr)', async () => {
      const e = env();
      placeScript(e.root, 'held', holder('setsid sleep 300 >/dev/null &'));
      const { m, env: pEnv } = marked();
      const t = Date.now();
      const r = await e.run({ action: 'status', provider: 'held', output: 'json', env: pEnv });
      expect(Date.now() - t).to.be.below(5000);
      expectJson(e, r, statusJson('held', ALL_OPTS));
      expect(r.calls[0]).to.include({ timedOut: false, exitCode: 0 });
      killWithEnv(MARK, m);
      expect(await noneWithEnv(MARK, m)).to.equal(true);
    });

    it('without callTimeoutMs, a process holding stdout is waited for, as the real host does', async () => {
      const e = env();
      placeScript(e.root, 'held', holder('(sleep 1.5; echo) &'));
      const t = Date.now();
      const r = await e.run({ action: 'status', provider: 'held', output: 'json' });
      expect(Date.now() - t).to.be.at.least(1400);
      expectJson(e, r, statusJson('held', ALL_OPTS));
      expect(r.calls[0].timedOut).to.equal(false);
    });
  });
});
