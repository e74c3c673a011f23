import { expect } from 'chai';
import { mkdtemp, rm, readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kit } from '../cli.test.js';

describe('bx-provider-kit demo (npm start)', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'bxk-demo-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('walks the whole journey and ends with a finished order added to the pool', async () => {
    const dir = path.join(tmp, 'run1');
    const r = kit(['demo', '--dir', dir]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/verdict\s+\d+ passed, 0 failed, 0 warned/);
    expect(r.stdout).to.match(/sha256\s+[0-9a-f]{64}/);
    const m = /"server":"([0-9.]+)"/.exec(r.stdout);
    expect(m, r.stdout).not.to.equal(null);
    expect(r.stdout).to.contain(`{"message":"Server=${m![1]} is added to the pool"}`);
    expect(r.stdout).to.contain('"status":"complete"');
    const pool = await readFile(path.join(dir, 'host', 'pool', 'hosts.json'), 'utf8');
    expect(pool).to.contain(m![1]);
    for (const n of [1, 2, 3, 4, 5, 6, 7]) expect(r.stderr).to.contain(`[${n}/7]`);
  });

  it('runs twice (a new temp folder each time)', async () => {
    const a = kit(['demo']);
    const b = kit(['demo']);
    expect(a.code, a.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);
    const dirOf = (s: string) => /plugin\s+(\S+)/.exec(s)![1];
    expect(dirOf(a.stdout)).not.to.equal(dirOf(b.stdout));
    await Promise.all([a.stdout, b.stdout].map((s) => rm(path.dirname(dirOf(s)), { recursive: true, force: true })));
  });

  it('refuses a non-empty --dir without touching it', async () => {
    const dir = path.join(tmp, 'busy');
    await mkdir(dir);
    await writeFile(path.join(dir, 'keep.txt'), 'mine');
    const r = kit(['demo', '--dir', dir]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: .* is not empty/);
    expect(await readFile(path.join(dir, 'keep.txt'), 'utf8')).to.equal('mine');
  });
});
