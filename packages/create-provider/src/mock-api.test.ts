import { expect } from 'chai';
import { KitError } from '@bx-provider-kit/schemas';
import { startMockApi, mockOrderState, DEFAULT_MOCK_PLANS, type MockApi, type MockOrder } from './mock-api.js';
import { DOC_RANGES, cli, sleep } from './testutil.js';

describe('mock REST API (startMockApi)', function () {
  this.timeout(30_000);
  let api: MockApi;
  const auth = { Authorization: 'Bearer t0ken' };
  const get = (p: string, headers: Record<string, string> = auth) => fetch(`${api.url}${p}`, { headers });
  const post = (p: string, body: string, headers: Record<string, string> = auth) =>
    fetch(`${api.url}${p}`, { method: 'POST', body, headers: { ...headers, 'Content-Type': 'application/json' } });

  before(async () => {
    api = await startMockApi({ token: 't0ken', delayMs: 400, failPlans: ['2'] });
  });
  after(async () => {
    await api?.close();
  });

  it('listens on 127.0.0.1 only and refuses any other address', async () => {
    expect(api.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      let err: unknown;
      try {
        await startMockApi({ host });
      } catch (e) {
        err = e;
      }
      expect(err, host).to.be.instanceOf(KitError);
      expect((err as Error).message).to.match(/loopback only/);
    }
  });

  it('requires the bearer token', async () => {
    let r = await get('/plans', {});
    expect(r.status).to.equal(401);
    expect(await r.json()).to.deep.equal({ error: 'missing Authorization: Bearer token' });
    r = await get('/plans', { Authorization: 'Bearer nope' });
    expect(r.status).to.equal(401);
    expect(((await r.json()) as { error: string }).error).to.equal('invalid API token');
  });

  it('serves GET /plans', async () => {
    const r = await get('/plans');
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^application\/json/);
    expect(await r.json()).to.deep.equal({ plans: DEFAULT_MOCK_PLANS });
  });

  it('takes POST /orders and walks an order pending -> provisioning -> active with a fixed address and password', async () => {
    const r = await post('/orders', '{"plan":"1"}');
    expect(r.status).to.equal(201);
    const created = (await r.json()) as { id: string; status: string; plan: string };
    expect(created.id).to.match(/^ord-[0-9a-f]{12}$/);
    expect(created.plan).to.equal('1');
    expect(created.status).to.equal('pending');
    await sleep(100);
    let st = (await (await get(`/orders/${created.id}`)).json()) as Record<string, unknown>;
    expect(st.status).to.equal('provisioning');
    expect(st).not.to.have.property('ip');
    await sleep(400);
    st = (await (await get(`/orders/${created.id}`)).json()) as Record<string, unknown>;
    expect(st.status).to.equal('active');
    expect(DOC_RANGES.some((re) => re.test(String(st.ip)))).to.equal(true);
    expect(st.root_password).to.be.a('string').with.length(20);
    const again = (await (await get(`/orders/${created.id}`)).json()) as Record<string, unknown>;
    expect(again).to.deep.equal(st);
  });

  it('fails orders of a failPlans plan after the delay', async () => {
    const { id } = (await (await post('/orders', '{"plan":"2"}')).json()) as { id: string };
    await sleep(450);
    const st = (await (await get(`/orders/${id}`)).json()) as Record<string, unknown>;
    expect(st).to.include({ status: 'failed', error: 'no capacity left for plan 2' });
    expect(st).not.to.have.property('ip');
  });

  it('answers bad requests with a status and an error text', async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('/orders', 'not json'), 400, /JSON object/],
      [post('/orders', '[1]'), 400, /JSON object/],
      [post('/orders', '{}'), 422, /missing "plan"/],
      [post('/orders', '{"plan":"9"}'), 404, /unknown plan 9/],
      [get('/orders/ord-000000000000'), 404, /no such order/],
      [get('/orders/%E0%A4%A'), 404, /no such order/],
      [get('/orders'), 405, /POST \/orders/],
      [post('/plans', '{}'), 405, /GET \/plans/],
      [get('/nothing'), 404, /no such endpoint/],
      [post('/orders', 'x'.repeat(70_000)), 413, /over/],
    ];
    for (const [pending, status, message] of cases) {
      const r = await pending;
      expect(r.status).to.equal(status);
      expect(((await r.json()) as { error: string }).error).to.match(message);
    }
    expect(api.requests()).to.be.greaterThan(10);
  });

  it('derives order states from the clock (mockOrderState)', () => {
    const o: MockOrder = { id: 'ord-1', plan: '1', createdAt: 1000, ip: '192.0.2.1', rootPassword: 'x', fail: false };
    expect(mockOrderState(o, 1000, 1000)).to.equal('pending');
    expect(mockOrderState(o, 1000, 1099)).to.equal('pending');
    expect(mockOrderState(o, 1000, 1100)).to.equal('provisioning');
    expect(mockOrderState(o, 1000, 1999)).to.equal('provisioning');
    expect(mockOrderState(o, 1000, 2000)).to.equal('active');
    expect(mockOrderState({ ...o, fail: true }, 1000, 2000)).to.equal('failed');
    expect(mockOrderState(o, 0, 1000)).to.equal('active');
  });

  it('refuses a busy port with a one-line error', async () => {
    let err: unknown;
    try {
      await startMockApi({ port: api.port });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(KitError);
    expect((err as Error).message).to.match(/already in use/);
  });
});

describe('bx-provider-kit mock-api', function () {
  this.timeout(30_000);

  it('prints its URL, serves the REST shape and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI_MAIN } = await import('./testutil.js');
    const child = spawn(process.execPath, [CLI_MAIN, 'mock-api', '--port', '0', '--token', 'abc', '--delay-ms', '100'], {
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      for (let i = 0; i < 100 && !out.includes('\n'); i++) await sleep(100);
      const url = out.trim();
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await fetch(`${url}/plans`, { headers: { Authorization: 'Bearer abc' } });
      expect(r.status).to.equal(200);
      for (let i = 0; i < 50 && !err.includes('GET /plans 200'); i++) await sleep(50);
      expect(err).to.include('GET /plans 200');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });

  it('refuses a non-loopback --host with exit 2 and one line', async () => {
    const r = await cli(['mock-api', '--host', '0.0.0.0', '--port', '0'], { timeoutMs: 20_000 });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^bx-provider-kit: the mock API listens on loopback only.*\n$/);
  });

  it('has --help with examples and the REST shape', async () => {
    const r = await cli(['mock-api', '--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('Examples:').and.include('GET  /plans').and.include('POST /orders');
  });
});
