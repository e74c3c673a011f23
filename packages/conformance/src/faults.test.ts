/**
 * The fault proxy (issue 13) with a real client (curl, which reads the proxy variables), and a
 * whole run of the API and CONC probes on a real plugin: every port closed and no process left
 * at the end, also when the run is interrupted by SIGINT in the middle of the API probes.
 */
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaultProxy, proxyEnv } from './faults.js';
import { runConformance } from './runner.js';

const CORPUS = fileURLToPath(new URL('../../../conformance/plugins/', import.meta.url));

function curl(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile('curl', ['-q', '-sS', '-w', '\n%{http_code}', ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 20_000 }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: String(stdout), ms: Date.now() - t0 });
    });
  });
}

async function upstream(): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
    res.end(`{"path": ${JSON.stringify(req.url)}}`);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      }),
  };
}

const refusedNow = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });

describe('the fault proxy (issue 13)', function () {
  this.timeout(60_000);
  let api: Awaited<ReturnType<typeof upstream>>;
  before(async () => {
    api = await upstream();
  });
  after(async () => {
    await api.close();
  });

  it('sets every proxy variable a client may read, and clears the bypass lists', () => {
    const e = proxyEnv('http://127.0.0.1:1');
    for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'all_proxy']) expect(e[k], k).to.equal('http://127.0.0.1:1');
    expect(e.no_proxy).to.equal('');
    expect(e.NO_PROXY).to.equal('');
  });

  it('refused: the connection is reset; curl sees it at once and the proxy counts it', async () => {
    const p = await FaultProxy.start('refused');
    try {
      const r = await curl(['-m', '5', `${api.url}/plans`], p.env());
      expect(r.code).to.not.equal(0);
      expect(r.ms).to.be.below(4000);
      expect(p.connections).to.equal(1);
    } finally {
      await p.close();
    }
  });

  it('blackhole: accepted, never answered (curl gives up at its own limit)', async () => {
    const p = await FaultProxy.start('blackhole');
    try {
      const r = await curl(['-m', '1', `${api.url}/plans`], p.env());
      expect(r.code).to.equal(28); // curl: operation timed out
      expect(p.connections).to.equal(1);
    } finally {
      await p.close();
    }
  });

  it('slow: 503 after the delay', async () => {
    const p = await FaultProxy.start('slow', { slowMs: 400 });
    try {
      const r = await curl(['-m', '10', `${api.url}/plans`], p.env());
      expect(r.out.trim().split('\n').pop()).to.equal('503');
      expect(r.ms).to.be.at.least(350);
    } finally {
      await p.close();
    }
  });

  it('503: plain HTTP gets an HTML 503 page; a CONNECT (https) gets 502', async () => {
    const p = await FaultProxy.start('503');
    try {
      const r = await curl(['-m', '5', `${api.url}/plans`], p.env());
      expect(r.out).to.contain('<html>');
      expect(r.out.trim().split('\n').pop()).to.equal('503');
      const s = await curl(['-m', '5', 'https://127.0.0.1:9/plans'], p.env());
      expect(s.code).to.not.equal(0); // CONNECT tunnel failed, response 502
      expect(p.requests).to.equal(2);
    } finally {
      await p.close();
    }
  });

  it('pass: forwards to a loopback target; refuses any other with 502 (no network, ever)', async () => {
    const p = await FaultProxy.start('pass');
    try {
      const r = await curl(['-m', '5', `${api.url}/orders/7`], p.env());
      expect(r.out).to.contain('"/orders/7"');
      expect(r.out.trim().split('\n').pop()).to.equal('200');
      const far = await curl(['-m', '5', 'http://192.0.2.1/plans'], p.env());
      expect(far.out.trim().split('\n').pop()).to.equal('502');
      expect([...p.refusedTargets]).to.deep.equal(['192.0.2.1']);
    } finally {
      await p.close();
    }
  });

  it('close() frees the port and drops the black-holed connections', async () => {
    const p = await FaultProxy.start('blackhole');
    const pending = curl(['-m', '20', `${api.url}/plans`], p.env());
    for (let i = 0; i < 100 && !p.connections; i++) await new Promise((r) => setTimeout(r, 20));
    await p.close();
    const r = await pending;
    expect(r.code).to.not.equal(0);
    expect(r.ms).to.be.below(15_000);
    expect(await refusedNow(p.port)).to.equal(true);
  });
});

