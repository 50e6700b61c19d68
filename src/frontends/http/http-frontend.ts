// The HTTP tracker (BEP 3 / BEP 23 / BEP 48 over uWebSockets.js): GET /announce and GET /scrape; every
// tracker answer is HTTP 200 with a bencoded body. Parses into the announce record, applies the
// whitelist, hands the record to the dispatcher, and sends the reply bytes it gets back. The same
// handlers serve a plain app (httpListenAddr) and, when configured, a TLS app (httpsListenAddr): both
// run on this thread's event loop, so the one set of buffers and pending ids serves both.
import { performance } from 'node:perf_hooks'; // a module binding: the global is an accessor (a slow load per call)
import uWS, { type HttpRequest, type HttpResponse, type TemplatedApp } from 'uWebSockets.js';
import { sourceKeyOf, type ClientWhitelist, type JwtGate } from '../../auth/index.js';
import { ANNOUNCE_RECORD_BYTES, FLAG_HAS_V4, OFF_FLAGS, OFF_REPLY_KIND, ReplyKind } from '../../core/announce-record.js';
import { ClientErrors } from '../../core/client-errors.js';
import type { Config } from '../../config/config.js';
import type { Dispatcher, ReplySink } from '../../dispatch/dispatcher.js';
import { putFailure } from '../../protocol/http/failure.js';
import { AnnounceQueryParser, parseScrapeQuery } from '../../protocol/http/http-query.js';
import { putHttpScrape, scrapeBodyBytes } from '../../protocol/http/scrape-response.js';
import type { RequestStats } from '../../stats/request-stats.js';
import { AddrFamily, Outcome, Proto, ResponseAction, responseKind } from '../../stats/response-kinds.js';
import { closeListenSocket, listenApp, type BoundSocket } from '../../util/listen.js';
import { ThrottledErrorLog } from '../../util/log-throttle.js';
import { redactQuery, type Log } from '../../util/log.js';
import { Admission, AnnounceGate, type ParkedAnswer } from '../announce-gate.js';
import { ClientAddress } from './client-address.js';
import { PendingReplies } from './pending-replies.js';

const MAX_IN_FLIGHT = 65_536;

// Response kinds (stats/response-kinds.ts): HTTP scrapes carry no address of the client's, and an
// announce refused before its parse has none either.
const ANNOUNCE_V4 = responseKind(Proto.Http, ResponseAction.Announce, AddrFamily.V4);
const ANNOUNCE_V6 = responseKind(Proto.Http, ResponseAction.Announce, AddrFamily.V6);
const ANNOUNCE_UNKNOWN = responseKind(Proto.Http, ResponseAction.Announce, AddrFamily.Unknown);
const SCRAPE = responseKind(Proto.Http, ResponseAction.Scrape, AddrFamily.Unknown);

/** The certificate and key files of the TLS app (PEM; checked when the config was loaded). */
export interface TlsFiles {
  certPath: string;
  keyPath: string;
}

export class HttpFrontend implements ReplySink, ParkedAnswer {
  private readonly app = uWS.App();
  private readonly tlsApp: TemplatedApp | null;
  private readonly record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  private readonly parser: AnnounceQueryParser;
  private readonly address: ClientAddress;
  private readonly pending = new PendingReplies(MAX_IN_FLIGHT);
  private readonly scrapeHashes: Buffer;
  private readonly body: Buffer;
  private readonly sinkId: number;
  private bound: BoundSocket | null = null;
  private tlsBound: BoundSocket | null = null;
  private readonly errors: ThrottledErrorLog;
  /** The pending id the current handler took, so a fault does not leak it. */
  private currentId = -1;
  /** The current handler's response kind and start, for a fault's answer. */
  private currentKind = ANNOUNCE_UNKNOWN;
  private currentStartedAt = 0;
  private readonly gate: AnnounceGate;
  /** The request being handled (valid only inside a uWS handler), for sourceKey. */
  private currentRes: HttpResponse | null = null;
  private currentReq: HttpRequest | null = null;
  /** True while inside a uWS handler: a reply can be written directly, without cork. */
  private inHandler = false;
  /**
   * Set once the listener is closed (shutdown): every answer carries `Connection: close` and closes its
   * connection, so a keep-alive client stops sending on it before the final close could cut a request
   * it had written.
   */
  private closeAfterReply = false;

  constructor(private readonly config: Config, private readonly dispatcher: Dispatcher,
    whitelist: ClientWhitelist, private readonly stats: RequestStats, private readonly log: Log, jwt: JwtGate | null,
    tls: TlsFiles | null = null) {
    this.parser = new AnnounceQueryParser(this.record, config.defaultNumWant, config.maxNumWant);
    this.address = new ClientAddress(config.realIPHeader, config.allowIPSpoofing, config.dualStackedPeers);
    this.scrapeHashes = Buffer.alloc(config.maxScrapeInfoHashes * 20);
    this.body = Buffer.alloc(Math.max(4096, scrapeBodyBytes(config.maxScrapeInfoHashes)));
    this.errors = new ThrottledErrorLog(log);
    this.sinkId = dispatcher.register(this);
    this.gate = new AnnounceGate(this.record, dispatcher, this.sinkId, whitelist, jwt, this, MAX_IN_FLIGHT, stats);
    this.tlsApp = tls === null ? null : uWS.SSLApp({ cert_file_name: tls.certPath, key_file_name: tls.keyPath });
    this.route(this.app);
    if (this.tlsApp !== null) this.route(this.tlsApp);
  }

