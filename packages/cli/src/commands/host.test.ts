/** `bx-provider-kit host`: the "Done when" of issue 4, through the real CLI process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** A plugin like host-observed's `good`: order_status is in_progress once, then finished. */
const GOOD = `#!/bin/bash
state="\${0%/bin/*}/etc/state"
case "$1" in
  help) echo '{"options":["help","configs","order","order_status"],"status":"enabled"}' ;;
  configs) echo '{"status":"enabled","configurations":[{"id":1,"descr":"VPS 1CPU/1GB"}]}' ;;
  order) echo '{"task_id":"24"}' ;;
  order_status)
    if [ -f "$state" ]; then echo '{"task_id":"24","status":"finished","server":"192.0.2.10","server_password":"s3cret"}'
    else : > "$state"; echo '{"task_id":"24","status":"in_progress"}'; fi ;;
  *) echo '{"error":1,"error_message":"unknown action"}'; exit 1 ;;
esac
`;

describe('bx-provider-kit host', function () {
  this.timeout(60000);
  let dir: string;
  let root: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bxk-'));
    root = path.join(dir, 'webdir');
    const plugin = path.join(dir, 'good');
    fs.mkdirSync(path.join(plugin, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(plugin, 'etc'));
    fs.writeFileSync(path.join(plugin, 'bin/good'), GOOD, { mode: 0o755 });
    fs.writeFileSync(path.join(plugin, 'etc/good.conf'), 'sandbox=1\n');
    execFileSync('tar', ['czf', path.join(dir, 'good.tar.gz'), '-C', plugin, 'bin', 'etc']);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const host = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [MAIN, 'host', ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', BX_PROVIDER_ROOT: root, ...env } });
    return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.status };
  };
  const json = (args: string[], exit = 0) => {
    const r = host([...args, '-o', 'json']);
    expect(r.code, r.stderr).to.equal(exit);
    expect(r.stdout).to.not.match(/\n$/);
    return JSON.parse(r.stdout.split(root).join('/opt/webdir'));
  };
  const plain = (args: string[], exit = 0) => {
    const r = host([...args, '-o', 'plain']);
    expect(r.code, r.stderr).to.equal(exit);
    return r.stdout.split(root).join('/opt/webdir');
  };

  it('Done when: a hand-packed archive installs and the whole flow matches host-observed in json and plain', () => {
    expect(json(['-a', 'install', '--provider', 'good', '--archive', 'good.tar.gz'])).to.deep.equal({
      message: 'bxProvider: Provider data created, you can found it in /opt/webdir/providers/good',
    });
    expect(json(['-a', 'list'])).to.deep.equal({ params: { providers: { good: { status: 'enabled' } } } });
    expect(plain(['-a', 'list'])).to.equal('provider:status:good:enabled\n');
    expect(json(['-a', 'status', '--provider', 'good'])).to.deep.equal({
      params: {
        provider_options: {
          good: {
            options: { order: 1, configs: 1, order_status: 1, help: 1, init: 0 },
            status: 'enabled',
            files: { config: '/opt/webdir/providers/good/etc/good.conf', execute: '/opt/webdir/providers/good/bin/good', holder: '/opt/webdir/providers/good' },
            config: 'exists',
            name: 'good',
          },
        },
      },
    });
    expect(plain(['-a', 'status', '--provider', 'good'])).to.equal('provider:options:good:enabled:configs,help,order,order_status\n');
    expect(json(['-a', 'configs', '--provider', 'good'])).to.deep.equal({
      params: { provider_configs: { good: { status: 'enabled', configurations: [{ descr: 'VPS 1CPU/1GB', id: 1 }] } } },
    });
    expect(plain(['-a', 'configs', '--provider', 'good'])).to.equal('provider:configs:good:enabled:1:VPS 1CPU/1GB\n');
    expect(json(['-a', 'order', '--provider', 'good', '--config_id', '1'])).to.deep.equal({ params: { provider_order: { good: { task_id: '24' } } } });
    expect(plain(['-a', 'order', '--provider', 'good', '--config_id', '1'])).to.equal('provider:order:good:24');
    expect(json(['-a', 'order_status', '--provider', 'good', '--task_id', '24'])).to.deep.equal({
      params: { provider_order: { good: { status: 'in_progress', task_id: '24' } } },
    });
    expect(json(['-a', 'order_status', '--provider', 'good', '--task_id', '24'])).to.deep.equal({
      params: { provider_order: { good: { server: '192.0.2.10', server_password: 's3cret', status: 'finished', task_id: '24' } } },
    });
    expect(plain(['-a', 'order_status', '--provider', 'good', '--task_id', '24'])).to.equal('provider:order:good:24');
    const mtime = Math.floor(fs.statSync(path.join(root, 'providers/good/tasks/24')).mtimeMs / 1000);
    const entry = { message: '', error: 0, mtime, status: 'finished' };
    expect(json(['-a', 'orders_list', '--provider', 'good'])).to.deep.equal({ params: { provider_order_list: { good: { '24': entry } } } });
    expect(json(['-a', 'orders_list'])).to.deep.equal({ params: { provider_order_list: { good: { '24': entry } } } });
    expect(plain(['-a', 'orders_list', '--provider', 'good'])).to.equal(`provider:orders:good:24:finished:${mtime}::\n`);
    const added = host(['-a', 'order_to_host', '--provider', 'good', '--task_id', '24', '-o', 'json']);
    expect(added.code).to.equal(0);
    expect(JSON.parse(added.stdout)).to.deep.equal({ message: 'Server=192.0.2.10 is added to the pool' });
    expect(added.stderr).to.match(/SSH key/);
    expect(fs.readFileSync(path.join(root, 'providers/good/tasks/24'), 'utf8')).to.equal('complete: Server=192.0.2.10 is added to the pool');
    expect(JSON.parse(fs.readFileSync(path.join(root, 'pool/hosts.json'), 'utf8')).hosts.map((h: { host: string }) => h.host)).to.deep.equal(['192.0.2.10']);
    const m2 = Math.floor(fs.statSync(path.join(root, 'providers/good/tasks/24')).mtimeMs / 1000);
    expect(json(['-a', 'orders_list', '--provider', 'good'])).to.deep.equal({
      params: { provider_order_list: { good: { '24': { message: '', error: 0, mtime: m2, status: 'complete' } } } },
    });
    expect(plain(['-a', 'orders_list'])).to.equal(`provider:orders:good:24:complete:${m2}::\n`);
    expect(json(['-a', 'order_to_host', '--provider', 'good', '--task_id', '24'], 1)).to.deep.equal({
      message: 'bxProvider::order_to_hostProvider: task_id=24 already complete: Server=192.0.2.10 is added to the pool',
      error: 1,
    });
  });

  it('defaults to ./.bx-host in the current folder without --root or BX_PROVIDER_ROOT', () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.BX_PROVIDER_ROOT;
    const r = spawnSync(process.execPath, [MAIN, 'host', '-a', 'install', '--provider', 'good', '--archive', path.join(dir, 'good.tar.gz'), '-o', 'json'], { cwd, env });
    expect(r.status, r.stderr.toString()).to.equal(0);
    expect(JSON.parse(r.stdout.toString()).message).to.equal(`bxProvider: Provider data created, you can found it in ${fs.realpathSync(cwd)}/.bx-host/providers/good`);
    expect(fs.statSync(path.join(cwd, '.bx-host/providers/good/bin/good')).mode & 0o777).to.equal(0o755);
    expect(fs.existsSync(path.join(cwd, '.bx-host/pool/hosts.json'))).to.equal(true);
  });

  it('prints the usage for an unknown -a or -o (exit 0), like the real one', () => {
    for (const args of [['-a', 'bogus'], ['-o', 'xml']]) {
      const r = host(args);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/^Usage: bx-provider \[-vh\] \[-a status\|list\|install/);
    }
  });

  it('refuses shell syntax in an argument: nothing on stdout, what the real host would run on stderr, exit 2', () => {
    const r = host(['-a', 'order', '--provider', 'good', '--config_id', '1; touch INJECTED', '-o', 'json']);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.include('refused: the real bx-provider would run');
    expect(r.stderr).to.include('good/bin/good order 1; touch INJECTED`');
    expect(fs.existsSync(path.join(dir, 'INJECTED'))).to.equal(false);
  });

  it('--help marks the kit-only flags and documents the differences', () => {
    const r = host(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('[kit-only] Folder standing for /opt/webdir');
    expect(r.stdout).to.include('--no-pool');
    expect(r.stdout).to.include('refuses any line with shell syntax');
    expect(r.stdout).to.include('chown');
  });

  it('kit-only purge, init --no-pool (h5 answer), --root, and clear errors for bad kit input', () => {
    const other = path.join(dir, 'nopool');
    let r = host(['init', '--root', other, '--no-pool']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(`created ${other} (no pool)\n`);
    expect(fs.existsSync(path.join(other, 'pool'))).to.equal(false);
    r = host(['init', '--no-pool']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: .* already has a pool/);
    r = host(['purge']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: host purge needs --provider NAME/);
    r = host(['purge', '--provider', 'good']);
    expect(r.code).to.equal(0);
    expect(fs.existsSync(path.join(root, 'providers/good'))).to.equal(false);
    r = host(['--call-timeout', '-1']);
    expect(r.code).to.equal(2);
    expect(r.stderr.split('\n')).to.have.length(2);
    r = host(['-a', 'install', '--provider', '../../x', '-o', 'json']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: --provider "..\/..\/x" leaves /);
  });
});
