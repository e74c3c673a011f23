/**
 * The fault proxy (issue 13): an HTTP proxy on 127.0.0.1 (an ephemeral port, owned by one run
 * and closed at its end) that the API probes put in front of a plugin's API through the proxy
 * variables (http_proxy, https_proxy, HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, all_proxy; no_proxy
 * and NO_PROXY cleared). It never touches the network: it answers by itself, or in `pass` mode
 * forwards to a loopback target only.
 *
 * Modes:
 *   refused    the connection is reset as soon as it is accepted
 *   blackhole  accepted, never answered (the plugin's own timeouts are tested)
 *   slow       answers 503 after `slowMs` (longer than the soft budget); a CONNECT gets 502
 *   503        plain HTTP answered 503 with an HTML page (a load balancer's); a CONNECT gets 502
 *   pass       the API is back: forwards to a loopback target (127.0.0.0/8, ::1, localhost);
 *              any other target gets 502 and is recorded in `refusedTargets`
 *
 * `connections` counts the TCP connections that reached the proxy: the sign that the plugin
 * honours the proxy variables at all (a refused or black-holed client never sends a request).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'refused' | 'blackhole' | 'slow' | '503' | 'pass';

export const FAULT_MODES: readonly FaultMode[] = ['refused', 'blackhole', 'slow', '503'];

/** The variables a client may read for its proxy, all pointing at `url`, and the bypass lists cleared. */
export function proxyEnv(url: string): Record<string, string> {
  return {
    http_proxy: url,
    https_proxy: url,
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    ALL_PROXY: url,
    all_proxy: url,
    no_proxy: '',
    NO_PROXY: '',
  };
}

const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
};

const HTML_503 =
  '<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>bx-provider-kit fault proxy</p></body></html>\n';

export class FaultProxy {
  connections = 0;
  /** Requests (parsed, or CONNECT) that reached the proxy. */
  requests = 0;
  /** Non-loopback targets refused in `pass` mode (no network, ever). */
  readonly refusedTargets = new Set<string>();
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  url = '';

  private constructor(
    public mode: FaultMode,
    private readonly slowMs: number,
    private readonly server: http.Server,
  ) {}

  static async start(mode: FaultMode, opts: { slowMs?: number } = {}): Promise<FaultProxy> {
    const server = http.createServer();
    const p = new FaultProxy(mode, opts.slowMs ?? 3000, server);
    server.on('connection', (s: net.Socket) => p.onConnection(s));
    server.on('request', (req, res) => p.onRequest(req, res));
    server.on('connect', (req: http.IncomingMessage, sock: net.Socket, head: Buffer) => p.onConnect(req, sock, head));
    server.on('clientError', (_e, sock: net.Socket) => sock.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return p;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  env(): Record<string, string> {
    return proxyEnv(this.url);
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private onConnection(s: net.Socket): void {
    this.connections++;
    this.track(s);
    if (this.mode === 'refused') s.resetAndDestroy();
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++;
    req.resume();
    const fail = (code: number, body: string, type = 'text/html') => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
    };
    switch (this.mode) {
      case 'blackhole':
      case 'refused':
        return; // never answered (refused never gets here)
      case 'slow':
        return this.later(this.slowMs, () => fail(503, HTML_503));
      case '503':
        return fail(503, HTML_503);
      case 'pass': {
        let target: URL;
        try {
          target = new URL(req.url ?? '');
        } catch {
          return fail(400, 'the fault proxy needs an absolute URL (a proxy request)\n', 'text/plain');
        }
        if (target.protocol !== 'http:' || !isLoopback(target.hostname)) {
          this.refusedTargets.add(target.host);
          return fail(502, `the fault proxy forwards to loopback targets only (no network): ${target.host}\n`, 'text/plain');
        }
        const headers = { ...req.headers };
        delete headers['proxy-connection'];
        delete headers['proxy-authorization'];
        headers.connection = 'close';
        const up = http.request(
          { host: target.hostname.replace(/^\[|\]$/g, ''), port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers },
          (ur) => {
            res.writeHead(ur.statusCode ?? 502, ur.headers);
            ur.pipe(res);
          },
        );
        up.on('error', (e) => fail(502, `the fault proxy could not reach ${target.host}: ${e.message}\n`, 'text/plain'));
        req.pipe(up);
        return;
      }
    }
  }

  private onConnect(req: http.IncomingMessage, sock: net.Socket, head: Buffer): void {
    this.requests++;
    this.track(sock);
    const refuse = (): void => void sock.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    switch (this.mode) {
      case 'blackhole':
      case 'refused':
        return;
      case 'slow':
        return this.later(this.slowMs, () => void refuse());
      case '503':
        refuse();
        return;
      case 'pass': {
        const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? '');
        if (!m || !isLoopback(m[1]!)) {
          this.refusedTargets.add(req.url ?? '?');
          refuse();
          return;
        }
        const up = net.connect(Number(m[2]), m[1]!, () => {
          sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length) up.write(head);
          up.pipe(sock);
          sock.pipe(up);
        });
        this.track(up);
        up.on('error', () => refuse());
        return;
      }
    }
  }

  /** Closes the port and every connection (black-holed ones included). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