/** Processes whose environment carries `needle`. */
function withEnv(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(needle)) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

describe('the API and CONC probes on a real plugin leave nothing behind (issue 13)', function () {
  this.timeout(120_000);
  let tmp = '';
  let api: Awaited<ReturnType<typeof upstream>>;
  before(async () => {
    api = await upstream();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bxk-faults-'));
  });
  after(async () => {
    await api.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('a whole run: API-* and CONC-* judged, no port left open, no process left', async () => {
    const dir = path.join(tmp, 'api-good');
    await fs.cp(path.join(CORPUS, 'api-good'), dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}state`) });
    const mark = `bxk-faults-${process.pid}-${Date.now()}`;
    const before = servers();
    // a generous soft budget: this test is about what is left behind, not about the plugin's speed on a busy machine
    const r = await runConformance(dir, { allowOrder: true, only: ['API', 'CONC'], slowMs: 8000, env: { BXK_CORPUS_API: api.url, BXK_TEST_MARK: mark } });
    const v = Object.fromEntries(r.rules.map((x) => [x.id, x.status]));
    expect(Object.values(v).every((s) => s === 'passed'), JSON.stringify(r.rules.filter((x) => x.status !== 'passed').map((x) => `${x.id}: ${x.message}`), null, 1)).to.equal(true);
    expect(servers()).to.equal(before);
    expect(withEnv(mark)).to.deep.equal([]);
  });

  it('SIGINT in the middle of the API probes: the run dies of SIGINT, no process and no temp folder left', async () => {
    const dir = path.join(tmp, 'api-sigint');
    await fs.cp(path.join(CORPUS, 'api-no-timeout'), dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}state`) });
    await fs.writeFile(path.join(dir, 'provider.json'), JSON.stringify({ name: 'api-no-timeout', version: '1.0.0', description: 'x' }));
    const tmpdir = path.join(tmp, 'sigint-tmp');
    await fs.mkdir(tmpdir);
    const mark = `bxk-sigint-${process.pid}-${Date.now()}`;
    const RUNNER = new URL('./runner.js', import.meta.url).href;
    const code = `import(${JSON.stringify(RUNNER)}).then((m) => m.runConformance(${JSON.stringify(dir)}, { allowOrder: true, only: ['API'], env: { BXK_CORPUS_API: ${JSON.stringify(api.url)}, BXK_TEST_MARK: ${JSON.stringify(mark)} }, onProgress: (l) => console.log(l) })).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(70); })`;
    const child = spawn(process.execPath, ['-e', code], { env: { ...process.env, TMPDIR: tmpdir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const done = new Promise<{ code: number | null; signal: string | null }>((res) => child.on('exit', (c, s) => res({ code: c, signal: s })));
    // Wait (no fixed sleep) until a black-holed call is under way, then interrupt.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const t = setTimeout(() => reject(new Error(`the API probes never started:\n${seen}`)), 60_000);
      child.stdout!.on('data', (b: Buffer) => {
        seen += b.toString();
        if (/API faults/.test(seen) && withEnv(mark).length) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 300)); // the probes' curls are waiting on the black hole
    expect(withEnv(mark).length, 'plugin processes are running').to.be.above(0);
    child.kill('SIGINT');
    const end = await done;
    expect(end.signal).to.equal('SIGINT');
    for (let i = 0; i < 40 && withEnv(mark).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(withEnv(mark)).to.deep.equal([]);
    expect(await fs.readdir(tmpdir)).to.deep.equal([]);
  });
});
