import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

export function kit(args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: opts.input ?? '',
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bx-provider-kit CLI', () => {
  it('prints its version', () => {
    const out = execFileSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    expect(out.trim()).to.match(/^\d+\.\d+\.\d+/);
  });

  it('prints help with exit 0', () => {
    const r = kit(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('bx-provider-kit <command>');
    expect(r.stdout).to.contain('completion');
  });

  it('refuses an unknown command with one line and exit 2', () => {
    const r = kit(['frobnicate']);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('bx-provider-kit:'))).to.have.length(1);
    expect(r.stderr).not.to.match(/\n\s+at /);
  });

  it('prints a completion script', () => {
    const r = kit(['completion']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('bx-provider-kit');
  });

  describe('completion of values yargs cannot know', () => {
    const complete = (...words: string[]) => {
      const r = kit(['--get-yargs-completions', 'bx-provider-kit', ...words]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal('');
      return r.stdout.trimEnd().split('\n');
    };
    it('--reporter values, host actions and -o formats', () => {
      expect(complete('test', 'x', '--reporter', '')).to.deep.equal(['text', 'json', 'junit', 'tap', 'github', 'gitlab']);
      expect(complete('test', 'x', '-r', 'ju')).to.include('junit');
      expect(complete('host', '-a', '')).to.include.members(['install', 'order_status', 'order_to_host', 'orders_list']);
      expect(complete('host', '-a', 'list', '-o', '')).to.deep.equal(['json', 'plain']);
    });
    it('schema kinds for validate and schema, rule ids for --only/--skip and rules', () => {
      expect(complete('validate', '')).to.include.members(['plugin/order_status', 'host/orders_list', 'conformance']);
      expect(complete('schema', 'plugin/')).to.include('plugin/help');
      const ids = complete('test', 'x', '--only', 'OUT', '');
      expect(ids).to.include.members(['OUT', 'ARCH', 'OUT-JSON', 'HOST-ORDER-TO-HOST']);
      expect(complete('test', 'x', '--skip', '')).to.include('RUN-SLOW');
      expect(complete('rules', '')).to.include('HELP-STATUS');
    });
    it('commands and flags still come from yargs', () => {
      expect(complete('')).to.include.members(['test', 'validate', 'host']);
      expect(complete('test', '')).to.include.members(['--reporter', '--allow-order']);
    });
  });

  it('colours: FORCE_COLOR turns them on off a terminal, FORCE_COLOR=0 off; NO_COLOR always wins', () => {
    const doc = '{"task_id":"24"}';
    const on = kit(['validate', 'plugin/order', '-'], { input: doc, env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(on.stdout).to.equal('\u001b[32mok\u001b[39m: stdin is a valid plugin/order\n');
    for (const env of [{ NO_COLOR: '', FORCE_COLOR: '0' }, { NO_COLOR: '1', FORCE_COLOR: '1' }, { NO_COLOR: '' }]) {
      const r = kit(['validate', 'plugin/order', '-'], { input: doc, env });
      expect(r.stdout, JSON.stringify(env)).to.equal('ok: stdin is a valid plugin/order\n');
    }
  });

  it('new without a name and without a terminal names `bx-provider-kit new NAME`, in one line', () => {
    const r = kit(['new']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal('bx-provider-kit: name the provider: bx-provider-kit new NAME (letters, digits, _ and -, starting with a letter); there is no terminal to ask on\n');
    expect(kit(['new', '--yes']).stderr).to.match(/^bx-provider-kit: name the provider: bx-provider-kit new NAME .*with --yes nothing is asked\n$/);
  });

  it('host --help: the epilogue is wrapped once (no paragraph broken mid-sentence)', () => {
    const r = kit(['host', '--help']);
    expect(r.code).to.equal(0);
    const epilogue = r.stdout.slice(r.stdout.indexOf('Behaves like'));
    const paragraphs = epilogue.trimEnd().split('\n\n');
    expect(paragraphs).to.have.length(3);
    for (const p of paragraphs) {
      const lines = p.split('\n');
      // every line but a paragraph's last is filled close to the width (100 off a terminal)
      for (const l of lines.slice(0, -1)) expect(l.length, l).to.be.within(80, 100);
    }
  });

  describe('the bin: the bundle and its fast paths', () => {
    const BIN = fileURLToPath(new URL('../bin/bx-provider-kit.js', import.meta.url));
    const HELP = fileURLToPath(new URL('./help.json', import.meta.url));
    const run = (file: string, args: string[], input = '') => {
      const r = spawnSync(process.execPath, [file, ...args], { input, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 120_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    before(function () {
      if (!existsSync(fileURLToPath(new URL('./bx-provider-kit.js', import.meta.url)))) throw new Error('dist/bx-provider-kit.js is missing: npm run build bundles the CLI');
    });

    it('--version: the same as yargs prints, without loading it', () => {
      expect(run(BIN, ['--version'])).to.deep.equal(run(CLI, ['--version']));
    });

    it('--help and COMMAND --help: the prerendered text is exactly what yargs prints, for every command', () => {
      const help = JSON.parse(readFileSync(HELP, 'utf8')) as { texts: Record<string, string> };
      expect(Object.keys(help.texts)).to.include.members(['', 'test', 'validate', 'host', 'verify', 'pack', 'new', 'schema', 'rules']);
      for (const name of Object.keys(help.texts)) {
        const args = name ? [name, '--help'] : ['--help'];
        const fastPath = run(BIN, args);
        const yargs = run(CLI, args);
        expect(fastPath, name).to.deep.equal(yargs);
        expect(fastPath.stdout, name).to.equal(help.texts[name]);
      }
      expect(run(BIN, ['test', '-h'])).to.deep.equal(run(CLI, ['test', '-h']));
    });

    it('runs commands through the bundle: packages load when a command runs, their KitErrors are one line, exit 2', () => {
      expect(run(BIN, ['validate', 'plugin/order', '-'], '{"task_id":"24"}')).to.deep.equal({ code: 0, stdout: 'ok: stdin is a valid plugin/order\n', stderr: '' });
      const unknown = run(BIN, ['schema', 'plugin/nope']); // thrown by @bx-provider-kit/schemas
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/^bx-provider-kit: unknown document kind "plugin\/nope"[^\n]*\n$/);
      const usage = run(BIN, ['test', './x', '--frob']);
      expect(usage.code).to.equal(2);
      expect(usage.stderr).to.equal('bx-provider-kit: Unknown argument: frob\n');
      const t = run(BIN, ['test', fileURLToPath(new URL('../../../conformance/plugins/good-bash', import.meta.url)), '--only', 'PKG', '-q']);
      expect(t.code, t.stderr).to.equal(0);
      expect(t.stdout).to.match(/\n\d+ passed, 0 failed/);
      expect(run(BIN, ['--get-yargs-completions', 'bx-provider-kit', 'host', '-a', '']).stdout).to.contain('order_to_host\n');
    });

    it("a KitError subclass from another package (the packer's PackRefused) keeps its exit code and one line", () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'bxk-bin-'));
      try {
        mkdirSync(path.join(dir, 'bin'));
        writeFileSync(path.join(dir, 'provider.json'), '{"name":"nox","version":"1.0.0","description":"x"}\n');
        writeFileSync(path.join(dir, 'bin', 'nox'), '#!/bin/sh\necho {}\n', { mode: 0o644 });
        for (const file of [BIN, CLI]) {
          const r = run(file, ['pack', dir, '--out', path.join(dir, 'out')]);
          expect(r.code, file).to.equal(1);
          expect(r.stderr).to.match(/\nbx-provider-kit: refusing to pack .*: 1 problem the host would trip on \(PKG-LAYOUT\)\n$/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