  /** The tracker's routes on `app` (the plain one, or the TLS one). */
  private route(app: TemplatedApp): void {
    // A bug must cost one request an `internal error` answer, never the process (and its swarms).
    app.get('/announce', (res, req) => {
      this.currentId = -1;
      try {
        this.onAnnounce(res, req);
      } catch (err) {
        this.internalError(res, err);
      }
    });
    app.get('/scrape', (res, req) => {
      this.currentId = -1;
      try {
        this.onScrape(res, req);
      } catch (err) {
        this.internalError(res, err);
      }
    });
    app.any('/*', (res) => {
      this.stats.requestsHandled++;
      res.writeStatus('404 Not Found').end('404 page not found\n', this.closeAfterReply);
    });
  }

  async listen(host: string, port: number): Promise<number> {
    this.bound = await listenApp(this.app, host, port, 'httpListenAddr');
    return this.bound.port;
  }

  /** Listens with the TLS app (the constructor was given its files). */
  async listenTls(host: string, port: number): Promise<number> {
    if (this.tlsApp === null) throw new Error('httpsListenAddr: no TLS certificate and key configured');
    this.tlsBound = await listenApp(this.tlsApp, host, port, 'httpsListenAddr');
    return this.tlsBound.port;
  }

  /** Stops accepting connections on both apps; open ones are still served, each closed after its next answer. */
  stopListening(): void {
    closeListenSocket(this.bound);
    closeListenSocket(this.tlsBound);
    this.bound = null;
    this.tlsBound = null;
    this.closeAfterReply = true;
  }

  /** Requests accepted and not yet answered. */
  get inFlight(): number {
    return this.pending.inFlight;
  }

  /**
   * Closes every connection. uWS aborts the whole process if a thread ends with its sockets open, so an
   * I/O thread calls this before it ends, whatever the reason.
   */
  close(): void {
    this.stopListening();
    (this.app as unknown as { close(): void }).close(); // in uWS 20.30, missing from its typings
    (this.tlsApp as unknown as { close(): void } | null)?.close();
  }

  private onAnnounce(res: HttpResponse, req: HttpRequest): void {
    const startedAt = performance.now();
    this.currentStartedAt = startedAt;
    this.currentKind = ANNOUNCE_UNKNOWN;
    const query = req.getQuery() ?? '';
    const stats = this.stats;
    stats.requestsHandled++;
    stats.trackerAnnounces++;
    if (this.log.on(3)) this.log.at(3, `http announce ?${redactQuery(query)}`);
    const rec = this.record;
    if (!this.parser.parse(query)) return this.refuse(res, startedAt, ANNOUNCE_UNKNOWN, ClientErrors.malformedRequest, this.parser.reason);
    this.address.resolve(res, req, query, this.parser, rec);
    const kind = (rec[OFF_FLAGS]! & FLAG_HAS_V4) !== 0 ? ANNOUNCE_V4 : ANNOUNCE_V6;
    this.currentKind = kind;
    this.currentRes = res;
    this.currentReq = req;
    rec[OFF_REPLY_KIND] = this.parser.compact ? ReplyKind.HttpCompact : ReplyKind.HttpDict;
    const id = this.pending.add(res, startedAt, kind);
    if (id < 0) return this.refuseBusy(res, startedAt, kind);
    this.currentId = id;
    this.inHandler = true; // an inline dispatcher answers within admit: write directly, no cork
    const admission = this.gate.admit(id, this.parser.jwt);
    this.inHandler = false;
    if (admission === Admission.Refused) {
      this.pending.take(id);
      return this.refuse(res, startedAt, kind, this.gate.reason, this.gate.detail);
    }
    this.awaitIfPending(res, id);
  }

  // ParkedAnswer: the gate's word on an announce that waited for its token's verdict.
  sourceKey(): string {
    return sourceKeyOf(this.address.sourceText(this.currentRes!, this.currentReq!));
  }

  isWaiting(id: number): boolean {
    return this.pending.isPending(id);
  }

  refuseParked(id: number, reason: string): void {
    const res = this.pending.take(id);
    if (res === null) return;
    this.stats.requestsBad++;
    this.stats.countFailure(Proto.Http, reason);
    if (this.log.on(2)) this.log.at(2, `http refused: ${reason}`);
    this.send(res, this.body.subarray(0, putFailure(this.body, 0, reason)));
    this.stats.recordLatency(this.pending.kind[id]! + Outcome.ClientError, (performance.now() - this.pending.startedAt[id]!) * 1000);
  }

  private awaitIfPending(res: HttpResponse, id: number): void {
    // Completed synchronously (inline dispatcher) unless still pending: only then does uWS need to hear
    // about aborts, and only then is a closure made.
    if (this.pending.isPending(id)) res.onAborted(() => this.pending.markAborted(id));
  }

