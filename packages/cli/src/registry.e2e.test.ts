/**
 * The kit as a hoster gets it, through a real npm registry.
 *
 * 1. `npm pack` of every workspace (prepack builds): what each tarball carries (no tests, no
 *    test helpers, LICENSE, README.md, complete metadata, the schemas, maps with their sources).
 * 2. A local registry (verdaccio, a root devDependency) on 127.0.0.1 gets every tarball
 *    published; every other package comes through its uplink, which is whatever
 *    `npm config get registry` says on this machine. In an empty temp folder that sees only that
 *    registry: `npm create provider acme -- --template python --yes`, the next steps it prints
 *    run as printed (npm install, the plugin's own npm test with the order lifecycle, npm run
 *    pack, npm run verify, the emulated host install), then host order, order_status until
 *    finished and order_to_host, a mocha file using conformanceSuite from the installed
 *    package, and a TypeScript file using each package's public API under `tsc --noEmit` with
 *    `skipLibCheck: false`.
 *
 * Bounded: 10 minutes in all, every command has its own limit, and the registry process and the
 * temp folder (npm cache included) are removed even when a step fails. When the machine's
 * registry cannot be reached the registry part is skipped with the reason, unless
 * BXK_E2E_REGISTRY=1 (as .ci/run sets) demands it.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['schemas', 'host', 'packer', 'conformance', 'create-provider', 'cli'];
const REQUIRED = process.env.BXK_E2E_REGISTRY === '1';

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a hoster's shell: no npm_* of the `npm test` running us, no repository bin folders on PATH. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'INIT_CWD' || k === 'NODE_OPTIONS' || k.startsWith('BXK_') || k.startsWith('BX_PROVIDER')) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((p) => p && !p.includes(`${path.sep}node_modules${path.sep}`) && !p.endsWith(`${path.sep}node_modules`))
    .join(path.delimiter);
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

/** Runs a command in its own process group; kills the group at the limit. */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function show(r: Ran): string {
  const tail = (s: string) => (s.length > 6000 ? `...${s.slice(-6000)}` : s);
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
}

/** The line of npm's stderr that says what went wrong. */
function pingError(stderr: string): string {
  const lines = stderr.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const pick = lines.find((l) => /FetchError|reason: /.test(l)) ?? lines.find((l) => /^npm (error|ERR!) code /.test(l)) ?? lines.pop() ?? 'no answer';
  return pick.replace(/^npm (error|ERR!) /, '');
}

/** A setting of npm on this machine, as `npm config get` says in our own environment (npm_config_* included). */
function npmConfig(key: string): string {
  const r = spawnSync('npm', ['config', 'get', key], { cwd: os.tmpdir(), env: process.env, encoding: 'utf8', timeout: 30_000 });
  const v = (r.stdout ?? '').trim();
  return r.status === 0 && v !== 'undefined' && v !== 'null' ? v : '';
}

