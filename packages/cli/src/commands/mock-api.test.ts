import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input: '', env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bx-provider-kit mock-api: numbers are named as typed', () => {
  const cases: [string[], RegExp][] = [
    [['--failure-rate', 'abc'], /^bx-provider-kit: --failure-rate abc: give the share of requests that fail, a number from 0 to 1\n$/],
    [['--failure-rate', '1.5'], /^bx-provider-kit: --failure-rate 1\.5: /],
    [['--latency-ms', 'abc'], /^bx-provider-kit: --latency-ms abc: give milliseconds every answer waits/],
    [['--slow-ms', '-1'], /^bx-provider-kit: --slow-ms -1: /],
    [['--delay-ms', 'soon'], /^bx-provider-kit: --delay-ms soon: /],
    [['--port', '80.5'], /^bx-provider-kit: --port 80\.5: give a TCP port \(0 picks a free one\), a whole number from 0 to 65535\n$/],
  ];
  for (const [args, want] of cases) {
    it(`mock-api ${args.join(' ')}: exit 2, one line, nothing served`, () => {
      const r = cli(['mock-api', '--quiet', ...args]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(want);
      expect(r.stderr).not.to.contain('NaN');
    });
  }
});
