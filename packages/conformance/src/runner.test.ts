import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { KitError, getSchema } from '@bx-provider-kit/schemas';
import { runConformance, NO_ORDER_REASON } from './runner.js';
import { CONFIG_KEYS, DEFAULTS, parseConfig } from './config.js';
import { conformanceSuite } from './mocha.js';
import type { Report } from './report.js';

const CORPUS = fileURLToPath(new URL('../../../conformance/plugins/', import.meta.url));
const status = (r: Report, id: string) => r.rules.find((x) => x.id === id)?.status;
const rule = (r: Report, id: string) => r.rules.find((x) => x.id === id)!;

async function rejects(p: Promise<unknown>): Promise<KitError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(KitError);
    return e as KitError;
  }
  throw new Error('expected a KitError');
}

describe('conformance.json', () => {
  it('accepts every documented key', () => {
    const c = parseConfig(
      JSON.stringify({ configId: 7, allowOrder: true, env: { A: 'b' }, callTimeoutMs: 500, slowMs: 100, lifecycleTimeoutMs: 1000, pollIntervalMs: 20, skip: [{ rule: 'OUT-STDERR', reason: 'noisy lib' }] }),
      'c.json',
    );
    expect(c).to.deep.include({ configId: '7', allowOrder: true, callTimeoutMs: 500 });
  });

  it('parallel and faults: conformance.json keys with the schema\'s defaults and bounds', () => {
    const c = parseConfig(JSON.stringify({ parallel: 6, faults: ['slow', 'refused'] }), 'c.json');
    expect(c).to.deep.include({ parallel: 6, faults: ['slow', 'refused'] });
    expect(() => parseConfig('{"parallel": 1}', 'c.json')).to.throw(KitError, /c\.json:1: .*parallel/);
    expect(() => parseConfig('{\n"faults": ["flaky"]\n}', 'c.json')).to.throw(KitError, /c\.json:2: .*faults/);
    expect(() => parseConfig('{"faults": []}', 'c.json')).to.throw(KitError, /faults/);
    const schema = getSchema('conformance') as { properties: Record<string, { default?: unknown }> };
    for (const [k, v] of Object.entries(DEFAULTS)) expect(v, k).to.deep.equal(schema.properties[k]!.default);
    expect([...CONFIG_KEYS].sort()).to.deep.equal(Object.keys(schema.properties).sort());
  });

  it('refuses an unknown key, naming its line', () => {
    const text = '{\n  "allowOrder": true,\n\n  "timeout": 5\n}\n';
    expect(() => parseConfig(text, 'x/conformance.json')).to.throw(KitError, /^x\/conformance\.json:4: unknown key "timeout"/);
  });

  it('refuses wrong types and values with the line', () => {
    expect(() => parseConfig('{\n"callTimeoutMs": "5s"\n}', 'c.json')).to.throw(KitError, /c\.json:2: .*callTimeoutMs/);
    expect(() => parseConfig('{"skip": [{"rule": "NOPE-X", "reason": "r"}]}', 'c.json')).to.throw(KitError, /no rule matches "NOPE-X"/);
    expect(() => parseConfig('{"skip": [{"rule": "OUT"}]}', 'c.json')).to.throw(KitError);
    expect(() => parseConfig('{"allowOrder": tru}', 'c.json')).to.throw(KitError, /c\.json:1: not valid JSON/);
    expect(() => parseConfig('[]', 'c.json')).to.throw(KitError, /JSON object/);
  });
});

