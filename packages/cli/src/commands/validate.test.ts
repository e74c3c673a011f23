import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function cli(args: string[], input?: string | Buffer, cwd?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    input: input ?? '',
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bx-provider-kit validate', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bxk-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('the examples of issue 3', () => {
    it('{"task_id":"24"} on stdin (-) is a valid plugin/order: exit 0', () => {
      const r = cli(['validate', 'plugin/order', '-'], '{"task_id":"24"}\n');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('ok: stdin is a valid plugin/order\n');
    });
    it('{"task_id":"eu/42"}: exit 1, one line naming task_id and ORD-TASK-SAFE', () => {
      const r = cli(['validate', 'plugin/order', '-'], '{"task_id":"eu/42"}');
      expect(r.code).to.equal(1);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^\/task_id: "eu\/42" has a "\/".*\(ORD-TASK-SAFE\)$/);
      expect(r.stderr).to.equal('stdin: 1 problem as plugin/order\n');
    });
    it('{"error":0,"task_id":"1"}: exit 1 naming ERR-SUCCESS-KEY', () => {
      const r = cli(['validate', 'plugin/order', '-'], '{"error":0,"task_id":"1"}');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^\/error: .*\(ERR-SUCCESS-KEY\)\n$/);
    });
    it('{"error":1,"message":"x"} against plugin/error: exit 1 naming ERR-MESSAGE', () => {
      const r = cli(['validate', 'plugin/error', '-'], '{"error":1,"message":"x"}');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^\/error_message: .*\(ERR-MESSAGE\)\n$/);
    });
  });

  it('reads stdin when FILE is absent', () => {
    const r = cli(['validate', 'plugin/help'], '{"options":["help","configs","order","order_status"],"status":"enabled"}\n');
    expect(r.code, r.stderr).to.equal(0);
  });

  it('reads a file; one line per problem, exit 1', async () => {
    const f = path.join(dir, 'configs.json');
    await writeFile(f, JSON.stringify({ configurations: [{ id: '1; reboot', descr: 'a' }, { id: 'b' }, { id: 'vps 2', descr: 'c' }] }));
    const r = cli(['validate', 'plugin/configs', f]);
    expect(r.code).to.equal(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/^\/configurations\/0\/id: .*\(CFG-ID-SAFE\)$/);
    expect(lines[1]).to.match(/^\/configurations\/1\/descr: is missing.*\(CFG-SCHEMA\)$/);
    expect(lines[2]).to.match(/^\/configurations\/2\/id: "vps 2" has a space.*\(CFG-ID-SAFE\)$/);
    expect(r.stderr).to.contain('3 problems');
  });

  it('plugin kinds read the bytes as the host does: OUT-* problems exit 1', () => {
    const cases: [string | Buffer, string][] = [
      ['', 'OUT-EMPTY'],
      ['\n', 'OUT-EMPTY'],
      ['\n\n', 'OUT-JSON'],
      ['DEBUG: hi\n{"task_id":"24"}\n', 'OUT-JSON'],
      ['{"task_id":"24"}\n{"task_id":"25"}\n', 'OUT-JSON'],
      [Buffer.from('\xef\xbb\xbf{"task_id":"24"}', 'latin1'), 'OUT-BOM'],
      ['[{"task_id":"24"}]', 'OUT-OBJECT'],
      [Buffer.from('{"task_id":"24","x":"\xe9"}', 'latin1'), 'OUT-UTF8'],
    ];
    for (const [input, rule] of cases) {
      const r = cli(['validate', 'plugin/order', '-'], input);
      expect(r.code, `${JSON.stringify(String(input))}: ${r.stderr}`).to.equal(1);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines, r.stdout).to.have.length(1);
      expect(lines[0]).to.match(new RegExp(`^stdin: .*\\(${rule}\\)$`));
    }
  });

  it('host and other kinds: not-JSON input is bad input (exit 2, one line)', () => {
    const r = cli(['validate', 'host/orders_list', '-'], '{"params":');
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/^bx-provider-kit: stdin is not JSON: .*\n$/);
    const e = cli(['validate', 'host/orders_list', '-'], '   \n');
    expect(e.code).to.equal(2);
    expect(e.stderr).to.contain('stdin is empty');
  });

  it('not-JSON input is named in ONE line, with the line and column where JSON.parse says', () => {
    const cases: [string, RegExp][] = [
      ['nope\n', /^bx-provider-kit: stdin is not JSON: unexpected token 'o'\n$/],
      ['{\n  "a": 1,\n}\n', /^bx-provider-kit: stdin is not JSON: .* at line 3, column 1\n$/],
      ['{"a":1}\n{"b":2}\n', /^bx-provider-kit: stdin is not JSON: unexpected non-whitespace character after JSON at line 2, column 1\n$/],
      ['line one\nline two\nline three', /^bx-provider-kit: stdin is not JSON: [^\n]*\n$/],
    ];
    for (const [input, re] of cases) {
      const r = cli(['validate', 'conformance', '-'], input);
      expect(r.code, input).to.equal(2);
      expect(r.stderr, input).to.match(re);
    }
  });

  it('issue 15 #7: stdin is read as a stream, so a producer slower than Node\'s start-up is waited for (the README\'s pipe example)', function () {
    this.timeout(30_000);
    const answer = '{"task_id":"24"}';
    const r = spawnSync('bash', ['-c', `(sleep 1.5; printf '%s\\n' '${answer}') | "${process.execPath}" "${MAIN}" validate plugin/order -`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    expect(r.stdout).to.equal('ok: stdin is a valid plugin/order\n');
    // a producer writing in pieces, with pauses between them
    const p = spawnSync('bash', ['-c', `(printf '{"task_'; sleep 0.7; printf 'id":"2'; sleep 0.7; printf '4"}\\n') | "${process.execPath}" "${MAIN}" validate plugin/order`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect([p.status, p.stdout, p.stderr]).to.deep.equal([0, 'ok: stdin is a valid plugin/order\n', '']);
  });

  it('issue 15 #16: /dev/zero and other devices are refused in one line (exit 2) without reading; an endless stdin is cut at 16 MiB', function () {
    this.timeout(30_000);
    for (const dev of ['/dev/zero', '/dev/urandom', '/dev/null']) {
      const t0 = Date.now();
      const r = cli(['validate', 'plugin/order', dev]);
      expect(r.code, dev).to.equal(2);
      expect(r.stderr).to.equal(`bx-provider-kit: cannot read ${dev}: it is a character device; give a file, a pipe, or - for stdin\n`);
      expect(Date.now() - t0).to.be.below(10_000);
    }
    const r = spawnSync('bash', ['-c', `/usr/bin/time -f 'maxrss %M' "${process.execPath}" "${MAIN}" validate conformance - < /dev/zero`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: stdin is larger than 16 MiB: that is not a document this command checks\n/);
    const rss = /maxrss (\d+)/.exec(r.stderr);
    if (rss) expect(Number(rss[1])).to.be.below(400 * 1024); // kB: bounded, not gigabytes
  });

  it('issue 15 #16: a FIFO as FILE is read when a producer writes to it, and does not hang when none does', async function () {
    this.timeout(30_000);
    const fifo = path.join(dir, 'answer.fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.status !== 0) this.skip();
    const t0 = Date.now();
    const none = cli(['validate', 'plugin/order', fifo]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.match(/^bx-provider-kit: .*answer\.fifo is a FIFO with no process writing to it: start the producer first/);
    expect(Date.now() - t0).to.be.below(10_000);
    // a writer that holds the FIFO open and writes late
    const r = spawnSync('bash', ['-c', `exec 3<>"${fifo}"; (sleep 1; printf '{"task_id":"7"}\\n' >&3; exec 3>&-) & exec 3>&-; "${process.execPath}" "${MAIN}" validate plugin/order "${fifo}"; s=$?; wait; exit $s`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect([r.status, r.stderr]).to.deep.equal([0, '']);
    expect(r.stdout).to.match(/^ok: .*answer\.fifo is a valid plugin\/order\n$/);
    // process substitution: /dev/fd/N of a pipe
    const ps = spawnSync('bash', ['-c', `"${process.execPath}" "${MAIN}" validate plugin/order <(sleep 1; echo '{"task_id":"9"}')`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect([ps.status, ps.stderr]).to.deep.equal([0, '']);
  });

  it('host kinds: real host output validates; a broken one exits 1', () => {
    expect(cli(['validate', 'host/orders_list'], '{"params":{"provider_order_list":null}}').code).to.equal(0);
    const r = cli(['validate', 'host/error'], '{"message":"x","error":0}');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/^\/error: 0 is less than 1/);
  });

  it('unknown kind: exit 2 listing the kinds (before reading stdin)', () => {
    const r = cli(['validate', 'plugin/nope', '-'], '{}');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: unknown document kind "plugin\/nope": use one of .*plugin\/order_status/);
    expect(r.stderr).not.to.match(/\n\s+at /); // no stack trace
  });

  it('unreadable input: exit 2, one line', async () => {
    const missing = cli(['validate', 'plugin/order', path.join(dir, 'nope.json')]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.match(/^bx-provider-kit: cannot read .*nope\.json: no such file\n$/);
    await mkdir(path.join(dir, 'folder'), { recursive: true });
    const folder = cli(['validate', 'plugin/order', path.join(dir, 'folder')]);
    expect(folder.code).to.equal(2);
    expect(folder.stderr).to.contain('it is a folder');
  });

  it('bad usage: no kind is exit 2', () => {
    const r = cli(['validate']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('bx-provider-kit:');
  });

  it('--json prints the problems for scripts, with the same exit codes', () => {
    const r = cli(['validate', 'plugin/order_status', '-', '--json'], '{"status":"finished"}');
    expect(r.code).to.equal(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; problems: { rule: string; path: string; message: string }[] };
    expect(out.ok).to.equal(false);
    expect(out.problems).to.have.length(1);
    expect(out.problems[0]).to.include({ rule: 'STAT-FINISHED', path: '/server' });
    const ok = cli(['validate', 'plugin/order_status', '-', '--json'], '{"status":"in_progress","task_id":"1"}');
    expect(ok.code).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.deep.include({ ok: true, problems: [] });
  });

  it('an error answer is a valid answer to configs/order/order_status, and HELP-ERROR for help', () => {
    const err = '{"error":1,"error_message":"no such config"}\n';
    for (const k of ['plugin/configs', 'plugin/order', 'plugin/order_status']) expect(cli(['validate', k], err).code, k).to.equal(0);
    const r = cli(['validate', 'plugin/help'], err);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/\(HELP-ERROR\)\n$/);
  });

  it('--help shows examples', () => {
    const r = cli(['validate', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('Examples:');
    expect(r.stdout).to.contain('validate plugin/order_status');
  });
});
