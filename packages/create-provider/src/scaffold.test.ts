import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KitError } from '@bx-provider-kit/schemas';
import { createProvider, explainBadName, KIT_VERSION, nextSteps, renderTemplate, TEMPLATES } from './index.js';
import { parseArgs } from './create-command.js';
import { CLI_MAIN, CREATE_BIN, cli, run, tempDir } from './testutil.js';

async function rejects(p: Promise<unknown>): Promise<KitError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(KitError);
    return e as KitError;
  }
  throw new Error('expected a KitError');
}

/** The shell lines between "Next steps:" and the next blank line, comments dropped. */
export function stepLines(text: string): string[] {
  const lines = text.split('\n');
  const from = lines.indexOf('Next steps:') + 1;
  const to = lines.indexOf('', from);
  return lines.slice(from, to).map((l) => l.replace(/\s+#.*$/, '').trim());
}

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isSymbolicLink()) out[r] = `-> ${await fs.readlink(path.join(dir, r))}`;
      else out[r] = await fs.readFile(path.join(dir, r), 'utf8');
    }
  };
  await walk('');
  return out;
}

describe('create-provider: names (PKG-NAME)', () => {
  it('accepts safe names and says why others are refused', () => {
    for (const ok of ['my-hoster', 'a', 'Acme_Cloud-2', 'x'.repeat(64)]) expect(explainBadName(ok), ok).to.equal(null);
    expect(explainBadName('')).to.match(/empty/);
    expect(explainBadName('1cloud')).to.match(/must start with a letter/);
    expect(explainBadName('-x')).to.match(/must start with a letter/);
    expect(explainBadName('my hoster')).to.match(/contains a space.*unquoted into shell command lines/);
    expect(explainBadName('my.hoster')).to.match(/contains "\."/);
    expect(explainBadName('a;b$c')).to.match(/contains ";", "\$"/);
    expect(explainBadName('hoster/eu')).to.match(/contains "\/"/);
    expect(explainBadName('тест')).to.match(/contains "т", "е", "с": only ASCII letters/);
    expect(explainBadName('a\tb')).to.match(/U\+0009/);
    expect(explainBadName('x'.repeat(65))).to.match(/65 characters/);
  });

  it('refuses a bad name, template or description before writing anything', async () => {
    const root = await tempDir();
    try {
      expect((await rejects(createProvider({ name: 'bad name', dir: path.join(root, 'a') }))).message).to.match(/cannot use that provider name/);
      expect((await rejects(createProvider({ name: 'ok', template: 'ruby', dir: path.join(root, 'b') }))).message).to.match(/unknown template "ruby": choose one of bash, php, python, perl/);
      expect((await rejects(createProvider({ name: 'ok', description: 'two\nlines', dir: path.join(root, 'c') }))).message).to.match(/one line/);
      expect(await fs.readdir(root)).to.deep.equal([]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe('create-provider: writing the folder', function () {
  this.timeout(30_000);
  let root: string;
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('writes into ./NAME by default and into --dir when given', async () => {
    const r = await run(process.execPath, [CREATE_BIN, 'cwd-hoster', '--yes'], { cwd: root, env: { PATH: process.env.PATH } });
    expect(r.code, r.stderr).to.equal(0);
    expect(await fs.readdir(path.join(root, 'cwd-hoster', 'bin'))).to.deep.equal(['cwd-hoster']);
    const res = await createProvider({ name: 'dir-hoster', template: 'perl', dir: path.join(root, 'deep', 'er') });
    expect(res.dir).to.equal(path.join(root, 'deep', 'er'));
    expect(res.files).to.include('bin/dir-hoster');
  });

  it('refuses a non-empty folder without --force, and touches nothing in it', async () => {
    const dir = path.join(root, 'busy');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'notes.txt'), 'mine');
    const err = await rejects(createProvider({ name: 'busy', dir }));
    expect(err.message).to.match(/is not empty \(notes\.txt\).*--force/);
    expect(await tree(dir)).to.deep.equal({ 'notes.txt': 'mine' });
    // A folder holding only .git counts as empty (a fresh `git init`).
    const fresh = path.join(root, 'fresh');
    await fs.mkdir(path.join(fresh, '.git'), { recursive: true });
    await createProvider({ name: 'fresh', dir: fresh });
    // A file where the folder should be.
    await fs.writeFile(path.join(root, 'afile'), '');
    expect((await rejects(createProvider({ name: 'afile', dir: path.join(root, 'afile') }))).message).to.match(/not a folder/);
  });

  it('with --force overwrites only the template files and never deletes anything else', async () => {
    const dir = path.join(root, 'forced');
    await createProvider({ name: 'forced', template: 'bash', dir });
    await fs.writeFile(path.join(dir, 'etc', 'forced.conf'), 'backend = http\n');
    await fs.writeFile(path.join(dir, 'lib', 'mine.sh'), 'keep me');
    await fs.mkdir(path.join(dir, 'var', 'tasks'), { recursive: true });
    await fs.writeFile(path.join(dir, 'var', 'tasks', 'sb-1'), 'state');
    await fs.writeFile(path.join(root, 'outside'), 'outside');
    await fs.rm(path.join(dir, 'README.md'));
    await fs.symlink(path.join(root, 'outside'), path.join(dir, 'README.md'));

    // Same template again: unrelated files stay, template files are back to the template.
    const res = await createProvider({ name: 'forced', template: 'bash', dir, force: true });
    const after = await tree(dir);
    expect(after['lib/mine.sh']).to.equal('keep me');
    expect(after['var/tasks/sb-1']).to.equal('state');
    expect(after['etc/forced.conf']).to.match(/^backend = sandbox$/m);
    expect(after['README.md'], 'a symlink in the way is replaced, not followed').to.match(/^# forced/);
    expect(await fs.readFile(path.join(root, 'outside'), 'utf8')).to.equal('outside');
    for (const f of res.files) expect(after, f).to.have.property(f);

    // Another template over it: the bash files it does not have are left alone.
    await createProvider({ name: 'forced', template: 'python', dir, force: true });
    const mixed = await tree(dir);
    expect(mixed['lib/api.sh'], 'nothing deleted').to.be.a('string');
    expect(mixed['lib/http_api.py']).to.be.a('string');
    expect(mixed['bin/forced'].split('\n')[0]).to.equal('#!/usr/bin/env python3');
    expect(Object.keys(mixed).filter((f) => f.includes('.bxk-')), 'no temp files left').to.deep.equal([]);
  });

  it('with --force refuses, before writing anything, when a folder or file is in the way', async () => {
    const dir = path.join(root, 'clash');
    await fs.mkdir(path.join(dir, 'provider.json'), { recursive: true });
    await fs.writeFile(path.join(dir, 'keep'), 'x');
    expect((await rejects(createProvider({ name: 'clash', dir, force: true }))).message).to.match(/provider\.json is a folder/);
    expect(await tree(dir)).to.deep.equal({ keep: 'x' });
    const dir2 = path.join(root, 'clash2');
    await fs.mkdir(dir2);
    await fs.writeFile(path.join(dir2, 'bin'), 'a file named bin');
    expect((await rejects(createProvider({ name: 'clash2', dir: dir2, force: true }))).message).to.match(/bin is in the way/);
    expect(await tree(dir2)).to.deep.equal({ bin: 'a file named bin' });
  });

  it('renders every template without an unknown placeholder', async () => {
    for (const t of TEMPLATES) {
      const files = await renderTemplate(t, { name: 'n', description: 'd', template: t, version: '0.1.0', kitVersion: '0' });
      expect(files.length).to.be.greaterThan(6);
    }
  });

  it('prints next steps: npm install, test, pack, verify, emulated install and the real bx-provider install', async () => {
    const res = await createProvider({ name: 'steps', template: 'php', dir: path.join(root, 'steps') });
    const text = nextSteps(res, root);
    expect(stepLines(text)).to.deep.equal([
      'cd ./steps',
      'npm install',
      './bin/steps configs',
      'npm test',
      'npm run pack',
      'npm run verify',
      'npx bx-provider-kit host -a install --provider steps --archive dist/steps-v0.1.0.tar.gz -o json',
    ]);
    expect(text).to.include('bx-provider -a install --provider steps --archive /tmp/steps-v0.1.0.tar.gz');
    expect(text).to.include('scp dist/steps-v0.1.0.tar.gz root@');
    expect(text).to.include('lib/HttpApi.php');
    const installed = stepLines(nextSteps(res, root, { kit: 'installed' }));
    expect(installed).to.deep.equal([
      'cd ./steps',
      './bin/steps configs',
      'bx-provider-kit test . --allow-order',
      'bx-provider-kit pack .',
      'bx-provider-kit verify dist/steps-v0.1.0.tar.gz',
      'bx-provider-kit host -a install --provider steps --archive dist/steps-v0.1.0.tar.gz -o json',
    ]);
  });

  it('writes a package.json whose scripts are the kit commands the steps name, the kit as a devDependency', async () => {
    const res = await createProvider({ name: 'Pkg_Hoster', template: 'bash', dir: path.join(root, 'p') });
    expect(res.files).to.include('package.json');
    const pkg = JSON.parse(await fs.readFile(path.join(root, 'p', 'package.json'), 'utf8'));
    expect(pkg).to.deep.include({ name: 'pkg_hoster', version: '0.1.0', private: true });
    expect(pkg.scripts).to.deep.equal({
      test: 'bx-provider-kit test . --allow-order',
      pack: 'bx-provider-kit pack .',
      verify: 'bx-provider-kit verify dist/Pkg_Hoster-v0.1.0.tar.gz',
    });
    expect(pkg.devDependencies).to.deep.equal({ 'bx-provider-kit': `^${KIT_VERSION}` });
    const gitignore = await fs.readFile(path.join(root, 'p', '.gitignore'), 'utf8');
    expect(gitignore).to.match(/^node_modules\/$/m).and.match(/^dist\/$/m);
  });
});

describe('create-provider and bx-provider-kit new: the command', function () {
  this.timeout(60_000);
  let root: string;
  before(async () => {
    root = await tempDir();
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });
  const env = () => ({ PATH: process.env.PATH, HOME: root });

  it('bx-provider-kit new: the next steps it prints run as printed (with bx-provider-kit on PATH)', async function () {
    this.timeout(120_000);
    const r = await cli(['new', 'as-printed', '--template', 'bash', '--yes'], { cwd: root });
    expect(r.code, r.stderr).to.equal(0);
    const steps = stepLines(r.stdout);
    expect(steps[0]).to.equal('cd ./as-printed');
    const shim = path.join(root, 'shim');
    await fs.mkdir(shim, { recursive: true });
    await fs.writeFile(path.join(shim, 'bx-provider-kit'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_MAIN)} "$@"\n`, { mode: 0o755 });
    const script = r.stdout.split('\n').slice(r.stdout.split('\n').indexOf('Next steps:') + 1).join('\n').split('\n\n')[0]!;
    const ran = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, env: { PATH: `${shim}:${process.env.PATH}`, HOME: root }, timeoutMs: 110_000 });
    expect(ran.code, `${script}\n${ran.stdout}\n${ran.stderr}`).to.equal(0);
    expect(ran.stdout).to.match(/\d+ passed, 0 failed/);
    expect(await fs.readdir(path.join(root, 'as-printed', 'dist'))).to.deep.equal(['as-printed-v0.1.0.tar.gz', 'as-printed-v0.1.0.tar.gz.sha256']);
    expect(JSON.parse(ran.stdout.trimEnd().split('\n').pop()!)).to.have.property('message').that.matches(/Provider data created/);
  });

  it('parses the same flags as `new`', () => {
    expect(parseArgs(['x', '-t', 'perl', '--dir=d', '--description', 'D', '-f', '-y'])).to.deep.equal({
      name: 'x',
      template: 'perl',
      dir: 'd',
      description: 'D',
      force: true,
      yes: true,
    });
    expect(parseArgs(['--help'])).to.equal('help');
    expect(() => parseArgs(['a', 'b'])).to.throw(KitError, /one NAME only/);
    expect(() => parseArgs(['--colour'])).to.throw(KitError, /unknown option --colour/);
    expect(() => parseArgs(['x', '--template'])).to.throw(KitError, /--template needs a value/);
  });

  it('without a terminal never waits for input: no NAME is an error at once, a NAME takes the defaults', async () => {
    // stdin is a pipe that stays open and silent: a prompt would hang until the kill.
    let r = await run(process.execPath, [CREATE_BIN], { cwd: root, env: env(), stdin: 'open', timeoutMs: 20_000 });
    expect(r.signal).to.equal(null);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^create-provider: name the provider: .*no terminal to ask on\n$/);
    r = await run(process.execPath, [CREATE_BIN, 'quiet-one'], { cwd: root, env: env(), stdin: 'open', timeoutMs: 20_000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('Created quiet-one (bash template)');
    const manifest = JSON.parse(await fs.readFile(path.join(root, 'quiet-one', 'provider.json'), 'utf8'));
    expect(manifest.description).to.equal('BitrixVM provider plugin quiet-one');
    r = await cli(['new', '--template', 'python'], { cwd: root, stdin: 'open', timeoutMs: 20_000 });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: name the provider/);
  });

  it('bx-provider-kit new writes the same plugin and exits 2 with the reason on a bad name or a busy folder', async () => {
    let r = await cli(['new', 'via-cli', '--template', 'perl', '--description', 'From the CLI', '--yes'], { cwd: root });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('Created via-cli (perl template)').and.include('Next steps:');
    expect(JSON.parse(await fs.readFile(path.join(root, 'via-cli', 'provider.json'), 'utf8')).description).to.equal('From the CLI');
    r = await cli(['new', 'via-cli', '--yes'], { cwd: root });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: .*via-cli is not empty.*--force.*\n$/);
    r = await cli(['new', 'via cli', '--yes'], { cwd: root });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: cannot use that provider name: "via cli" contains a space/);
    r = await cli(['new', 'x', '--template', 'ruby'], { cwd: root });
    expect(r.code).to.equal(2);
    r = await cli(['new', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('Examples:');
    r = await run(process.execPath, [CREATE_BIN, '--help'], { env: env() });
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('npm create provider my-hoster');
  });

  it('on a terminal asks for name, template and description, with defaults', async function () {
    // A real pseudo-terminal from python3's pty module; answers typed as a person would.
    const script = `
import os, pty, sys, time, select
node, binjs, cwd = sys.argv[1], sys.argv[2], sys.argv[3]
answers = [("Provider name", "bad name\\r"), ("contains a space", "tty-hoster\\r"), ("Template", "3\\r"), ("Description", "\\r")]
pid, fd = pty.fork()
if pid == 0:
    os.chdir(cwd)
    os.execv(node, [node, binjs])
out = b""
deadline = time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if answers and answers[0][0].encode() in out:
        os.write(fd, answers.pop(0)[1].encode())
else:
    os.kill(pid, 9)  # a prompt nobody answered: fail instead of hanging
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 99)
`;
    const r = await run('/usr/bin/python3', ['-c', script, process.execPath, CREATE_BIN, root], { env: { ...env(), TERM: 'dumb' }, timeoutMs: 45_000 });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include('Provider name (my-hoster)');
    expect(r.stdout).to.include('contains a space');
    expect(r.stdout).to.include('3) python');
    expect(r.stdout).to.include('Created tty-hoster (python template)');
    const manifest = JSON.parse(await fs.readFile(path.join(root, 'tty-hoster', 'provider.json'), 'utf8'));
    expect(manifest).to.deep.equal({ name: 'tty-hoster', version: '0.1.0', description: 'BitrixVM provider plugin tty-hoster' });
  });
});
