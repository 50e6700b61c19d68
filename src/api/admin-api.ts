// The admin API (apiListenAddr): the HA health check, /stats in chihaya v1's shape, and the torrent and
// client-whitelist routes chihaya v1 offered. On node:http, not on the tracker's HTTP library: it is not
// a hot path, and load balancers probe with HTTP/1.0 (HAProxy's `option httpchk`) or without a Host
// header, which node:http answers at once. Separate port from the tracker, so Prometheus text and JSON
// never reach the announce port (Quay's validator rejects bodies containing `go_goroutines`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenAddr } from '../config/listen-addr.js';
import type { SwarmControl } from '../dispatch/dispatcher.js';
import { percentDecodeInto } from '../protocol/http/percent.js';
import { bindHost } from '../util/listen.js';
import type { Log } from '../util/log.js';

/** Something that can make the tracker unfit to serve (e.g. an expired JWK set); /check then says 503. */
export type HealthProbe = () => { ok: true } | { ok: false; reason: string };

export interface AdminApiDeps {
  control: SwarmControl;
  whitelist: { allows(id: string): boolean; add(id: string): void; remove(id: string): boolean };
  /** The /stats document (chihaya v1's shape plus ours), rendered for `query` (?flatten, ?pretty). */
  stats: (query: URLSearchParams) => string;
  /** GET /metrics: the Prometheus exposition and its content type. */
  metrics: { render(): Promise<string>; readonly contentType: string };
  health: HealthProbe[];
  log: Log;
  /** api read timeout: a whole request must arrive within it (0 = none). */
  readTimeoutMs: number;
}

/** `:infohash` is 40 hex characters, or the 20 raw bytes URL-escaped (chihaya v1's form). */
export function parseInfoHashParam(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{40}$/.test(text)) return Buffer.from(text, 'hex');
  const out = Buffer.alloc(20);
  return percentDecodeInto(text, 0, text.length, out, 0) === 20 ? out : null;
}

type Answer = { status: number; body: string; json?: boolean; headers?: Record<string, string> };

const text = (status: number, body: string): Answer => ({ status, body });

export class AdminApi {
  private readonly server: Server;

  constructor(private readonly deps: AdminApiDeps) {
    // node:http enforces requestTimeout/headersTimeout only when it sweeps its connections, every 30 s by
    // default: a slow or stalled client would be held up to 30 s past apiReadTimeout. Sweep every second.
    this.server = createServer({
      requestTimeout: deps.readTimeoutMs, headersTimeout: deps.readTimeoutMs || 60_000, connectionsCheckingInterval: 1_000,
    }, (req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  listen(addr: ListenAddr): Promise<number> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => {
        reject(new Error(`apiListenAddr: cannot listen on ${addr.host === '' ? '*' : addr.host}:${addr.port} (${err.message})`));
      };
      this.server.once('error', fail);
      this.server.listen(addr.port, addr.host === '' ? undefined : bindHost(addr.host), () => {
        this.server.off('error', fail);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let a: Answer;
    try {
      a = await this.route(req);
    } catch (err) {
      this.deps.log.info(`api: ${req.method} ${req.url}: ${String(err)}`);
      a = text(500, 'internal error\n');
    }
    const body = req.method === 'HEAD' ? '' : a.body;
    res.writeHead(a.status, {
      'Content-Type': a.json ? 'application/json' : 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(a.body),
      ...a.headers,
    });
    res.end(body);
  }

  private async route(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://api');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    // Prometheus asks for /metrics with GET and no query: anything else is a mistake to say so at
    // once (nothing is logged: a misconfigured scraper would fill the log).
    if (path === '/metrics') return this.metrics(method, req.url ?? '');
    // HAProxy's default `option httpchk` probes with `OPTIONS / HTTP/1.0`: answer it with /check's
    // verdict, so even a default health check takes an unfit instance out of service.
    if (method === 'OPTIONS') return { ...this.check(), headers: { Allow: 'GET, HEAD, PUT, DELETE, OPTIONS' } };
    if (path === '/check') return method === 'GET' || method === 'HEAD' ? this.check() : notAllowed('GET, HEAD');
    if (path === '/stats') {
      return method === 'GET' || method === 'HEAD' ? { status: 200, body: this.deps.stats(url.searchParams), json: true } : notAllowed('GET, HEAD');
    }
    const torrent = /^\/torrents\/([^/]+)$/.exec(path);
    if (torrent !== null) return this.torrent(method, torrent[1]!);
    const client = /^\/clients\/([^/]+)$/.exec(path);
    if (client !== null) return this.client(method, client[1]!);
    return text(404, '404 page not found\n');
  }

  private async metrics(method: string, url: string): Promise<Answer> {
    if (method !== 'GET' && method !== 'HEAD') return notAllowed('GET, HEAD');
    if (url.includes('?')) return text(400, '/metrics takes no query string\n');
    const m = this.deps.metrics;
    return { status: 200, body: await m.render(), headers: { 'Content-Type': m.contentType } };
  }

  private check(): Answer {
    for (const probe of this.deps.health) {
      const h = probe();
      if (!h.ok) return text(503, h.reason);
    }
    return text(200, 'STILL-ALIVE');
  }

  private async torrent(method: string, param: string): Promise<Answer> {
    const infoHash = parseInfoHashParam(param);
    if (infoHash === null) return text(400, 'infohash must be 40 hex characters or 20 URL-escaped bytes\n');
    const c = this.deps.control;
    if (method === 'GET' || method === 'HEAD') {
      const t = await c.describe(infoHash);
      return t === null ? text(404, 'torrent not found\n') : { status: 200, body: JSON.stringify(t), json: true };
    }
    if (method === 'PUT') return (await c.create(infoHash)) ? text(200, '') : text(507, 'torrent table full\n');
    if (method === 'DELETE') return (await c.remove(infoHash)) ? text(200, '') : text(404, 'torrent not found\n');
    return notAllowed('GET, HEAD, PUT, DELETE');
  }

  private client(method: string, param: string): Answer {
    const id = decodeURIComponentSafe(param);
    const w = this.deps.whitelist;
    if (id === null || id.length === 0) return text(400, 'bad client id\n');
    if (method === 'GET' || method === 'HEAD') {
      return w.allows(id) ? { status: 200, body: JSON.stringify({ clientID: id, approved: true }), json: true } : text(404, 'client not found\n');
    }
    if (method === 'PUT') {
      w.add(id);
      return text(200, '');
    }
    if (method === 'DELETE') return w.remove(id) ? text(200, '') : text(404, 'client not found\n');
    return notAllowed('GET, HEAD, PUT, DELETE');
  }
}

function notAllowed(allow: string): Answer {
  return { status: 405, body: 'method not allowed\n', headers: { Allow: allow } };
}

function decodeURIComponentSafe(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
