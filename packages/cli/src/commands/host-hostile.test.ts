/** Issue 15 (hostile input), host side: through the real CLI process, with real archives. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const RECIPES = new URL('../../../../conformance/archives/recipes.mjs', import.meta.url).href;

interface Recipes {
  tarBytes(entries: { path: string; type?: string; mode?: number; data?: string; linkpath?: string }[]): Buffer;
  goodEntries(name: string): { path: string; type?: string; mode?: number; data?: string }[];
  script(name: string): string;
}

const PLUGIN = `#!/bin/bash
case "$1" in
  help) echo '{"options":["help","configs","order","order_status"],"status":"enabled"}' ;;
  configs) echo '{"status":"enabled","configurations":[{"id":1,"descr":"VPS"}]}' ;;
  order) echo '{"task_id":"24"}' ;;
  order_status) echo "{\\"task_id\\":\\"$2\\",\\"status\\":\\"finished\\",\\"server\\":\\"192.0.2.$2\\",\\"server_password\\":\\"pw\\"}" ;;
esac
`;


/** Pids of live (not zombie) processes whose environment holds NAME=VALUE. */
function pidsWithEnv(name: string, value: string): number[] {
  const want = `${name}=${value}`;
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes(want)) continue;
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      pids.push(Number(e));
    } catch {
      /* gone, or not ours */
    }
  }
  return pids;
}
const until = async (f: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};
/** Max VmRSS (KiB) of a live process, read from /proc. */
const rssKiB = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