describe('runConformance', function () {
  this.timeout(120_000);
  let tmp = '';
  const copy = async (name: string, as = name) => {
    const dst = path.join(tmp, as);
    await fs.cp(path.join(CORPUS, name), dst, { recursive: true, filter: (p) => !p.split(path.sep).includes('state') });
    return dst;
  };

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-'));
  });
  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('refuses an unreadable target with a one-line KitError (exit 2)', async () => {
    const e1 = await rejects(runConformance(path.join(tmp, 'nope')));
    expect(e1.exitCode).to.equal(2);
    expect(e1.message).to.match(/no such file or folder/);
    await fs.mkdir(path.join(tmp, 'empty'));
    expect((await rejects(runConformance(path.join(tmp, 'empty')))).message).to.match(/no plugin found/);
    await fs.writeFile(path.join(tmp, 'notes.txt'), 'hi');
    expect((await rejects(runConformance(path.join(tmp, 'notes.txt')))).message).to.match(/not executable and not an archive/);
    expect((await rejects(runConformance(path.join(CORPUS, 'good-bash'), { only: ['NOPE'] }))).message).to.match(/--only NOPE/);
  });

  it('conformance.json parallel and faults shape the CONC-* and API-* probes; options win over the file', async () => {
    const dir = await copy('good-bash', 'par');
    await fs.writeFile(path.join(dir, 'conformance.json'), JSON.stringify({ parallel: 3, faults: ['refused'] }));
    const r = await runConformance(dir, { only: ['CONC-REPEAT', 'API-HELP'] });
    expect(r.settings).to.deep.include({ parallel: 3, faults: ['refused'] });
    expect(r.calls.filter((c) => /^help \(3 at once, \d\)$/.test(c.id)).length).to.equal(3);
    const o = await runConformance(dir, { only: ['CONC-REPEAT'], parallel: 2 });
    expect(o.settings.parallel).to.equal(2);
    expect(o.calls.filter((c) => /^help \(2 at once, \d\)$/.test(c.id)).length).to.equal(2);
  });

  it('without ordering allowed, skips the order rules and says why; never calls order', async () => {
    const dir = await copy('good-bash', 'no-order');
    const cfg = path.join(tmp, 'no-order.json');
    await fs.writeFile(cfg, JSON.stringify({ callTimeoutMs: 5000 }));
    const r = await runConformance(dir, { configFile: cfg });
    for (const id of ['ORD-TASK-ID', 'ORD-TASK-UNIQUE', 'STAT-SCHEMA', 'LIFE-REACHES-END', 'HOST-ORDER', 'HOST-ORDER-TO-HOST']) {
      expect(status(r, id), id).to.equal('skipped');
      expect(rule(r, id).message, id).to.match(/ordering is not allowed/);
    }
    expect(rule(r, 'ORD-TASK-ID').message).to.equal(NO_ORDER_REASON);
    expect(status(r, 'ERR-BAD-ARGS')).to.equal('passed');
    expect(rule(r, 'ERR-BAD-ARGS').message).to.match(/order probes were not run/);
    expect(r.calls.some((c) => c.argv[1] === 'order')).to.equal(false);
    expect(r.ok).to.equal(true);
    await fs.access(path.join(dir, 'state')).then(
      () => expect.fail('the plugin ordered'),
      () => undefined,
    );
  });

  it('--only judges only the selected rules; --skip and conformance.json skip report skipped with the reason', async () => {
    const dir = await copy('out-stderr', 'selected');
    const only = await runConformance(dir, { only: ['OUT', 'HELP-STATUS'] });
    expect(only.rules.map((x) => x.id)).to.deep.equal(['OUT-EMPTY', 'OUT-JSON', 'OUT-BOM', 'OUT-OBJECT', 'OUT-UTF8', 'OUT-SIZE', 'OUT-NEWLINE', 'OUT-STDERR', 'HELP-STATUS']);
    expect(status(only, 'OUT-STDERR')).to.equal('warned');
    const cfg = JSON.parse(await fs.readFile(path.join(dir, 'conformance.json'), 'utf8'));
    cfg.skip = [{ rule: 'OUT-STDERR', reason: 'the vendor SDK prints a notice' }];
    await fs.writeFile(path.join(dir, 'conformance.json'), JSON.stringify(cfg));
    const skipped = await runConformance(dir, { only: ['OUT'], skip: ['OUT-NEWLINE'] });
    expect(rule(skipped, 'OUT-STDERR').status).to.equal('skipped');
    expect(rule(skipped, 'OUT-STDERR').message).to.equal('skipped by conformance.json: the vendor SDK prints a notice');
    expect(rule(skipped, 'OUT-NEWLINE').message).to.equal('skipped with --skip');
    expect(skipped.summary.warned).to.equal(0);
  });

  it('--bail stops after the first failing phase and marks the rest not reached', async () => {
    const dir = await copy('out-debug-line', 'bail');
    const r = await runConformance(dir, { bail: true });
    expect(r.bailed).to.equal(true);
    expect(status(r, 'OUT-JSON')).to.equal('failed');
    expect(status(r, 'LIFE-REACHES-END')).to.equal('skipped');
    expect(rule(r, 'HOST-LIST').message).to.match(/not reached: --bail/);
    expect(r.calls.some((c) => c.argv[1] === 'order' && c.argv[2] === '1')).to.equal(false);
  });

  it('tests a bare executable (--name), deriving the plugin folder from bin/', async () => {
    const dir = await copy('good-python', 'exe');
    const r = await runConformance(path.join(dir, 'bin', 'good-python'), { name: 'good-python' });
    expect(r.target.kind).to.equal('executable');
    expect(status(r, 'PKG-LAYOUT')).to.equal('passed');
    expect(status(r, 'ARCH-SUFFIX')).to.equal('skipped');
    expect(r.summary.failed).to.equal(0);
  });

  it('tests a .zip archive through a real install, and a .tar.bz2 despite ARCH-SUFFIX', async () => {
    const dir = await copy('good-bash', 'zipsrc');
    const zipFile = path.join(tmp, 'good-bash-v1.0.0.zip');
    execFileSync('zip', ['-qr', zipFile, 'bin', 'etc', 'provider.json'], { cwd: dir });
    const z = await runConformance(zipFile, { configFile: path.join(dir, 'conformance.json') });
    expect(z.target.kind).to.equal('archive');
    expect(z.target.name).to.equal('good-bash');
    expect(status(z, 'ARCH-ZIP-MODES')).to.equal('passed');
    expect(status(z, 'HOST-INSTALL')).to.equal('passed');
    expect(z.rules.filter((x) => x.status === 'failed').map((x) => x.id)).to.deep.equal([]);

    const bz = path.join(tmp, 'good-bash-v1.0.0.tar.bz2');
    execFileSync('tar', ['-cjf', bz, 'bin', 'etc', 'provider.json'], { cwd: dir });
    const b = await runConformance(bz, { configFile: path.join(dir, 'conformance.json') });
    expect(status(b, 'ARCH-SUFFIX')).to.equal('failed');
    expect(status(b, 'HOST-INSTALL')).to.equal('failed');
    // The plugin itself was still run (from the runner's own safe unpacking).
    expect(status(b, 'HELP-SCHEMA')).to.equal('passed');
    expect(status(b, 'LIFE-REACHES-END')).to.equal('passed');
  });

  it('never unpacks a hostile archive outside its folder; its ARCH rule fails and the plugin is tested from the safe entries', async () => {
    const dir = path.join(tmp, 'evil-src');
    await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
    await fs.writeFile(path.join(dir, 'bin', 'evil'), '#!/bin/bash\necho "{}"\n', { mode: 0o755 });
    await fs.writeFile(path.join(tmp, 'escape.txt'), 'original\n');
    const file = path.join(tmp, 'evil-v1.0.0.tar.gz');
    // node-tar strips ".." unless told not to: write the hostile entry on purpose.
    await tar.c({ gzip: true, file, cwd: dir, portable: true, preservePaths: true }, ['bin/evil', '../escape.txt']);
    const r = await runConformance(file);
    expect(status(r, 'ARCH-TRAVERSAL')).to.equal('failed');
    expect(status(r, 'HOST-INSTALL')).to.equal('failed');
    // The plugin itself is still tested, from the archive's safe entries only.
    expect(rule(r, 'PKG-LAYOUT').message).to.match(/safe entries only .*ARCH-TRAVERSAL/);
    expect(status(r, 'RUN-CRASH')).to.equal('passed');
    expect(r.calls.length).to.be.above(0);
    expect(await fs.readFile(path.join(tmp, 'escape.txt'), 'utf8')).to.equal('original\n');
  });

  it('reports an archive that wraps the plugin in a folder without running anything', async () => {
    const dir = await copy('good-bash', 'wrapped');
    const file = path.join(tmp, 'wrapped-v1.0.0.tar.gz');
    await tar.c({ gzip: true, file, cwd: tmp, portable: true }, ['wrapped/bin', 'wrapped/etc', 'wrapped/provider.json']);
    const r = await runConformance(file, { configFile: path.join(dir, 'conformance.json') });
    expect(status(r, 'ARCH-LAYOUT')).to.equal('failed');
    expect(status(r, 'HOST-INSTALL')).to.equal('failed');
    expect(r.calls).to.have.length(0);
    expect(rule(r, 'HELP-SCHEMA').message).to.match(/no call was made/);
    expect(status(r, 'RUN-CRASH')).to.equal('skipped');
  });
});

