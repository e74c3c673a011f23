// The hostile-input suite of issue 15: one entry per case, as data plus a small builder.
// packages/cli/src/hostile.test.ts runs every case through the real `bx-provider-kit` binary
// in a sandbox of its own and checks the same four things for each (see README.md):
// the kit answered (a verdict, or exit 2 with one line), nothing outside the run's folders
// changed, no temp folder remained, no process outlived the run.
//
// A case:
//   name      short, unique (the sandbox folder name)
//   issue     where it comes from ("issue 15 item 5", "issue 15: FIFOs as input files", ...)
//   what      what it does, in one line
//   requires  optional: tools or rights it needs ('setsid', 'mkfifo', 'perl', 'cgroup');
//             the case is skipped, saying so, where they are missing
//   pending   optional: why it cannot pass on this branch yet ("fixed on another branch (...)");
//             the case is reported pending (it.skip) until the line is removed
//   setup(ctx) builds the input in ctx.work (the CLI's cwd) and returns
//             { argv } (the CLI's arguments) or { shell } (a bash line where `bxk` is the CLI),
//             optionally victims: [paths relative to the sandbox] snapshotted besides victim/,
//             env: {extra environment for the CLI},
//             and expect: 'verdict' (exit 0/1 with output) | 'refusal' (exit 2, one line);
//             by default either is fine.
//   ctx: { sandbox, work, victim, tmp, marker } where marker is a number unique to the case,
//        to be used as a sleep duration by anything a case leaves running (found by it in /proc).
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { goodEntries, tarBytes } from '../archives/recipes.mjs';

const GOOD_BASH = fileURLToPath(new URL('../plugins/good-bash/', import.meta.url));
const OLD = new Date('2020-01-02T03:04:05Z');

// ------------------------------------------------------------------ builders

/**
 * A tree whose every path, size, mode, mtime and link target is snapshotted before and after:
 * files, a nested folder, an empty folder, a file link and a folder link, all with an old mtime.
 */
export async function victimTree(dir) {
  await fsp.mkdir(path.join(dir, 'sub', 'deeper'), { recursive: true });
  await fsp.mkdir(path.join(dir, 'empty'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'a.txt'), 'keep me\n');
  await fsp.writeFile(path.join(dir, 'sub', 'b.txt'), 'keep me too\n');
  await fsp.writeFile(path.join(dir, 'sub', 'deeper', 'c.bin'), Buffer.alloc(3000, 7));
  await fsp.symlink('a.txt', path.join(dir, 'link'));
  await fsp.symlink('sub', path.join(dir, 'dirlink'));
  for (const p of ['a.txt', 'sub/b.txt', 'sub/deeper/c.bin', 'sub/deeper', 'sub', 'empty']) await fsp.utimes(path.join(dir, p), OLD, OLD);
  await fsp.utimes(dir, OLD, OLD);
  return dir;
}

/**
 * conformance/plugins/good-bash copied to work/DIR as provider NAME, with `prelude` run by every
 * call before it answers (a correct plugin apart from what the prelude does).
 */