  private onScrape(res: HttpResponse, req: HttpRequest): void {
    const startedAt = performance.now();
    this.currentStartedAt = startedAt;
    this.currentKind = SCRAPE;
    const query = req.getQuery() ?? '';
    this.stats.requestsHandled++;
    this.stats.trackerScrapes++;
    if (this.log.on(3)) this.log.at(3, `http scrape ?${redactQuery(query)}`);
    const n = parseScrapeQuery(query, this.scrapeHashes);
    if (n === -2) return this.refuse(res, startedAt, SCRAPE, ClientErrors.tooManyInfoHashes, `more than ${this.config.maxScrapeInfoHashes} info_hash values`);
    if (n <= 0) return this.refuse(res, startedAt, SCRAPE, ClientErrors.malformedRequest, n === 0 ? 'scrape without info_hash' : 'info_hash is not 20 bytes');
    const id = this.pending.add(res, startedAt, SCRAPE);
    if (id < 0) return this.refuseBusy(res, startedAt, SCRAPE);
    this.currentId = id;
    this.pending.scrapeHashes[id] = this.scrapeHashes; // valid as long as the reply is synchronous
    this.inHandler = true;
    const accepted = this.dispatcher.scrape(this.sinkId, id, this.scrapeHashes, n);
    this.inHandler = false;
    if (!accepted) {
      this.pending.take(id);
      return this.refuse(res, startedAt, SCRAPE, ClientErrors.busy, 'swarm queue full');
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
      res.end(this.body.subarray(0, putFailure(this.body, 0, ClientErrors.internalError)), this.closeAfterReply);
      this.stats.countFailure(Proto.Http, ClientErrors.internalError);
      this.stats.recordLatency(this.currentKind + Outcome.InternalError, (performance.now() - this.currentStartedAt) * 1000);
    } catch {
      // already answered before the fault: nothing more to send
    }
  }

  private refuseBusy(res: HttpResponse, startedAt: number, kind: number): void {
    this.stats.refusedBusy++;
    this.refuse(res, startedAt, kind, ClientErrors.busy, 'too many requests in flight');
  }

  private refuse(res: HttpResponse, startedAt: number, kind: number, reason: string, detail: string): void {
    this.stats.requestsBad++;
    this.stats.countFailure(Proto.Http, reason);
    if (this.log.on(2)) this.log.at(2, `http refused: ${reason} (${detail})`);
    const n = putFailure(this.body, 0, reason);
    res.end(this.body.subarray(0, n), this.closeAfterReply);
    this.stats.recordLatency(kind + Outcome.ClientError, (performance.now() - startedAt) * 1000);
  }

  // ReplySink

  announceDone(requestId: number, bytes: Uint8Array): void {
    const startedAt = this.pending.startedAt[requestId]!;
    const res = this.pending.take(requestId);
    if (res === null) return;
    this.send(res, bytes);
    // The owner refused it (torrent unknown, swarm full) when the body is a failure dict.
    const outcome = isFailureBody(bytes) ? Outcome.ClientError : Outcome.Ok;
    this.stats.recordLatency(this.pending.kind[requestId]! + outcome, (performance.now() - startedAt) * 1000);
  }

  scrapeDone(requestId: number, counts: Uint32Array, n: number): void {
    const hashes = this.pending.scrapeHashes[requestId];
    const startedAt = this.pending.startedAt[requestId]!;
    const res = this.pending.take(requestId);
    if (res === null || !hashes) return;
    const len = putHttpScrape(this.body, hashes, counts, n);
    this.send(res, this.body.subarray(0, len));
    this.stats.recordLatency(SCRAPE + Outcome.Ok, (performance.now() - startedAt) * 1000);
  }

  requestFailed(requestId: number, reason: string): void {
    const res = this.pending.take(requestId);
    if (res === null) return;
    this.stats.requestsErrored++;
    this.stats.countFailure(Proto.Http, reason);
    const n = putFailure(this.body, 0, reason);
    this.send(res, this.body.subarray(0, n));
    this.stats.recordLatency(this.pending.kind[requestId]! + Outcome.InternalError, (performance.now() - this.pending.startedAt[requestId]!) * 1000);
  }

  private send(res: HttpResponse, bytes: Uint8Array): void {
    if (this.inHandler) {
      res.end(bytes, this.closeAfterReply);
      return;
    }
    corkedRes = res;
    corkedBytes = bytes;
    corkedClose = this.closeAfterReply;
    res.cork(endCorked); // a shared function, not a closure per reply
  }
}

/** `d14:failure reason...`: a bencoded failure (no other announce reply key has 14 characters). */
function isFailureBody(b: Uint8Array): boolean {
  return b[1] === 0x31 && b[2] === 0x34 && b[3] === 0x3a && b[4] === 0x66;
}

// What the next `endCorked` call sends: set just before res.cork, which calls it synchronously.
let corkedRes: HttpResponse | null = null;
let corkedBytes: Uint8Array = new Uint8Array(0);
let corkedClose = false;

function endCorked(): void {
  corkedRes!.end(corkedBytes, corkedClose);
  corkedRes = null;
}
