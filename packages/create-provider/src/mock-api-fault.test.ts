/** mock-api's fault modes (issue 13): what a hoster rehearses by hand, over real sockets. */
import { expect } from 'chai';
import http from 'node:http';
import { startMockApi, type MockApi, type MockApiOptions } from './mock-api.js';

function get(api: MockApi, path: string, timeoutMs = 5000): Promise<{ status: number; body: string; ms: number } | { error: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = http.get(`${api.url}${path}`, { headers: { Authorization: `Bearer ${api.token}` }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - t0 }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ error: 'timeout', ms: Date.now() - t0 });
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: Date.now() - t0 }));
  });
}

describe('mock-api --fault, --failure-rate, --latency-ms (issue 13)', function () {
  this.timeout(30_000);
  let api: MockApi | undefined;
  const start = async (o: MockApiOptions) => (api = await startMockApi({ port: 0, ...o }));
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('503: every request answers 503 with a JSON error', async () => {
    const a = await start({ fault: '503' });
    const r = await get(a, '/plans');
    expect(r).to.include({ status: 503 });
    expect(JSON.parse((r as { body: string }).body).error).to.match(/unavailable/);
  });

  it('refused: the connection is reset', async () => {
    const a = await start({ fault: 'refused' });
    const r = await get(a, '/plans');
    expect(r).to.have.property('error').that.matches(/ECONNRESET|socket hang up/);
  });

  it('blackhole: never answered, and close() still returns at once', async () => {
    const a = await start({ fault: 'blackhole' });
    const r = await get(a, '/plans', 600);
    expect(r).to.include({ error: 'timeout' });
    const pending = get(a, '/plans', 20_000);
    const t0 = Date.now();
    await a.close();
    api = undefined;
    expect(Date.now() - t0).to.be.below(3000);
    expect(await pending).to.have.property('error');
  });

  it('slow: 503 after the delay', async () => {
    const a = await start({ fault: 'slow', slowMs: 400 });
    const r = await get(a, '/plans');
    expect(r).to.include({ status: 503 });
    expect(r.ms).to.be.at.least(350);
  });

  it('a failure rate fails some requests and serves the others; a latency delays every answer', async () => {
    const a = await start({ failureRate: 0.5, latencyMs: 50 });
    const rs = await Promise.all(Array.from({ length: 40 }, () => get(a, '/plans')));
    const codes = rs.map((r) => ('status' in r ? r.status : 0));
    expect(codes.filter((c) => c === 503).length).to.be.within(1, 39);
    expect(codes.filter((c) => c === 200).length).to.be.within(1, 39);
    for (const r of rs) if ('status' in r && r.status === 200) expect(r.ms).to.be.at.least(45);
  });

  it('refuses a rate outside 0..1 and an unknown fault', async () => {
    for (const o of [{ failureRate: 2 }, { failureRate: -0.1 }, { fault: 'flaky' as never }]) {
      let err: Error | undefined;
      try {
        await startMockApi({ port: 0, ...o });
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, JSON.stringify(o)).to.match(/failure rate|--fault/);
    }
  });
});