export async function goodPlugin(ctx, name, { dir = name, prelude = '', providerName = name } = {}) {
  const to = path.join(ctx.work, dir);
  await fsp.cp(GOOD_BASH, to, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
  await fsp.rm(path.join(to, 'expected.json'), { force: true });
  const bin = path.join(to, 'bin', name);
  if (name !== 'good-bash') {
    await fsp.rename(path.join(to, 'bin', 'good-bash'), bin);
    await fsp.rename(path.join(to, 'etc', 'good-bash.conf'), path.join(to, 'etc', `${name}.conf`));
  }
  let body = await fsp.readFile(bin, 'utf8');
  body = body.replace('NAME=good-bash\n', `NAME=${name}\n`).replace('set -u\n', `set -u\n${prelude}${prelude && !prelude.endsWith('\n') ? '\n' : ''}`);
  await fsp.writeFile(bin, body);
  await fsp.chmod(bin, 0o755);
  await fsp.writeFile(path.join(to, 'provider.json'), `${JSON.stringify({ name: providerName, version: '1.0.0', description: 'hostile-input case' })}\n`);
  return to;
}

/** A .tar.gz of a plugin folder (GNU tar, entries bin/ etc/ provider.json at the root). */
export async function packFolder(folder, file) {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  execFileSync('tar', ['czf', file, '-C', folder, 'bin', 'etc', 'provider.json']);
  return file;
}

export function mkfifo(file) {
  execFileSync('mkfifo', [file]);
}

/** DEPTH folders `d` nested in `dir` (past PATH_MAX: made one chdir at a time by perl). */
export function deepFolders(dir, depth) {
  execFileSync('perl', ['-e', `for (1..${depth}) { mkdir "d" or die "mkdir: $!"; chdir "d" or die "chdir: $!" } open my $f, ">", "leaf" or die; print $f "deep\\n";`], { cwd: dir });
}

/**
 * A plugin archive with a chain of links that each look harmless but climb out together:
 * a -> ., b -> a/.., l2 -> b/.., ... l24 -> l23/.. (at /), then one link per component of
 * the victim's absolute path, and a file written through the last one: extracting it naively
 * writes `owned-by-archive` into the victim.
 */
export async function linkChainArchive(ctx, name, file) {
  const entries = [...goodEntries(name), { path: 'provider.json', data: `${JSON.stringify({ name, version: '1.0.0' })}\n` }];
  entries.push({ path: 'a', type: 'symlink', linkpath: '.' }, { path: 'b', type: 'symlink', linkpath: 'a/..' });
  let prev = 'b';
  for (let i = 2; i <= 24; i++) {
    entries.push({ path: `l${i}`, type: 'symlink', linkpath: `${prev}/..` });
    prev = `l${i}`;
  }
  path
    .resolve(ctx.victim)
    .split('/')
    .filter(Boolean)
    .forEach((part, i) => {
      entries.push({ path: `p${i}`, type: 'symlink', linkpath: `${prev}/${part}` });
      prev = `p${i}`;
    });
  entries.push({ path: `${prev}/owned-by-archive`, data: 'owned\n' });
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, zlib.gzipSync(tarBytes(entries)));
  return file;
}

const PENDING = (topic) => `fixed on another branch (issue 15: ${topic})`;

// ------------------------------------------------------------------ the cases