describe('bx-provider-kit host: hostile input (issue 15)', function () {
  this.timeout(120000);
  let dir: string;
  let mod: Recipes;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bxk-hostile-'));
    mod = (await import(RECIPES)) as Recipes;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const host = (args: string[], opts: { cwd?: string; root: string; input?: string }) => {
    const r = spawnSync(process.execPath, [MAIN, 'host', '--root', opts.root, ...args], { cwd: opts.cwd ?? dir, env: { ...process.env, NO_COLOR: '1' } });
    return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.status };
  };
  const oneLine = (stderr: string) => expect(stderr.split('\n').filter(Boolean), stderr).to.have.length(1);

  describe('item 2: a chain of symlinks that climbs out', () => {
    it('the chain archive is refused; --provider through installed links and "." cannot delete or write outside ROOT', () => {
      // box/webdir is ROOT; from providers/x, the chain a -> . ... e -> d/.. lands on dirname(box)
      const top = path.join(dir, 'chain');
      const box = path.join(top, 'box');
      const root = path.join(box, 'webdir');
      const victim = path.join(top, 'victim');
      fs.mkdirSync(victim, { recursive: true });
      fs.writeFileSync(path.join(victim, 'keep'), 'precious');
      const chain: [string, string][] = [['a', '.'], ['b', 'a/..'], ['c', 'b/..'], ['d', 'c/..'], ['e', 'd/..'], ['f', 'e/..']];
      const archive = path.join(top, 'x.tar.gz');
      fs.writeFileSync(archive, zlib.gzipSync(mod.tarBytes([...mod.goodEntries('x'), ...chain.map(([p, t]) => ({ path: p, type: 'symlink', linkpath: t, mode: 0o777 }))])));

      // verify: not ok, the links named
      const v = spawnSync(process.execPath, [MAIN, 'verify', archive, '--json'], { cwd: dir });
      expect(v.status).to.equal(1);
      const res = JSON.parse(v.stdout.toString()) as { ok: boolean; findings: { rule: string; entry: string }[] };
      expect(res.findings.filter((f) => f.rule === 'ARCH-LINK').map((f) => f.entry)).to.include.members(['b', 'c', 'd', 'e', 'f']);

      // the emulator refuses to unpack it: no link installed
      let r = host(['-a', 'install', '--provider', 'x', '--archive', archive, '-o', 'json'], { root });
      expect(r.code, r.stderr).to.equal(1);
      expect(JSON.parse(r.stdout).message).to.match(/refused by the emulator: .*ARCH-LINK/);
      expect(fs.existsSync(path.join(root, 'providers/x/e'))).to.equal(false);

      // links placed by hand (as an older emulator installed them): --provider must be one name
      for (const [p, t] of chain) fs.symlinkSync(t, path.join(root, 'providers/x', p));
      expect(fs.realpathSync.native(path.join(root, 'providers/x/e'))).to.equal(top);
      r = host(['purge', '--provider', 'x/e/victim'], { root });
      expect(r.code).to.equal(2);
      oneLine(r.stderr);
      expect(r.stderr).to.match(/^bx-provider-kit: --provider "x\/e\/victim" is not one folder name/);
      expect(fs.readFileSync(path.join(victim, 'keep'), 'utf8')).to.equal('precious');
      r = host(['-a', 'install', '--provider', 'x/e/planted', '-o', 'json'], { root });
      expect(r.code).to.equal(2);
      oneLine(r.stderr);
      expect(fs.existsSync(path.join(top, 'planted'))).to.equal(false);
      for (const a of ['status', 'configs', 'order']) {
        r = host(['-a', a, '--provider', 'x/e/victim', '--config_id', '1', '-o', 'json'], { root });
        expect(r.code, a).to.equal(2);
      }
      // "." is the providers folder itself
      r = host(['purge', '--provider', '.'], { root });
      expect(r.code).to.equal(2);
      oneLine(r.stderr);
      expect(fs.existsSync(path.join(root, 'providers/x/a'))).to.equal(true);
      // a provider folder that is itself a link out of ROOT: purge removes the link, never what it points at
      fs.symlinkSync(victim, path.join(root, 'providers/linked'));
      r = host(['purge', '--provider', 'linked'], { root });
      expect(r.code, r.stderr).to.equal(0);
      expect(fs.existsSync(path.join(root, 'providers/linked'))).to.equal(false);
      expect(fs.readFileSync(path.join(victim, 'keep'), 'utf8')).to.equal('precious');
    });

    it('a provider whose tasks/ is a link out of ROOT: order refuses to write the task file there', () => {
      const top = path.join(dir, 'tasks-link');
      const root = path.join(top, 'webdir');
      const outside = path.join(top, 'outside');
      fs.mkdirSync(outside, { recursive: true });
      const holder = path.join(root, 'providers/t');
      fs.mkdirSync(path.join(holder, 'bin'), { recursive: true });
      fs.writeFileSync(path.join(holder, 'bin/t'), PLUGIN, { mode: 0o755 });
      fs.symlinkSync(outside, path.join(holder, 'tasks'));
      const r = host(['-a', 'order', '--provider', 't', '--config_id', '1', '-o', 'json'], { root });
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/refused: .* outside /);
      expect(fs.readdirSync(outside)).to.deep.equal([]);
    });
  });

  describe('item 10: parallel order_to_host', () => {
    it('10 real CLI processes at once: every answer "added" is in the pool', async () => {
      const root = path.join(dir, 'pool10');
      const holder = path.join(root, 'providers/p');
      fs.mkdirSync(path.join(holder, 'bin'), { recursive: true });
      fs.mkdirSync(path.join(holder, 'tasks'), { recursive: true });
      fs.writeFileSync(path.join(holder, 'bin/p'), PLUGIN, { mode: 0o755 });
      expect(host(['init'], { root }).code).to.equal(0);
      const ids = Array.from({ length: 10 }, (_, i) => String(i + 1));
      for (const id of ids) fs.writeFileSync(path.join(holder, 'tasks', id), '');
      const runs = await Promise.all(
        ids.map(
          (id) =>
            new Promise<{ id: string; code: number | null; stdout: string; stderr: string }>((resolve) => {
              const c = spawn(process.execPath, [MAIN, 'host', '--root', root, '-a', 'order_to_host', '--provider', 'p', '--task_id', id, '-o', 'json'], { cwd: dir });
              let stdout = '';
              let stderr = '';
              c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
              c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
              c.on('close', (code) => resolve({ id, code, stdout, stderr }));
            }),
        ),
      );
      for (const r of runs) {
        expect(r.code, r.stderr).to.equal(0);
        expect(JSON.parse(r.stdout)).to.deep.equal({ message: `Server=192.0.2.${r.id} is added to the pool` });
        expect(fs.readFileSync(path.join(holder, 'tasks', r.id), 'utf8')).to.equal(`complete: Server=192.0.2.${r.id} is added to the pool`);
      }
      const pool = JSON.parse(fs.readFileSync(path.join(root, 'pool/hosts.json'), 'utf8')) as { hosts: { host: string }[] };
      expect(pool.hosts.map((h) => h.host).sort()).to.deep.equal(ids.map((id) => `192.0.2.${id}`).sort());
      expect(fs.readdirSync(path.join(root, 'pool'))).to.deep.equal(['hosts.json']);
    });

    it('a lock left by a process that is gone is taken over', () => {
      const root = path.join(dir, 'pool-stale');
      const holder = path.join(root, 'providers/p');
      fs.mkdirSync(path.join(holder, 'bin'), { recursive: true });
      fs.mkdirSync(path.join(holder, 'tasks'), { recursive: true });
      fs.writeFileSync(path.join(holder, 'bin/p'), PLUGIN, { mode: 0o755 });
      expect(host(['init'], { root }).code).to.equal(0);
      fs.writeFileSync(path.join(holder, 'tasks/7'), '');
      // a pid that is surely not running: a child that has exited
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      fs.writeFileSync(path.join(root, 'pool/hosts.json.lock'), gone);
      const r = host(['-a', 'order_to_host', '--provider', 'p', '--task_id', '7', '-o', 'json'], { root });
      expect(r.code, r.stderr).to.equal(0);
      expect(fs.readdirSync(path.join(root, 'pool'))).to.deep.equal(['hosts.json']);
    });
  });

  /** ROOT with one provider NAME whose bin/NAME is `body` (bash). */
  const rootWith = (sub: string, name: string, body: string) => {
    const root = path.join(dir, sub);
    fs.mkdirSync(path.join(root, 'providers', name, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'providers', name, 'bin', name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    return root;
  };
  const HELP = '{"options":["help","configs"],"status":"enabled"}';

  describe('item 11: --call-timeout', () => {
    it('a killed call is said on stderr, answers nothing, exits 2 (not "return empty string")', () => {
      const root = rootWith('slow', 'slow', `[ "$1" = help ] && { echo '${HELP}'; exit 0; }\nsleep 30\necho '{"configurations":[]}'`);
      const t = Date.now();
      const r = host(['-a', 'configs', '--provider', 'slow', '-o', 'json', '--call-timeout', '1'], { root });
      expect(Date.now() - t).to.be.below(20000);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(/^bx-provider-kit host: the plugin call `.*\/slow configs` did not end within the call timeout \(1000 ms\); the emulator killed its process group/);
    });

    it('a value past what Node can time is refused in one line; the largest one works', () => {
      const root = rootWith('big-timeout', 'ok', `echo '${HELP}'`);
      let r = host(['-a', 'status', '--provider', 'ok', '-o', 'json', '--call-timeout', '3000000'], { root });
      expect(r.code).to.equal(2);
      oneLine(r.stderr);
      expect(r.stderr).to.match(/--call-timeout 3000000 is too long: at most 2147483 seconds/);
      r = host(['-a', 'status', '--provider', 'ok', '-o', 'json', '--call-timeout', '2147483'], { root });
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).params.provider_options.ok.status).to.equal('enabled');
    });

    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      for (const timeout of [[], ['--call-timeout', '600']]) {
        it(`${sig}${timeout.length ? ' with --call-timeout' : ''}: the plugin and its children die with the kit`, async () => {
          const mark = `bxk-${process.pid}-${sig}-${timeout.length}`;
          const root = rootWith(`sig-${sig}-${timeout.length}`, 'hang', 'sleep 300 &\nsleep 300\n');
          const c = spawn(process.execPath, [MAIN, 'host', '--root', root, '-a', 'status', '--provider', 'hang', ...timeout], {
            cwd: dir,
            env: { ...process.env, BXK_MARK: mark },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stderr = '';
          c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
          const closed = new Promise<number | null>((resolve) => c.on('close', (n) => resolve(n)));
          // the kit, bash and its two sleeps
          expect(await until(() => pidsWithEnv('BXK_MARK', mark).length >= 4, 20000), 'plugin started').to.equal(true);
          c.kill(sig);
          expect(await closed, stderr).to.equal(code);
          expect(stderr).to.include(`bx-provider-kit host: ${sig}: killed the running plugin call`);
          const gone = await until(() => pidsWithEnv('BXK_MARK', mark).length === 0, 10000);
          for (const p of pidsWithEnv('BXK_MARK', mark)) process.kill(p, 'SIGKILL');
          expect(gone, 'processes left behind').to.equal(true);
        });
      }
    }
  });

  describe('item 3: plugin stderr is forwarded with back-pressure', () => {
    it('768 MiB on stderr into a reader that does not read: the kit stays far below that, then delivers every byte', async () => {
      const MiB = 1024 * 1024;
      const root = rootWith('noisy', 'noisy', `[ "$1" = help ] && { head -c ${768 * MiB} /dev/zero >&2; echo '${HELP}'; }`);
      const c = spawn(process.execPath, [MAIN, 'host', '--root', root, '-a', 'status', '--provider', 'noisy', '-o', 'json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      const closed = new Promise<number | null>((resolve) => c.on('close', (n) => resolve(n)));
      // not reading stderr: without back-pressure the kit would buffer all the plugin writes
      c.stderr.pause();
      let max = 0;
      const end = Date.now() + 4000;
      while (Date.now() < end) {
        max = Math.max(max, rssKiB(c.pid!));
        await new Promise((r) => setTimeout(r, 50));
      }
      let bytes = 0;
      c.stderr.on('data', (b: Buffer) => {
        bytes += b.length;
        max = Math.max(max, rssKiB(c.pid!));
      });
      c.stderr.resume();
      expect(await closed).to.equal(0);
      expect(JSON.parse(stdout).params.provider_options.noisy.status).to.equal('enabled');
      expect(bytes).to.be.at.least(768 * MiB);
      expect(max, `max RSS ${max} KiB`).to.be.below(400 * 1024);
    });
  });

  describe('item 9: file system surprises are an envelope or one line with exit 2, never "unexpected error"', () => {
    it('a 256-byte provider name, a provider folder that is a file, a tasks/ that is a file', () => {
      const root = rootWith('fs-surprises', 't', `[ "$1" = help ] && { echo '{"options":["help","order"],"status":"enabled"}'; exit 0; }\necho '{"task_id":"5"}'`);
      let r = host(['-a', 'install', '--provider', 'a'.repeat(256), '-o', 'json'], { root });
      expect(r.code).to.equal(2);
      oneLine(r.stderr);
      expect(r.stderr).to.match(/--provider is 256 bytes long: a folder name has at most 255/);
      // install where providers/x is a plain file: tar -C fails, an envelope (exit 1)
      const archive = path.join(dir, 'x.tar.gz');
      fs.writeFileSync(archive, zlib.gzipSync(mod.tarBytes(mod.goodEntries('x'))));
      fs.writeFileSync(path.join(root, 'providers/x'), '');
      r = host(['-a', 'install', '--provider', 'x', '--archive', archive, '-o', 'json'], { root });
      expect(r.code, r.stderr).to.equal(1);
      expect(JSON.parse(r.stdout).message).to.match(/^bxProvider: cmd=`tar xzf .* -C .*\/providers\/x` return error: /);
      expect(r.stderr).to.not.match(/unexpected error/);
      // order where tasks/ cannot be created
      fs.writeFileSync(path.join(root, 'providers/t/tasks'), '');
      r = host(['-a', 'order', '--provider', 't', '--config_id', '1', '-o', 'json'], { root });
      expect(r.code).to.equal(2);
      oneLine(r.stderr);
      expect(r.stderr).to.match(/^bx-provider-kit: host -a order: File exists/);
    });
  });

  describe('item 3: stderr held back for a slow reader is delivered after the plugin exits', () => {
    it('200 KiB on stderr into a pipe whose reader starts 2 s late: every byte arrives', () => {
      const root = rootWith('late-reader', 'late', `[ "$1" = help ] && { head -c ${200 * 1024} /dev/zero >&2; echo '${HELP}'; }`);
      const count = path.join(dir, 'late-count');
      // a real pipe (bash process substitution), read by a reader that sleeps first
      const r = spawnSync('bash', ['-c', '"$0" "$1" host --root "$2" -a status --provider late -o json 2> >(sleep 2; wc -c > "$3"); wait', process.execPath, MAIN, root, count], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).params.provider_options.late.status).to.equal('enabled');
      expect(fs.readFileSync(count, 'utf8').trim()).to.equal(String(200 * 1024));
    });
  });

  describe('item 19b: a tar past the entry limit', () => {
    it('is refused with a message that says what is true (unpacked in full, not written outside)', () => {
      const root = path.join(dir, 'many');
      const archive = path.join(dir, 'many-v1.tar.gz');
      const files = Array.from({ length: 10_001 }, (_, i) => ({ path: `lib/f${i}`, data: '' }));
      fs.writeFileSync(archive, zlib.gzipSync(mod.tarBytes([...mod.goodEntries('many'), { path: 'lib/', type: 'dir' }, ...files])));
      const r = host(['-a', 'install', '--provider', 'many', '--archive', archive, '-o', 'json'], { root });
      expect(r.code, r.stderr).to.equal(1);
      expect(JSON.parse(r.stdout).message).to.match(/refused by the emulator: .*more than 10000 entries.*\(ARCH-LIMITS\)/);
      expect(r.stderr).to.match(/unpack all of it into .*\/providers\/many, filling the disk; the emulator stops at its limits/);
      expect(r.stderr).to.not.match(/write outside/);
      expect(fs.readdirSync(path.join(root, 'providers/many')).sort()).to.deep.equal(['bin', 'etc']);
    });
  });
});
