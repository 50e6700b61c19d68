// The HTTP tracker (BEP 3 / BEP 23 / BEP 48 over uWebSockets.js): GET /announce and GET /scrape; every
// tracker answer is HTTP 200 with a bencoded body. Parses into the announce record, applies the
// whitelist, hands the record to the dispatcher, and sends the reply bytes it gets back.
import uWS, { type HttpRequest, type HttpResponse } from 'uWebSockets.js';
import type { ClientWhitelist } from '../../auth/client-whitelist.js';
import type { JwtGate, VerdictSink } from '../../auth/jwt-gate.js';
import { JWT_OK, JWT_PENDING, jwtFailureReason, type JwtVerdict } from '../../auth/jwt/index.js';
import type { Config } from '../../config/config.js';
import type { Dispatcher, ReplySink } from '../../dispatch/dispatcher.js';
import { ThrottledErrorLog } from '../../util/log-throttle.js';
import { redactQuery, type Log } from '../../util/log.js';
import {
  ANNOUNCE_RECORD_BYTES, OFF_INFO_HASH, OFF_PEER_ID, OFF_REPLY_KIND, OFF_REQUEST_ID, OFF_SINK_ID, ReplyKind,
} from '../../core/announce-record.js';
import { clientIdOf } from '../../core/client-id.js';
import { ClientErrors } from '../../core/client-errors.js';
import { putFailure } from '../../protocol/http/failure.js';
import { AnnounceQueryParser, parseScrapeQuery } from '../../protocol/http/http-query.js';
import { putHttpScrape, scrapeBodyBytes } from '../../protocol/http/scrape-response.js';
import type { RequestStats } from '../../stats/request-stats.js';
import { closeListenSocket, listenApp, type BoundSocket } from '../../util/listen.js';
import { ClientAddress } from './client-address.js';
import { PendingReplies } from './pending-replies.js';

const MAX_IN_FLIGHT = 65_536;

export class HttpFrontend implements ReplySink, VerdictSink {
  private readonly app = uWS.App();
  private readonly record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  private readonly parser: AnnounceQueryParser;
  private readonly address: ClientAddress;
  private readonly pending = new PendingReplies(MAX_IN_FLIGHT);
  private readonly scrapeHashes: Buffer;
  private readonly body: Buffer;
  private readonly sinkId: number;
  private bound: BoundSocket | null = null;
  private readonly errors: ThrottledErrorLog;
  /** The pending id the current handler took, so a fault does not leak it. */
  private currentId = -1;
  /** Announce records parked while their JWT is verified, by pending id (only with JWT on). */
  private readonly parked: Buffer;
  private readonly jwtTag: number;
  /** The record's info_hash, as the JWT check reads it (a view made once, not per request). */
  private readonly infoHash: Buffer;
  /** True while inside a uWS handler: a reply can be written directly, without cork. */
  private inHandler = false;

  constructor(private readonly config: Config, private readonly dispatcher: Dispatcher,
    private readonly whitelist: ClientWhitelist, private readonly stats: RequestStats, private readonly log: Log,
    private readonly jwt: JwtGate | null) {
    this.parser = new AnnounceQueryParser(this.record, config.defaultNumWant, config.maxNumWant);
    this.address = new ClientAddress(config.realIPHeader, config.allowIPSpoofing, config.dualStackedPeers);
    this.scrapeHashes = Buffer.alloc(config.maxScrapeInfoHashes * 20);
    this.body = Buffer.alloc(Math.max(4096, scrapeBodyBytes(config.maxScrapeInfoHashes)));
    this.errors = new ThrottledErrorLog(log);
    this.sinkId = dispatcher.register(this);
    this.jwtTag = jwt === null ? -1 : jwt.register(this);
    this.infoHash = this.record.subarray(OFF_INFO_HASH, OFF_INFO_HASH + 20);
    this.parked = Buffer.alloc(jwt === null ? 0 : MAX_IN_FLIGHT * ANNOUNCE_RECORD_BYTES);
    // A bug must cost one request an `internal error` answer, never the process (and its swarms).
    this.app.get('/announce', (res, req) => {
      this.currentId = -1;
      try {
        this.onAnnounce(res, req);
      } catch (err) {
        this.internalError(res, err);
      }
    });
    this.app.get('/scrape', (res, req) => {
      this.currentId = -1;
      try {
        this.onScrape(res, req);
      } catch (err) {
        this.internalError(res, err);
      }
    });
    this.app.any('/*', (res) => {
      this.stats.requestsHandled++;
      res.writeStatus('404 Not Found').end('404 page not found\n');
    });
  }