export const cases = [
  // ---- issue 15 item 5: processes left behind (fixed on this branch)
  {
    name: 'escape-setsid-env-i',
    issue: 'issue 15 item 5',
    what: 'every call of a passing plugin leaves `setsid env -i sleep &` (the run marker is dropped with the environment)',
    requires: ['setsid'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'escaper', { prelude: `setsid env -i sleep ${ctx.marker} </dev/null >/dev/null 2>&1 &` });
      return { argv: ['test', dir], expect: 'verdict' };
    },
  },
  {
    name: 'escape-setsid-env-i-no-cgroup',
    issue: 'issue 15 item 5',
    what: 'the same with the cgroup turned off (BX_PROVIDER_KIT_CGROUP=0): found by /proc (parent chain, run folders, born in a call)',
    requires: ['setsid'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'escaper', { prelude: `setsid env -i sleep ${ctx.marker} </dev/null >/dev/null 2>&1 &` });
      return { argv: ['test', dir], env: { BX_PROVIDER_KIT_CGROUP: '0' }, expect: 'verdict' };
    },
  },
  {
    name: 'escape-double-fork',
    issue: 'issue 15 item 5',
    what: 'every call leaves a double-forked daemon (setsid, env -i, cd /) whose parent exits at once',
    requires: ['setsid', 'cgroup'], // without a cgroup nothing links it to the run any more (see README)
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'daemon', { prelude: `( setsid env -i bash -c 'cd / && exec sleep ${ctx.marker}' </dev/null >/dev/null 2>&1 & )` });
      return { argv: ['test', dir], expect: 'verdict' };
    },
  },
  {
    name: 'escape-spawner',
    issue: 'issue 15 item 5',
    what: 'help starts a setsid worker (env -i, cd /) that spawns a new child every 50 ms',
    requires: ['setsid', 'cgroup'],
    async setup(ctx) {
      const worker = `setsid env -i bash -c 'cd /; while :; do sleep ${ctx.marker} & sleep 0.05; done' </dev/null >/dev/null 2>&1 &`;
      const dir = await goodPlugin(ctx, 'spawner', { prelude: `[ "\${1:-}" = help ] && ${worker}` });
      return { argv: ['test', dir], expect: 'verdict' };
    },
  },
  {
    name: 'escape-from-archive',
    issue: 'issue 15 item 5',
    what: 'the setsid env -i escapee, tested from its archive (calls through the host emulator too)',
    requires: ['setsid'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'escarch', { prelude: `setsid env -i sleep ${ctx.marker} </dev/null >/dev/null 2>&1 &` });
      const file = await packFolder(dir, path.join(ctx.work, 'dist', 'escarch-v1.0.0.tar.gz'));
      return { argv: ['test', file], expect: 'verdict' };
    },
  },

  // ---- names and paths in arguments
  {
    name: 'name-climbs-folder',
    issue: 'issue 15: --name with ../',
    what: '`test PLUGIN --name ../../victim` (a folder target)',
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'named');
      await victimTree(path.join(ctx.work, 'victim'));
      return { argv: ['test', dir, '--name', '../../victim'], victims: ['work/victim'] };
    },
  },
  {
    name: 'name-climbs-archive',
    issue: 'issue 15: --name with ../',
    what: '`test ARCHIVE --name ../../victim` (installed into the emulated host as that name)',
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'namedarch');
      const file = await packFolder(dir, path.join(ctx.work, 'dist', 'namedarch-v1.0.0.tar.gz'));
      await victimTree(path.join(ctx.work, 'victim'));
      await victimTree(path.join(ctx.work, 'dist', 'victim'));
      return { argv: ['test', file, '--name', '../../victim'], victims: ['work/victim', 'work/dist/victim'] };
    },
  },
  {
    name: 'name-256-test',
    issue: 'issue 15: 256-character names',
    what: '`test` of a plugin whose provider.json names a 256-character provider',
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'longname', { providerName: 'a'.repeat(256) });
      return { argv: ['test', dir] };
    },
  },
  {
    name: 'name-256-pack',
    issue: 'issue 15: 256-character names',
    what: '`pack` of a plugin whose provider.json names a 256-character provider',
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'longpack', { providerName: 'a'.repeat(256) });
      return { argv: ['pack', dir, '--out', path.join(ctx.work, 'out')] };
    },
  },
  {
    name: 'name-256-new',
    issue: 'issue 15: 256-character names',
    what: '`new` with a 256-character provider name',
    async setup() {
      return { argv: ['new', 'a'.repeat(256)] };
    },
  },
  {
    name: 'host-purge-climb',
    issue: 'issue 15: host --provider with ../',
    what: '`host purge --provider x/../..` (would delete the host root)',
    async setup(ctx) {
      await fsp.mkdir(path.join(ctx.work, 'root', 'providers'), { recursive: true });
      await victimTree(path.join(ctx.work, 'root', 'keep'));
      return { argv: ['host', 'purge', '--provider', 'x/../..', '--root', 'root'], victims: ['work/root/keep'], expect: 'refusal' };
    },
  },
  {
    name: 'host-purge-dot',
    issue: 'issue 15: host --provider .',
    what: '`host purge --provider .` (would delete every installed provider)',
    async setup(ctx) {
      await victimTree(path.join(ctx.work, 'root', 'providers', 'keep'));
      return { argv: ['host', 'purge', '--provider', '.', '--root', 'root'], victims: ['work/root/providers/keep'] };
    },
  },

  // ---- archives
  {
    name: 'link-chain-test',
    issue: 'issue 15: symlink-chain archives',
    what: '`test` of an archive whose links a->., b->a/.., l2->b/.. ... climb out and write into the victim',
    async setup(ctx) {
      return { argv: ['test', await linkChainArchive(ctx, 'chain', path.join(ctx.work, 'chain-v1.0.0.tar.gz'))] };
    },
  },
  {
    name: 'link-chain-verify',
    issue: 'issue 15: symlink-chain archives',
    what: '`verify` of the climbing link-chain archive',
    async setup(ctx) {
      return { argv: ['verify', await linkChainArchive(ctx, 'chain', path.join(ctx.work, 'chain-v1.0.0.tar.gz'))], expect: 'verdict' };
    },
  },
  {
    name: 'link-chain-install',
    issue: 'issue 15: symlink-chain archives',
    what: '`host -a install` of the climbing link-chain archive',
    async setup(ctx) {
      const file = await linkChainArchive(ctx, 'chain', path.join(ctx.work, 'chain-v1.0.0.tar.gz'));
      return { argv: ['host', '-a', 'install', '--provider', 'chain', '--archive', file, '--root', 'root'] };
    },
  },
  {
    name: 'verify-pipe-path',
    issue: 'issue 15: pipes as archive paths',
    what: '`verify <(cat x.tar.gz)`: the archive is a pipe (/dev/fd/N), not a file',
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'piped');
      await packFolder(dir, path.join(ctx.work, 'piped-v1.0.0.tar.gz'));
      return { shell: 'bxk verify <(cat piped-v1.0.0.tar.gz)' };
    },
  },

  // ---- special files and deep trees as input
  {
    name: 'fifo-provider-json-pack',
    issue: 'issue 15: FIFOs as input files',
    what: '`pack` of a folder whose provider.json is a FIFO nobody writes',
    requires: ['mkfifo'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'fifopack');
      await fsp.rm(path.join(dir, 'provider.json'));
      mkfifo(path.join(dir, 'provider.json'));
      return { argv: ['pack', dir, '--out', path.join(ctx.work, 'out')] };
    },
  },
  {
    name: 'fifo-conformance-json-test',
    issue: 'issue 15: FIFOs as input files',
    what: '`test` of a folder whose conformance.json is a FIFO nobody writes',
    requires: ['mkfifo'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'fifotest');
      await fsp.rm(path.join(dir, 'conformance.json'));
      mkfifo(path.join(dir, 'conformance.json'));
      return { argv: ['test', dir] };
    },
  },
  {
    name: 'deep-lib-test',
    issue: 'issue 15: deep lib/ folders',
    what: '`test` of a plugin whose lib/ is 5,000 folders deep (paths far past PATH_MAX)',
    requires: ['perl'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'deeptest');
      await fsp.mkdir(path.join(dir, 'lib'), { recursive: true });
      deepFolders(path.join(dir, 'lib'), 5000);
      return { argv: ['test', dir] };
    },
  },
  {
    name: 'special-files-test',
    issue: 'issue 15: FIFOs and sockets in a plugin folder',
    what: '`test` of a plugin with a FIFO nobody writes in etc/ and a socket in lib/ (copying either into the emulated host would block or fail)',
    requires: ['mkfifo', 'python3'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'specialtest');
      await fsp.mkdir(path.join(dir, 'lib'), { recursive: true });
      mkfifo(path.join(dir, 'etc', 'pipe'));
      execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path.join(dir, 'lib', 'sock')]);
      return { argv: ['test', dir], expect: 'verdict' };
    },
  },
  {
    name: 'dev-zero-provider-json-test',
    issue: 'issue 15: infinite inputs',
    what: '`test` of a plugin folder whose provider.json is a link to /dev/zero',
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'zerotest');
      await fsp.rm(path.join(dir, 'provider.json'));
      await fsp.symlink('/dev/zero', path.join(dir, 'provider.json'));
      return { argv: ['test', dir, '--name', 'zerotest'] };
    },
  },
  {
    name: 'deep-lib-pack',
    issue: 'issue 15: deep lib/ folders',
    what: '`pack` of a plugin whose lib/ is 5,000 folders deep',
    requires: ['perl'],
    async setup(ctx) {
      const dir = await goodPlugin(ctx, 'deeppack');
      await fsp.mkdir(path.join(dir, 'lib'), { recursive: true });
      deepFolders(path.join(dir, 'lib'), 5000);
      return { argv: ['pack', dir, '--out', path.join(ctx.work, 'out')] };
    },
  },
  {
    name: 'validate-dev-zero-file',
    issue: 'issue 15: endless input',
    what: '`validate plugin/help /dev/zero` (an endless file of NUL bytes)',
    async setup() {
      return { argv: ['validate', 'plugin/help', '/dev/zero'] };
    },
  },
  {
    name: 'validate-dev-zero-stdin',
    issue: 'issue 15: endless input',
    what: '`validate plugin/help - < /dev/zero` (endless stdin)',
    async setup() {
      return { shell: 'bxk validate plugin/help - </dev/zero' };
    },
  },
];
