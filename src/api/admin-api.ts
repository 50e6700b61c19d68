// The admin API (apiListenAddr): the HA health check, /stats in chihaya v1's shape, and the torrent and
// client-whitelist routes chihaya v1 offered. Separate port from the tracker, so Prometheus text and
// JSON never reach the announce port (Quay's validator rejects bodies containing `go_goroutines`).
import uWS, { type HttpRequest, type HttpResponse } from 'uWebSockets.js';
import type { ClientWhitelist } from '../auth/client-whitelist.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Log } from '../util/log.js';
import { percentDecodeInto } from '../protocol/http/percent.js';
import type { MemStats } from '../stats/mem-stats.js';
import type { RequestStats } from '../stats/request-stats.js';
import { renderStats, statsObject } from '../stats/stats-json.js';
import type { SwarmTotalsReader } from '../swarm/swarm-totals.js';
import { closeListenSocket, listenApp, type BoundSocket } from '../util/listen.js';

/** Something that can make the tracker unfit to serve (e.g. an expired JWK set); /check then says 503. */
export type HealthProbe = () => { ok: true } | { ok: false; reason: string };

export interface AdminApiDeps {
  dispatcher: Dispatcher;
  whitelist: ClientWhitelist;
  requestStats: RequestStats;
  swarmTotals: SwarmTotalsReader;
  memStats: MemStats | null;
  health: HealthProbe[];
  log: Log;
}

/** `:infohash` is 40 hex characters, or the 20 raw bytes URL-escaped (chihaya v1's form). */
export function parseInfoHashParam(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{40}$/.test(text)) return Buffer.from(text, 'hex');
  const out = Buffer.alloc(20);
  return percentDecodeInto(text, 0, text.length, out, 0) === 20 ? out : null;
}

export class AdminApi {
  private readonly app = uWS.App();
  private bound: BoundSocket | null = null;

  constructor(private readonly deps: AdminApiDeps) {
    const app = this.app;
    app.get('/check', (res) => this.check(res));
    app.get('/stats', (res, req) => this.stats(res, req));
    app.get('/torrents/:infohash', (res, req) => this.torrent(res, req, 'get'));
    app.put('/torrents/:infohash', (res, req) => this.torrent(res, req, 'put'));
    app.del('/torrents/:infohash', (res, req) => this.torrent(res, req, 'delete'));
    app.get('/clients/:clientID', (res, req) => this.client(res, req, 'get'));
    app.put('/clients/:clientID', (res, req) => this.client(res, req, 'put'));
    app.del('/clients/:clientID', (res, req) => this.client(res, req, 'delete'));
    app.any('/*', (res) => { res.writeStatus('404 Not Found').end('404 page not found\n'); });
  }

  async listen(host: string, port: number): Promise<number> {
    this.bound = await listenApp(this.app, host, port, 'apiListenAddr');
    return this.bound.port;
  }

  close(): void {
    closeListenSocket(this.bound);
    this.bound = null;
    (this.app as unknown as { close(): void }).close();
  }

  private check(res: HttpResponse): void {
    for (const probe of this.deps.health) {
      const h = probe();
      if (!h.ok) {
        res.writeStatus('503 Service Unavailable').end(h.reason);
        return;
      }
    }
    res.end('STILL-ALIVE');
  }

  private stats(res: HttpResponse, req: HttpRequest): void {
    const d = this.deps;
    const body = renderStats(statsObject(d.requestStats, d.swarmTotals.read(), d.memStats, d.dispatcher), req.getQuery() ?? '');
    res.writeHeader('Content-Type', 'application/json').end(body);
  }

  private torrent(res: HttpResponse, req: HttpRequest, op: 'get' | 'put' | 'delete'): void {
    const infoHash = parseInfoHashParam(req.getParameter(0) ?? '');
    if (infoHash === null) {
      res.writeStatus('400 Bad Request').end('infohash must be 40 hex characters or 20 URL-escaped bytes\n');
      return;
    }
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const d = this.deps.dispatcher;
    const answer = (status: string, body: string, json = false): void => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(status);
        if (json) res.writeHeader('Content-Type', 'application/json');
        res.end(body);
      });
    };
    const work = op === 'get'
      ? d.describe(infoHash).then((t) => (t === null ? answer('404 Not Found', 'torrent not found\n') : answer('200 OK', JSON.stringify(t), true)))
      : op === 'put'
        ? d.create(infoHash).then((ok) => (ok ? answer('200 OK', '') : answer('507 Insufficient Storage', 'torrent table full\n')))
        : d.remove(infoHash).then((ok) => (ok ? answer('200 OK', '') : answer('404 Not Found', 'torrent not found\n')));
    work.catch((err: unknown) => {
      this.deps.log.info(`api: /torrents ${op} failed: ${String(err)}`);
      answer('500 Internal Server Error', 'internal error\n');
    });
  }

  private client(res: HttpResponse, req: HttpRequest, op: 'get' | 'put' | 'delete'): void {
    const id = decodeURIComponentSafe(req.getParameter(0) ?? '');
    const w = this.deps.whitelist;
    if (id === null || id.length === 0) {
      res.writeStatus('400 Bad Request').end('bad client id\n');
      return;
    }
    if (op === 'get') {
      if (w.allows(id)) res.end(JSON.stringify({ clientID: id, approved: true }));
      else res.writeStatus('404 Not Found').end('client not found\n');
    } else if (op === 'put') {
      w.add(id);
      res.end('');
    } else if (w.remove(id)) {
      res.end('');
    } else {
      res.writeStatus('404 Not Found').end('client not found\n');
    }
  }
}

function decodeURIComponentSafe(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