  async listen(host: string, port: number): Promise<number> {
    this.bound = await listenApp(this.app, host, port, 'httpListenAddr');
    return this.bound.port;
  }

  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes every connection. */
  async close(graceMs: number): Promise<void> {
    closeListenSocket(this.bound);
    this.bound = null;
    const deadline = Date.now() + graceMs;
    while (this.pending.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    (this.app as unknown as { close(): void }).close(); // in uWS 20.30, missing from its typings
  }

  private onAnnounce(res: HttpResponse, req: HttpRequest): void {
    const startedAt = performance.now();
    const query = req.getQuery() ?? '';
    const stats = this.stats;
    stats.requestsHandled++;
    stats.trackerAnnounces++;
    if (this.log.on(3)) this.log.at(3, `http announce ?${redactQuery(query)}`);
    const rec = this.record;
    if (!this.parser.parse(query)) return this.refuse(res, startedAt, ClientErrors.malformedRequest, this.parser.reason);
    this.address.resolve(res, req, query, this.parser, rec);
    if (this.whitelist.enabled && !this.whitelist.allows(clientIdOf(rec, OFF_PEER_ID))) {
      return this.refuse(res, startedAt, ClientErrors.clientNotApproved, 'client not on the whitelist');
    }
    rec[OFF_REPLY_KIND] = this.parser.compact ? ReplyKind.HttpCompact : ReplyKind.HttpDict;
    const id = this.pending.add(res, startedAt);
    if (id < 0) return this.refuse(res, startedAt, ClientErrors.busy, 'too many requests in flight');
    this.currentId = id;
    if (this.jwt !== null) {
      const code = this.jwt.check(this.jwtTag, this.parser.jwt, this.infoHash, id);
      if (code === JWT_PENDING) {
        rec.copy(this.parked, id * ANNOUNCE_RECORD_BYTES);
        res.onAborted(() => this.pending.markAborted(id));
        return;
      }
      if (code !== JWT_OK) {
        this.pending.take(id);
        return this.refuse(res, startedAt, jwtFailureReason(code), 'jwt refused');
      }
    }
    this.inHandler = true;
    const accepted = this.forward(id, rec);
    this.inHandler = false;
    if (!accepted) {
      this.pending.take(id);
      return this.refuse(res, startedAt, ClientErrors.busy, 'swarm queue full');
    }
    this.awaitIfPending(res, id);
  }

  /** Hands the record of pending request `id` to the swarm; false under back-pressure. */
  private forward(id: number, rec: Buffer): boolean {
    rec[OFF_SINK_ID] = this.sinkId;
    rec.writeUInt32LE(id, OFF_REQUEST_ID);
    return this.dispatcher.announce(rec);
  }

  // VerdictSink: a parked announce's token was verified (or not).
  jwtVerdict(id: number, code: JwtVerdict): void {
    if (!this.pending.isPending(id)) return;
    if (code === JWT_OK && this.forward(id, this.parked.subarray(id * ANNOUNCE_RECORD_BYTES, (id + 1) * ANNOUNCE_RECORD_BYTES))) return;
    const res = this.pending.take(id);
    if (res === null) return;
    this.stats.requestsBad++;
    const reason = code === JWT_OK ? ClientErrors.busy : jwtFailureReason(code);
    if (this.log.on(2)) this.log.at(2, `http refused: ${reason}`);
    this.send(res, this.body.subarray(0, putFailure(this.body, 0, reason)));
  }

  private awaitIfPending(res: HttpResponse, id: number): void {
    // Completed synchronously (inline dispatcher) unless still pending: only then does uWS need to hear
    // about aborts, and only then is a closure made.
    if (this.pending.isPending(id)) res.onAborted(() => this.pending.markAborted(id));
  }

  private onScrape(res: HttpResponse, req: HttpRequest): void {
    const startedAt = performance.now();
    const query = req.getQuery() ?? '';
    this.stats.requestsHandled++;
    this.stats.trackerScrapes++;
    if (this.log.on(3)) this.log.at(3, `http scrape ?${redactQuery(query)}`);
    const n = parseScrapeQuery(query, this.scrapeHashes);
    if (n === -2) return this.refuse(res, startedAt, ClientErrors.tooManyInfoHashes, `more than ${this.config.maxScrapeInfoHashes} info_hash values`);
    if (n <= 0) return this.refuse(res, startedAt, ClientErrors.malformedRequest, n === 0 ? 'scrape without info_hash' : 'info_hash is not 20 bytes');
    const id = this.pending.add(res, startedAt);
    if (id < 0) return this.refuse(res, startedAt, ClientErrors.busy, 'too many requests in flight');
    this.currentId = id;
    this.pending.scrapeHashes[id] = this.scrapeHashes; // valid as long as the reply is synchronous
    this.inHandler = true;
    const accepted = this.dispatcher.scrape(this.sinkId, id, this.scrapeHashes, n);
    this.inHandler = false;
    if (!accepted) {
      this.pending.take(id);
      return this.refuse(res, startedAt, ClientErrors.busy, 'swarm queue full');
    }
    if (this.pending.isPending(id)) {
      this.pending.scrapeHashes[id] = Buffer.from(this.scrapeHashes.subarray(0, n * 20)); // outlives this handler
      res.onAborted(() => this.pending.markAborted(id));
    }
  }

  private internalError(res: HttpResponse, err: unknown): void {
    this.inHandler = false;
    this.stats.requestsErrored++;
    this.errors.report('http', err);
    if (this.currentId >= 0 && this.pending.isPending(this.currentId)) this.pending.take(this.currentId);
    try {
      res.end(this.body.subarray(0, putFailure(this.body, 0, ClientErrors.internalError)));
    } catch {
      // already answered before the fault: nothing more to send
    }
  }

  private refuse(res: HttpResponse, startedAt: number, reason: string, detail: string): void {
    this.stats.requestsBad++;
    if (this.log.on(2)) this.log.at(2, `http refused: ${reason} (${detail})`);
    const n = putFailure(this.body, 0, reason);
    res.end(this.body.subarray(0, n));
    this.stats.httpLatency.record((performance.now() - startedAt) * 1000);
  }

  // ReplySink

  announceDone(requestId: number, bytes: Uint8Array): void {
    const startedAt = this.pending.startedAt[requestId]!;
    const res = this.pending.take(requestId);
    if (res === null) return;
    this.send(res, bytes);
    this.stats.httpLatency.record((performance.now() - startedAt) * 1000);
  }

  scrapeDone(requestId: number, counts: Uint32Array, n: number): void {
    const hashes = this.pending.scrapeHashes[requestId];
    const startedAt = this.pending.startedAt[requestId]!;
    const res = this.pending.take(requestId);
    if (res === null || !hashes) return;
    const len = putHttpScrape(this.body, hashes, counts, n);
    this.send(res, this.body.subarray(0, len));
    this.stats.httpLatency.record((performance.now() - startedAt) * 1000);
  }

  requestFailed(requestId: number, reason: string): void {
    const res = this.pending.take(requestId);
    if (res === null) return;
    this.stats.requestsErrored++;
    const n = putFailure(this.body, 0, reason);
    this.send(res, this.body.subarray(0, n));
  }

  private send(res: HttpResponse, bytes: Uint8Array): void {
    if (this.inHandler) {
      res.end(bytes);
      return;
    }
    corkedRes = res;
    corkedBytes = bytes;
    res.cork(endCorked); // a shared function, not a closure per reply
  }
}

// What the next `endCorked` call sends: set just before res.cork, which calls it synchronously.
let corkedRes: HttpResponse | null = null;
let corkedBytes: Uint8Array = new Uint8Array(0);

function endCorked(): void {
  corkedRes!.end(corkedBytes);
  corkedRes = null;
}
