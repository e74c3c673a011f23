import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bx-provider-kit schema', () => {
  it('lists the kinds with their titles', () => {
    const r = cli(['schema']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trimEnd().split('\n');
    const kinds = lines.map((l) => l.split(/\s+/)[0]);
    expect(kinds).to.include.members(['plugin/help', 'plugin/configs', 'plugin/order', 'plugin/order_status', 'plugin/error', 'host/list', 'host/orders_list', 'host/error']);
    expect(lines.find((l) => l.startsWith('plugin/help'))).to.match(/^plugin\/help\s+Plugin answer to `help`$/);
    expect(r.stdout).not.to.contain('\u001b['); // NO_COLOR
  });

  it('--json lists kinds, titles and $ids', () => {
    const r = cli(['schema', '--json']);
    expect(r.code).to.equal(0);
    const rows = JSON.parse(r.stdout) as { kind: string; title: string; id: string }[];
    expect(rows.find((x) => x.kind === 'host/orders_list')).to.deep.include({ id: 'https://bx-provider-kit.dev/schemas/host/orders_list.schema.json' });
  });

  it('prints the schema of a kind as JSON', () => {
    const r = cli(['schema', 'plugin/order']);
    expect(r.code).to.equal(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s.$id).to.equal('https://bx-provider-kit.dev/schemas/plugin/order.schema.json');
    expect(s.required).to.deep.equal(['task_id']);
  });

  it('unknown kind: exit 2, one line listing the kinds', () => {
    const r = cli(['schema', 'plugin/orders']);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/unknown document kind "plugin\/orders": use one of .*plugin\/order,/);
  });

  it('--help shows examples', () => {
    const r = cli(['schema', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('Examples:');
  });
});
