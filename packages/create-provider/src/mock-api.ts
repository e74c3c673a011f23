/**
 * A mock of the small REST API the templates' HTTP backends call (lib/api.sh, lib/HttpApi.php,
 * lib/http_api.py, lib/HttpApi.pm). A hoster rewrites those adapters for its real API; until
 * then, and in the kit's tests, this server stands in for it. Loopback only.
 *
 * The REST shape (JSON in, JSON out):
 *
 *   every request     Authorization: Bearer <token>          401 {"error": "..."} otherwise
 *   GET  /plans       200 {"plans": [{"id": "1", "name": "VPS 1 CPU / 1 GB RAM"}, ...]}
 *   POST /orders      body {"plan": "1"}                     (Content-Type: application/json)
 *                     201 {"id": "ord-7f3a9c...", "plan": "1", "status": "pending"}
 *                     400 body is not a JSON object / 422 no "plan" / 404 unknown plan
 *   GET  /orders/ID   200 {"id", "plan", "status": "pending" | "provisioning" | "active" | "failed",
 *                          "created_at"; when active "ip" (a documentation address) and
 *                          "root_password"; when failed "error"}
 *                     404 {"error": "no such order"}
 *   anything else     404 / 405 {"error": "..."}
 *
 * Faults, to rehearse by hand what the conformance runner's fault proxy plays (API-* rules):
 * `fault` refused (the connection is reset), blackhole (never answered), slow (503 after
 * `slowMs`), 503 (at once), on a share `failureRate` of the requests (default all of them);
 * `latencyMs` delays every other answer.
 *
 * An order is `pending` for the first tenth of `delayMs`, `provisioning` until `delayMs` has
 * passed, then `active` (or `failed` for a plan listed in `failPlans`). Address and password
 * are chosen when the order is created, so every later answer is the same.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { KitError } from '@bx-provider-kit/schemas';

export interface MockPlan {
  id: string;
  name: string;
}

export interface MockApiOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Only loopback addresses are accepted: 127.0.0.1 (default), ::1 or localhost. */
  host?: string;
  /** Bearer token every request must carry (default `test-token`). */
  token?: string;
  /** Milliseconds from order to `active` (default 1500). */
  delayMs?: number;
  /** Plans served by GET /plans (default: three VPS plans with ids 1, 2, 3). */
  plans?: MockPlan[];
  /** Plan ids whose orders end `failed` instead of `active`. */
  failPlans?: string[];
  /** Play this fault on a share `failureRate` of the requests (default every request). */
  fault?: MockFault;
  /** Share of the requests that get the fault, 0..1 (default 1 with `fault`; alone: 503). */
  failureRate?: number;
  /** Milliseconds every answer waits (default 0). */
  latencyMs?: number;
  /** How long `slow` waits before its 503 (default 5000). */
  slowMs?: number;
  /** Called once per request, after the answer (for logs). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}

export const MOCK_FAULTS = ['refused', 'blackhole', 'slow', '503'] as const;
export type MockFault = (typeof MOCK_FAULTS)[number];

export interface MockOrder {
  id: string;
  plan: string;
  createdAt: number;
  ip: string;
  rootPassword: string;
  fail: boolean;
}

export interface MockApi {
  /** Base URL, e.g. http://127.0.0.1:38211 (no trailing slash). */
  url: string;
  port: number;
  token: string;
  /** Orders received so far, by id. */
  orders: Map<string, MockOrder>;
  /** Number of requests served. */
  requests(): number;
  close(): Promise<void>;
}

export const DEFAULT_MOCK_PLANS: MockPlan[] = [
  { id: '1', name: 'VPS 1 CPU / 1 GB RAM / 20 GB SSD' },
  { id: '2', name: 'VPS 2 CPU / 4 GB RAM / 60 GB SSD' },
  { id: '3', name: 'VPS 4 CPU / 8 GB RAM / 120 GB SSD' },
];

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_BODY = 64 * 1024;
const RANGES = ['192.0.2.', '198.51.100.', '203.0.113.'];

function randomPassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return Array.from(randomBytes(20), (b) => alphabet[b % alphabet.length]).join('');
}

export function mockOrderState(order: MockOrder, delayMs: number, now = Date.now()): 'pending' | 'provisioning' | 'active' | 'failed' {
  const age = now - order.createdAt;
  if (age >= delayMs) return order.fail ? 'failed' : 'active';
  return age < delayMs / 10 ? 'pending' : 'provisioning';
}