/** The file list of a .tgz made by npm pack (ustar headers; npm writes no long-name extensions for these paths). */
function tarEntries(tgz: string): Map<string, Buffer> {
  const buf = zlib.gunzipSync(fs.readFileSync(tgz));
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const name = str(0, 100);
    const prefix = str(345, 155);
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const type = str(156, 1);
    const full = prefix ? `${prefix}/${name}` : name;
    if (type === '0' || type === '') files.set(full.replace(/^package\//, ''), buf.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

let tmpRoot = '';
const tarballs = new Map<string, string>(); // package folder -> .tgz

describe('packages as npm pack writes them', function () {
  this.timeout(5 * 60_000);

  before(async function () {
    tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bxk-registry-'));
    const dest = path.join(tmpRoot, 'tarballs');
    fs.mkdirSync(dest);
    const r = await run('npm', ['pack', '--workspaces', '--pack-destination', dest, '--json'], {
      cwd: REPO,
      env: cleanEnv({ npm_config_cache: path.join(tmpRoot, 'pack-cache'), npm_config_update_notifier: 'false' }),
      timeoutMs: 4 * 60_000,
    });
    expect(r.code, show(r)).to.equal(0);
    const packed = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { name: string; filename: string }[];
    for (const p of packed) {
      const dir = PACKAGES.find((d) => JSON.parse(fs.readFileSync(path.join(REPO, 'packages', d, 'package.json'), 'utf8')).name === p.name)!;
      tarballs.set(dir, path.join(dest, p.filename.replace(/^@/, '').replace('/', '-')));
    }
    expect([...tarballs.keys()].sort()).to.deep.equal([...PACKAGES].sort());
    expect(fs.existsSync(path.join(REPO, 'packages/schemas/schemas')), 'postpack removes the copied schemas again').to.equal(false);
  });

  after(() => cleanup());

  it('no tarball carries a test, a test helper or a declaration map; every JS map carries its sources', () => {
    for (const [dir, tgz] of tarballs) {
      const files = [...tarEntries(tgz).keys()];
      expect(files.filter((f) => /\.test\.|\.test-util\.|(^|\/)(testutil|testkit|expect)\.|\.d\.ts\.map$|tsbuildinfo/.test(f)), dir).to.deep.equal([]);
      for (const [f, body] of tarEntries(tgz)) {
        if (!f.endsWith('.js.map')) continue;
        const map = JSON.parse(body.toString('utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
        expect(map.sourcesContent?.length, `${dir}: ${f} carries its sources`).to.equal(map.sources.length);
        expect(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0), `${dir}: ${f}`).to.equal(true);
      }
    }
  });

  it('each has LICENSE, README.md and complete metadata', () => {
    const license = fs.readFileSync(path.join(REPO, 'LICENSE'), 'utf8');
    for (const [dir, tgz] of tarballs) {
      const files = tarEntries(tgz);
      expect(files.get('LICENSE')?.toString('utf8'), `${dir} LICENSE`).to.equal(license);
      expect(files.get('README.md')?.toString('utf8'), `${dir} README.md`).to.match(/^# .+\n[\s\S]*```(ts|sh)\n/);
      const pkg = JSON.parse(files.get('package.json')!.toString('utf8'));
      expect(pkg.description, `${dir} description`).to.be.a('string').with.length.above(20);
      expect(pkg.keywords, `${dir} keywords`).to.be.an('array').with.length.above(3);
      expect(pkg.license).to.equal('MIT');
      expect(pkg.repository).to.deep.equal({ type: 'git', url: 'git+https://github.com/bx-provider-kit/bx-provider-kit.git', directory: `packages/${dir}` });
      expect(pkg.homepage).to.equal(`https://github.com/bx-provider-kit/bx-provider-kit/tree/main/packages/${dir}#readme`);
      expect(pkg.bugs).to.deep.equal({ url: 'https://github.com/bx-provider-kit/bx-provider-kit/issues' });
      expect(pkg.engines, dir).to.deep.equal({ node: '^20.19 || ^22.12 || >=23' });
      if (pkg.name.startsWith('@')) expect(pkg.publishConfig, dir).to.deep.equal({ access: 'public' });
      expect(pkg.scripts.prepack, `${dir}: packing builds first`).to.match(/^tsc -b\b/);
      for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
        if (dep.startsWith('@bx-provider-kit/') || dep === 'create-provider') expect(range, `${dir} -> ${dep}`).to.equal(pkg.version);
      }
      expect(files.has(pkg.main), `${dir} main ${pkg.main}`).to.equal(true);
      expect(files.has(pkg.types), `${dir} types ${pkg.types}`).to.equal(true);
    }
  });

  it('engines agree with the dependencies (yargs 18 wants ^20.19 || ^22.12 || >=23)', () => {
    const req = createRequire(path.join(REPO, 'packages/cli/package.json'));
    const yargsPkg = JSON.parse(fs.readFileSync(req.resolve('yargs/package.json'), 'utf8'));
    expect(yargsPkg.engines.node.replace(/\s/g, '')).to.equal('^20.19.0||^22.12.0||>=23');
  });

  it('@bx-provider-kit/schemas carries schemas/ byte for byte; create-provider carries the templates', () => {
    const files = tarEntries(tarballs.get('schemas')!);
    const walk = (dir: string, rel = ''): string[] =>
      fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, `${rel}${e.name}/`) : [`${rel}${e.name}`]));
    const top = walk(path.join(REPO, 'schemas'));
    expect(top.length).to.be.greaterThan(10);
    for (const f of top) expect(files.get(`schemas/${f}`)?.equals(fs.readFileSync(path.join(REPO, 'schemas', f))), f).to.equal(true);
    expect(files.has('generated/validators.cjs')).to.equal(true);
    const cp = [...tarEntries(tarballs.get('create-provider')!).keys()];
    expect(cp).to.include.members(['templates/_shared/provider.json', 'templates/_shared/_gitignore', 'templates/_shared/etc/example.conf']);
    for (const t of ['bash', 'php', 'python', 'perl']) expect(cp, t).to.include(`templates/${t}/bin/example`);
  });

  // ---- through a registry -------------------------------------------------------------------

  let verdaccio: ReturnType<typeof spawn> | undefined;
  let registryUrl = '';
  let env: NodeJS.ProcessEnv = {};
  let work = '';
  let acme = '';
  let consumer = '';

  function cleanup(): void {
    if (verdaccio?.pid && verdaccio.exitCode === null) {
      try {
        process.kill(-verdaccio.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    verdaccio = undefined;
    if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
    tmpRoot = '';
  }

  describe('from a local registry (verdaccio on 127.0.0.1): npm create provider to a tested plugin, no clone of the kit', function () {
    this.timeout(10 * 60_000);
    const started = Date.now();
    /** What is left of the 10 minutes, for one command (at most `cap`). */
    const budget = (cap: number) => Math.max(5_000, Math.min(cap, 10 * 60_000 - 15_000 - (Date.now() - started)));

    before(async function () {
      const uplink = npmConfig('registry');
      if (!uplink) throw new Error('npm config get registry gave nothing: cannot set the local registry\'s uplink');
      const ping = spawnSync('npm', ['ping', '--registry', uplink, '--cache', path.join(tmpRoot, 'ping-cache'), '--logs-dir', path.join(tmpRoot, 'ping-logs'), '--fetch-retries', '1'], { cwd: os.tmpdir(), env: process.env, encoding: 'utf8', timeout: 30_000 });
      if (ping.status !== 0) {
        const why = `the npm registry configured on this machine (${uplink}) cannot be reached (npm ping: ${ping.error ? `no answer in 30 s (${ping.error.message})` : pingError(ping.stderr ?? '')})`;
        if (REQUIRED) throw new Error(`${why}; BXK_E2E_REGISTRY=1 demands the registry test`);
        console.log(`      skipped: ${why}`);
        this.skip();
      }
      const storage = path.join(tmpRoot, 'registry', 'storage');
      fs.mkdirSync(storage, { recursive: true });
      const ours = PACKAGES.map((d) => JSON.parse(fs.readFileSync(path.join(REPO, 'packages', d, 'package.json'), 'utf8')).name as string);
      // Our six packages live only here (never proxied: a package of the same name elsewhere must
      // not shadow them); everything else comes through the machine's registry.
      const config = [
        `storage: ${JSON.stringify(storage)}`,
        'auth:',
        '  htpasswd:',
        `    file: ${JSON.stringify(path.join(tmpRoot, 'registry', 'htpasswd'))}`,
        'uplinks:',
        '  machine:',
        `    url: ${JSON.stringify(uplink)}`,
        '    timeout: 60s',
        '    max_fails: 20',
        'packages:',
        ...ours.map((n) => `  ${JSON.stringify(n)}:\n    access: $all\n    publish: $authenticated`),
        "  '**':",
        '    access: $all',
        '    publish: $authenticated',
        '    proxy: machine',
        'log: { type: stdout, format: pretty, level: warn }',
        '',
      ].join('\n');
      const cfg = path.join(tmpRoot, 'registry', 'config.yaml');
      fs.writeFileSync(cfg, config);
      const port = await new Promise<number>((resolve, reject) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
        s.on('error', reject);
      });
      registryUrl = `http://127.0.0.1:${port}/`;
      const bin = createRequire(path.join(REPO, 'package.json')).resolve('verdaccio/bin/verdaccio');
      const cafile = npmConfig('cafile');
      const vEnv = cleanEnv(cafile ? { NODE_EXTRA_CA_CERTS: cafile } : {});
      const log: Buffer[] = [];
      verdaccio = spawn(process.execPath, [bin, '--config', cfg, '--listen', `127.0.0.1:${port}`], { cwd: path.join(tmpRoot, 'registry'), env: vEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      verdaccio.stdout!.on('data', (c: Buffer) => log.push(c));
      verdaccio.stderr!.on('data', (c: Buffer) => log.push(c));
      const until = Date.now() + 60_000;
      for (;;) {
        try {
          const res = await fetch(`${registryUrl}-/ping`);
          if (res.ok) break;
        } catch {
          /* not yet */
        }
        if (verdaccio.exitCode !== null || Date.now() > until) throw new Error(`verdaccio did not start:\n${Buffer.concat(log).toString('utf8')}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      // A user for publishing (verdaccio's htpasswd creates it on first login).
      const res = await fetch(`${registryUrl}-/user/org.couchdb.user:hoster`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'hoster', password: 'hoster-pass-1', email: 'hoster@example.org' }),
      });
      const { token } = (await res.json()) as { token?: string };
      expect(token, `verdaccio user: HTTP ${res.status}`).to.be.a('string');
      const npmrc = path.join(tmpRoot, 'npmrc');
      fs.writeFileSync(npmrc, `//127.0.0.1:${port}/:_authToken=${token}\n`);
      env = cleanEnv({
        npm_config_registry: registryUrl,
        npm_config_userconfig: npmrc,
        npm_config_cache: path.join(tmpRoot, 'npm-cache'),
        npm_config_update_notifier: 'false',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_yes: 'true',
        HOME: path.join(tmpRoot, 'home'),
      });
      fs.mkdirSync(env.HOME!, { recursive: true });
      work = path.join(tmpRoot, 'work');
      fs.mkdirSync(work);
    });

    after(cleanup);

    it('publishes every tarball npm pack wrote', async () => {
      for (const d of PACKAGES) {
        const r = await run('npm', ['publish', tarballs.get(d)!, '--registry', registryUrl], { cwd: tmpRoot, env, timeoutMs: budget(60_000) });
        expect(r.code, `${d}: ${show(r)}`).to.equal(0);
      }
      const r = await run('npm', ['view', 'bx-provider-kit', 'version', '--registry', registryUrl], { cwd: tmpRoot, env, timeoutMs: budget(60_000) });
      expect(r.stdout.trim(), show(r)).to.equal(JSON.parse(fs.readFileSync(path.join(REPO, 'packages/cli/package.json'), 'utf8')).version);
    });

    it('npm create provider acme -- --template python --yes; the next steps it prints run as printed', async () => {
      const created = await run('npm', ['create', 'provider', 'acme', '--', '--template', 'python', '--yes'], { cwd: work, env, timeoutMs: budget(3 * 60_000) });
      expect(created.code, show(created)).to.equal(0);
      acme = path.join(work, 'acme');
      expect(fs.existsSync(path.join(acme, 'bin', 'acme'))).to.equal(true);
      const lines = created.stdout.split('\n');
      const from = lines.indexOf('Next steps:') + 1;
      expect(from, show(created)).to.be.greaterThan(0);
      const script = lines.slice(from, lines.indexOf('', from)).join('\n');
      expect(script).to.match(/^\s+cd \.\/acme\s*$/m).and.match(/^\s+npm install\b/m).and.match(/^\s+npm test\b/m);
      const ran = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: work, env, timeoutMs: budget(5 * 60_000) });
      expect(ran.code, `${script}\n${show(ran)}`).to.equal(0);
      // npm test: every rule, the order lifecycle included, nothing failed
      expect(ran.stdout, show(ran)).to.match(/PASS\s+LIFE-REACHES-END/).and.match(/PASS\s+LIFE-MONOTONIC/).and.match(/\d+ passed, 0 failed/);
      // npm run pack + verify
      expect(fs.readdirSync(path.join(acme, 'dist')).sort()).to.deep.equal(['acme-v0.1.0.tar.gz', 'acme-v0.1.0.tar.gz.sha256']);
      expect(ran.stdout).to.match(/^ok: the host can install it$/m);
      // the emulated host install, the last step
      const installed = JSON.parse(ran.stdout.trimEnd().split('\n').pop()!) as { message: string };
      expect(installed.message).to.equal(`bxProvider: Provider data created, you can found it in ${path.join(fs.realpathSync(acme), '.bx-host/providers/acme')}`);
    });

    it('the installed kit on the emulated host: order, order_status until finished, order_to_host', async () => {
      const host = async (...args: string[]) => {
        const r = await run('npx', ['bx-provider-kit', 'host', ...args, '-o', 'json'], { cwd: acme, env, timeoutMs: budget(60_000) });
        return { r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
      };
      const order = await host('-a', 'order', '--provider', 'acme', '--config_id', '1');
      expect(order.r.code, show(order.r)).to.equal(0);
      const taskId = order.json.params.provider_order.acme.task_id as string;
      expect(taskId).to.match(/^[A-Za-z0-9._-]+$/);
      let status = '';
      for (let i = 0; i < 60 && status !== 'finished'; i++) {
        const st = await host('-a', 'order_status', '--provider', 'acme', '--task_id', taskId);
        expect(st.r.code, show(st.r)).to.equal(0);
        status = st.json.params.provider_order.acme.status;
        if (status !== 'finished') await new Promise((r) => setTimeout(r, 500));
      }
      expect(status).to.equal('finished');
      const o2h = await host('-a', 'order_to_host', '--provider', 'acme', '--task_id', taskId);
      expect(o2h.r.code, show(o2h.r)).to.equal(0);
      expect(JSON.stringify(o2h.json)).to.match(/added to the pool|finished/);
    });

    it('a mocha file with conformanceSuite and a TypeScript file using every package\'s API (tsc --noEmit, skipLibCheck: false)', async () => {
      consumer = path.join(work, 'consumer');
      fs.mkdirSync(consumer);
      const version = (name: string) => JSON.parse(fs.readFileSync(createRequire(path.join(REPO, 'package.json')).resolve(`${name}/package.json`), 'utf8')).version as string;
      const kit = JSON.parse(fs.readFileSync(path.join(REPO, 'packages/cli/package.json'), 'utf8')).version as string;
      fs.writeFileSync(
        path.join(consumer, 'package.json'),
        JSON.stringify({
          name: 'consumer',
          private: true,
          type: 'module',
          devDependencies: {
            'bx-provider-kit': kit,
            'create-provider': kit,
            '@bx-provider-kit/schemas': kit,
            '@bx-provider-kit/host': kit,
            '@bx-provider-kit/packer': kit,
            '@bx-provider-kit/conformance': kit,
            mocha: version('mocha'),
            typescript: version('typescript'),
            '@types/node': version('@types/node'),
            '@types/mocha': version('@types/mocha'),
          },
        }, null, 2),
      );
      fs.writeFileSync(
        path.join(consumer, 'conformance.spec.mjs'),
        `import { conformanceSuite } from '@bx-provider-kit/conformance';\nconformanceSuite(${JSON.stringify(acme)}, { allowOrder: true });\n`,
      );
      fs.writeFileSync(
        path.join(consumer, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] }, files: ['api.ts'] }),
      );
      fs.writeFileSync(
        path.join(consumer, 'api.ts'),
        [
          "import { validate, validatorSource, listKinds, getSchema, readPluginStdout, RULES, rule, KitError, type PluginOrderStatus, type ValidationResult } from '@bx-provider-kit/schemas';",
          "import { Host, type HostResult } from '@bx-provider-kit/host';",
          "import { pack, verifyArchive, type PackResult, type VerifyResult } from '@bx-provider-kit/packer';",
          "import { runConformance, renderJunit, type Report } from '@bx-provider-kit/conformance';",
          "import { createProvider, nextSteps, type CreateProviderResult } from 'create-provider';",
          "import { runCli, buildCli, VERSION } from 'bx-provider-kit';",
          '',
          "const done: PluginOrderStatus = { task_id: '24', status: 'finished', server: '192.0.2.10', server_password: 's3cret' };",
          "const v: ValidationResult = validate('plugin/order_status', done);",
          "const source: 'standalone' | 'compiled' = validatorSource('plugin/order_status');",
          "const kinds: string[] = listKinds();",
          "const schema: Record<string, unknown> = getSchema('plugin/help');",
          "const out = readPluginStdout('{\"task_id\":\"24\"}\\n');",
          "const ids: string[] = RULES.map((r) => r.id);",
          "const bom = rule('OUT-BOM');",
          "const e: Error = new KitError('x');",
          "export async function use(dir: string): Promise<void> {",
          "  const made: CreateProviderResult = await createProvider({ name: 'typed', template: 'bash', dir });",
          "  const steps: string = nextSteps(made);",
          "  const packed: PackResult = await pack(dir, { outDir: `${dir}/../out` });",
          "  const verified: VerifyResult = await verifyArchive(packed.archive);",
          "  const host = new Host({ root: `${dir}/../host` });",
          "  const r: HostResult = await host.run({ action: 'install', provider: 'typed', archive: packed.archive, output: 'json' });",
          "  const report: Report = await runConformance(dir, { allowOrder: true });",
          "  const xml: string = renderJunit(report);",
          "  const code: number = await runCli(['verify', packed.archive]);",
          "  buildCli(['--help']);",
          "  console.log(VERSION, v.ok, source, kinds, schema, out, ids, bom, e, steps, verified, r.exitCode, xml, code);",
          '}',
          '',
        ].join('\n'),
      );
      const install = await run('npm', ['install'], { cwd: consumer, env, timeoutMs: budget(4 * 60_000) });
      expect(install.code, show(install)).to.equal(0);
      const tsc = await run(path.join(consumer, 'node_modules/.bin/tsc'), ['-p', '.'], { cwd: consumer, env, timeoutMs: budget(2 * 60_000) });
      expect(tsc.code, show(tsc)).to.equal(0);
      // The installed schemas package finds its schemas and the ahead-of-time validators' check holds.
      const node = await run(
        process.execPath,
        ['--input-type=module', '-e', "import { validatorSource, listKinds, validate } from '@bx-provider-kit/schemas'; console.log(JSON.stringify({ src: listKinds().map(validatorSource), kinds: listKinds().length, bad: validate('plugin/order', { task_id: 'eu/42' }).problems[0].rule }));"],
        { cwd: consumer, env, timeoutMs: budget(60_000) },
      );
      expect(node.code, show(node)).to.equal(0);
      const got = JSON.parse(node.stdout) as { src: string[]; kinds: number; bad: string };
      expect(got.kinds).to.be.greaterThan(10);
      expect(new Set(got.src)).to.deep.equal(new Set(['standalone']));
      expect(got.bad).to.equal('ORD-TASK-SAFE');
      const schema = await run(path.join(consumer, 'node_modules/.bin/bx-provider-kit'), ['schema', 'plugin/order'], { cwd: consumer, env, timeoutMs: budget(60_000) });
      expect(schema.code, show(schema)).to.equal(0);
      expect(JSON.parse(schema.stdout).$id).to.match(/plugin\/order\.schema\.json$/);
      fs.writeFileSync(path.join(consumer, 'order.json'), '{"task_id":"eu/42"}\n');
      const invalid = await run(path.join(consumer, 'node_modules/.bin/bx-provider-kit'), ['validate', 'plugin/order', 'order.json'], { cwd: consumer, env, timeoutMs: budget(60_000) });
      expect(invalid.code, show(invalid)).to.equal(1);
      expect(invalid.stdout + invalid.stderr).to.match(/ORD-TASK-SAFE/);
      const demo = await run(path.join(consumer, 'node_modules/.bin/bx-provider-kit'), ['demo', '--dir', path.join(consumer, 'demo')], { cwd: consumer, env, timeoutMs: budget(3 * 60_000) });
      expect(demo.code, show(demo)).to.equal(0);
      const mocha = await run(path.join(consumer, 'node_modules/.bin/mocha'), ['--timeout', '120000', 'conformance.spec.mjs'], { cwd: consumer, env, timeoutMs: budget(3 * 60_000) });
      expect(mocha.code, show(mocha)).to.equal(0);
      expect(mocha.stdout).to.match(/\d+ passing/).and.match(/LIFE-REACHES-END/).and.not.match(/failing/);
    });
  });
});
