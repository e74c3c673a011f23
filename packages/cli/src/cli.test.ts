import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
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
});