export async function startMockApi(options: MockApiOptions = {}): Promise<MockApi> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new KitError(`the mock API listens on loopback only (127.0.0.1, ::1 or localhost), not "${host}"`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KitError(`--port must be 0..65535, not ${port}`);
  const token = options.token ?? 'test-token';
  if (!token || /[\s"\\]/.test(token)) throw new KitError('the mock API token must be non-empty, without spaces, quotes or backslashes');
  const delayMs = options.delayMs ?? 1500;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new KitError(`the order delay must be >= 0 ms, not ${delayMs}`);
  const plans = options.plans ?? DEFAULT_MOCK_PLANS;
  const failureRate = options.failureRate ?? (options.fault ? 1 : 0);
  if (!Number.isFinite(failureRate) || failureRate < 0 || failureRate > 1) throw new KitError(`the failure rate must be between 0 and 1, not ${failureRate}`);
  const fault: MockFault | undefined = options.fault ?? (failureRate > 0 ? '503' : undefined);
  if (fault && !MOCK_FAULTS.includes(fault)) throw new KitError(`--fault must be one of ${MOCK_FAULTS.join(', ')}, not "${fault}"`);
  const latencyMs = options.latencyMs ?? 0;
  const slowMs = options.slowMs ?? 5000;
  for (const [k, v] of [['latency', latencyMs], ['slow delay', slowMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new KitError(`the ${k} must be >= 0 ms, not ${v}`);
  }
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const failPlans = new Set(options.failPlans ?? []);
  const orders = new Map<string, MockOrder>();
  let served = 0;

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      served++;
      options.onRequest?.({ method: req.method ?? '?', path, status, ms: Date.now() - started });
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    if (fault && Math.random() < failureRate) {
      const log = (status: number) => options.onRequest?.({ method: req.method ?? '?', path, status, ms: Date.now() - started });
      if (fault === 'refused') {
        log(0);
        req.socket.resetAndDestroy();
        return;
      }
      if (fault === 'blackhole') return log(0); // never answered; close() drops the connection
      req.resume();
      const unavailable = () => send(503, { error: `service unavailable (mock-api --fault ${fault})` });
      if (fault === 'slow') later(slowMs, unavailable);
      else unavailable();
      return;
    }
    req.on('end', () => (latencyMs ? later(latencyMs, answer) : answer()));
    const answer = () => {
      if (tooBig) return send(413, { error: `request body over ${MAX_BODY} bytes` });
      if (req.headers.authorization !== `Bearer ${token}`) {
        return send(401, { error: req.headers.authorization ? 'invalid API token' : 'missing Authorization: Bearer token' });
      }
      if (path === '/plans') {
        if (req.method !== 'GET') return send(405, { error: 'use GET /plans' });
        return send(200, { plans });
      }
      if (path === '/orders') {
        if (req.method !== 'POST') return send(405, { error: 'use POST /orders' });
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(400, { error: 'the body must be a JSON object such as {"plan": "1"}' });
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          return send(400, { error: 'the body must be a JSON object such as {"plan": "1"}' });
        }
        const plan = (body as Record<string, unknown>).plan;
        if (typeof plan !== 'string' && typeof plan !== 'number') return send(422, { error: 'missing "plan"' });
        const planId = String(plan);
        if (!plans.some((p) => p.id === planId)) return send(404, { error: `unknown plan ${planId}` });
        let id: string;
        do id = `ord-${randomBytes(6).toString('hex')}`;
        while (orders.has(id));
        const b = randomBytes(2);
        const order: MockOrder = {
          id,
          plan: planId,
          createdAt: Date.now(),
          ip: `${RANGES[b[0] % RANGES.length]}${1 + (b[1] % 254)}`,
          rootPassword: randomPassword(),
          fail: failPlans.has(planId),
        };
        orders.set(id, order);
        return send(201, { id, plan: planId, status: mockOrderState(order, delayMs) });
      }
      const m = /^\/orders\/([^/]+)$/.exec(path);
      if (m) {
        if (req.method !== 'GET') return send(405, { error: 'use GET /orders/ID' });
        let id: string;
        try {
          id = decodeURIComponent(m[1]);
        } catch {
          return send(404, { error: 'no such order' });
        }
        const order = orders.get(id);
        if (!order) return send(404, { error: 'no such order' });
        const status = mockOrderState(order, delayMs);
        const answer: Record<string, unknown> = {
          id: order.id,
          plan: order.plan,
          status,
          created_at: new Date(order.createdAt).toISOString(),
        };
        if (status === 'active') Object.assign(answer, { ip: order.ip, root_password: order.rootPassword });
        if (status === 'failed') answer.error = `no capacity left for plan ${order.plan}`;
        return send(200, answer);
      }
      return send(404, { error: `no such endpoint: ${req.method} ${path} (try GET /plans, POST /orders, GET /orders/ID)` });
    };
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new KitError(`port ${port} on ${host} is already in use: pick another with --port`) : e),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostInUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${hostInUrl}:${addr.port}`,
    port: addr.port,
    token,
    orders,
    requests: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