describe('conformanceSuite: failures throw with the findings, skipped rules are pending', function () {
  this.timeout(60_000);
  it('registers one test per rule and reports through mocha', async () => {
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = { describe: g.describe, it: g.it, before: g.before };
    const tests: { title: string; fn: (this: unknown) => void }[] = [];
    let hook: ((this: unknown) => Promise<void>) | undefined;
    g.describe = (_t: string, fn: () => void) => fn();
    g.it = (title: string, fn: (this: unknown) => void) => tests.push({ title, fn });
    g.before = (fn: (this: unknown) => Promise<void>) => (hook = fn);
    try {
      conformanceSuite(path.join(CORPUS, 'help-unknown-option'), { only: ['HELP', 'ORD-TASK-ID'], allowOrder: false, strictWarnings: true });
    } finally {
      Object.assign(g, saved);
    }
    expect(tests.map((t) => t.title.split(':')[0])).to.deep.equal(['HELP-SCHEMA', 'HELP-REQUIRED', 'HELP-UNKNOWN', 'HELP-STATUS', 'HELP-ERROR', 'ORD-TASK-ID']);
    await hook!.call({ timeout: () => undefined });
    const outcome = (t: (typeof tests)[number]) => {
      try {
        t.fn.call({ skip: () => { throw new Error('__skipped__'); } });
        return 'passed';
      } catch (e) {
        return (e as Error).message === '__skipped__' ? 'pending' : `threw: ${(e as Error).message.split('\n')[0]}`;
      }
    };
    const got = Object.fromEntries(tests.map((t) => [t.title.split(':')[0], outcome(t)]));
    expect(got['HELP-SCHEMA']).to.equal('passed');
    expect(got['ORD-TASK-ID']).to.equal('pending');
    expect(got['HELP-UNKNOWN']).to.match(/^threw: HELP-UNKNOWN warned: /); // strictWarnings
  });
});

describe('conformanceSuite (mocha helper)', function () {
  // One `it` per rule; order rules are pending here (ordering not allowed: nothing is written).
  conformanceSuite(path.join(CORPUS, 'good-perl'), { only: ['OUT', 'HELP', 'ORD-TASK-ID'], allowOrder: false, title: 'conformanceSuite on good-perl' });
});
