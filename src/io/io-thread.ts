// An I/O thread (io-01, io-02, ...): its own uWebSockets.js app on the HTTP port and its own UDP socket
// on the UDP port, the kernel spreading connections and datagrams over the threads. It parses, admits
// (whitelist, JWT), dispatches each announce to the owner of its shard over the mesh, and writes the
// answers back. With `workers: 0` it also owns a slice of the shards (ShardHost) and answers the other
// I/O threads' requests for them. uWS aborts the process if a thread ends with sockets open, so every
// way out of this thread closes its apps (plain and TLS) first.
import { parentPort, workerData } from 'node:worker_threads';
import { ClientWhitelist, coarseNow, JwtGate, SharedKeySetView, startCoarseClock } from '../auth/index.js';
import { ConsumerLoop, type RingConsumer } from '../dispatch/consumer-loop.js';
import { RoutedDispatcher } from '../dispatch/routed-dispatcher.js';
import { ShardHost } from '../dispatch/shard-host.js';
import { HttpFrontend } from '../frontends/http/http-frontend.js';
import { UdpFrontend } from '../frontends/udp/udp-frontend.js';
import { RequestStats } from '../stats/request-stats.js';
import { Log } from '../util/log.js';
import { LoopDelayMonitor } from '../util/loop-delay.js';
import { threadId } from '../util/thread-id.js';
import { nameThisThread, threadName } from '../util/thread-name.js';
import type { FaultRequest, FromIo, IoThreadData, ToIo } from './io-messages.js';

const data = workerData as IoThreadData;
nameThisThread(threadName('io', data.index));
/** Shutdown: how long no HTTP request must have arrived before the remaining connections are closed. */
const QUIET_MS = 100;
const post = (m: FromIo): void => parentPort!.postMessage(m);
const log = new Log(data.verbosity, (line) => post({ type: 'log', line }));
const stats = new RequestStats(data.stats);
const loopDelay = new LoopDelayMonitor(stats.loopDelay);
const whitelist = new ClientWhitelist(data.config.clientWhitelistEnabled, data.whitelist);
const host = data.mesh.ownersAreIo ? new ShardHost(data.settings, data.shards, data.mesh, data.index, data.repair) : null;
// Every I/O thread owns shards and has its own socket on the UDP port: a UDP announce's owner answers it
// from its socket (nothing comes back over the rings; see Msg.AnnounceDirect).
const directUdp = host !== null && data.udp !== null && data.udp.reusePort;
const dispatcher = new RoutedDispatcher(data.mesh, data.index, data.shards.length, host, stats, directUdp);
const consumers: RingConsumer[] = host === null ? [dispatcher] : [host, dispatcher];
const loop = new ConsumerLoop(data.mesh.ioDoorbells[data.index]!, consumers);
const jwt = data.jwtKeySet === null ? null : new JwtGate({
  audience: data.config.jwtAudience,
  keySet: new SharedKeySetView(data.jwtKeySet),
  link: { request: (items) => post({ type: 'jwt-verify', items }) }, // already one batch per event-loop turn
  counters: stats,
  log: (level, message) => log.at(level, message),
  verbosity: data.verbosity,
  now: coarseNow,
});
if (jwt !== null) startCoarseClock();
let http: HttpFrontend | null = null;
let udp: UdpFrontend | null = null;
let closed = false;

/** Closes every socket (uWS must not outlive its sockets' thread), then lets the thread end. */
function closeAll(): void {
  if (closed) return;
  closed = true;
  http?.close();
  void udp?.close();
  jwt?.close();
  loopDelay.close();
  loop.stop();
  host?.close();
  parentPort!.close();
}

// A bug outside a request handler (those answer `internal error` themselves) must not abort the whole
// process through uWS: close the sockets, say why, and let the main thread restart this thread.
process.on('uncaughtException', (err) => {
  post({ type: 'fatal', message: err.stack ?? err.message });
  closeAll();
  process.exitCode = 70;
});

async function start(): Promise<void> {
  let httpPort: number | null = null;
  let httpsPort: number | null = null;
  let udpPort: number | null = null;
  if (data.http !== null || data.https !== null) {
    http = new HttpFrontend(data.config, dispatcher, whitelist, stats, log, jwt, data.https);
    if (data.http !== null) httpPort = await http.listen(data.http.host, data.http.port);
    if (data.https !== null) httpsPort = await http.listenTls(data.https.host, data.https.port);
  }
  if (data.udp !== null) {
    udp = new UdpFrontend(data.config, dispatcher, whitelist, stats, log, jwt, data.connectionIdKey);
    if (data.mesh.owners > 1 || !data.mesh.ownersAreIo) udp.afterBatch = () => loop.poll();
    if (directUdp) host!.direct = udp;
    udpPort = await udp.listen(data.udp.host, data.udp.port, data.udp.reusePort);
  }
  loop.start();
  post({ type: 'listening', http: httpPort, https: httpsPort, udp: udpPort, tid: threadId() });
}

/**
 * Keeps serving open connections until nothing is in flight and no HTTP request has arrived for
 * QUIET_MS (each keep-alive connection still in use is closed after its next answer, see
 * HttpFrontend.stopListening), at most `graceMs`: the final close then meets idle connections only.
 */
async function drain(graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  const inFlight = (): number => (http?.inFlight ?? 0) + (udp?.inFlight ?? 0) + dispatcher.ringsWithUnread();
  let seen = stats.requestsHandled;
  let quietSince = Date.now();
  for (let now = quietSince; now < deadline; now = Date.now()) {
    if (stats.requestsHandled !== seen) {
      seen = stats.requestsHandled;
      quietSince = now;
    } else if (inFlight() === 0 && now - quietSince >= QUIET_MS) {
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  post({ type: 'drained', inFlight: inFlight() });
}

parentPort!.on('message', (m: ToIo) => {
  switch (m.type) {
    case 'control': {
      const reply: FromIo = { type: 'control', control: m.control };
      try {
        if (host === null) throw new Error(`io-${data.index + 1} owns no shard`);
        reply.result = host.control(m.op, Buffer.from(m.infoHash));
      } catch (err) {
        reply.error = err instanceof Error ? err.message : String(err);
      }
      post(reply);
      break;
    }
    case 'owner-died':
      post({ type: 'owner-settled', seq: m.seq, failed: dispatcher.ownerDied(m.owner) });
      break;
    case 'whitelist':
      if (m.op === 'add') whitelist.add(m.clientId);
      else whitelist.remove(m.clientId);
      break;
    case 'stop-listening':
      http?.stopListening();
      udp?.stopAccepting();
      post({ type: 'stopped-listening' });
      break;
    case 'drain':
      void drain(m.graceMs);
      break;
    case 'exit':
      closeAll();
      break;
    case 'jwt-outcomes':
      jwt?.deliver(m.outcomes);
      break;
    case 'fault':
      if (data.faultInjection) injectFault(m.what, m.offsetMs ?? 0);
      break;
  }
});

const realAnnounce = dispatcher.announce;

/** Tests only (IoThreadData.faultInjection): the failures the suites must see handled. */
const realNow = Date.now;

function injectFault(what: FaultRequest['what'], offsetMs: number): void {
  if (what === 'clock-offset') Date.now = offsetMs === 0 ? realNow : () => realNow() + offsetMs;
  else if (what === 'announce-throws') dispatcher.announce = () => { throw new Error('injected fault (test)'); };
  else if (what === 'announce-ok') dispatcher.announce = realAnnounce;
  else if (what === 'udp-port-0') udp?.injectDatagram(connectRequest(), new Uint8Array([127, 0, 0, 1]), 0);
  else setImmediate(() => { throw new Error('injected uncaught fault (test)'); });
}

function connectRequest(): Buffer {
  const c = Buffer.alloc(16);
  c.writeUInt32BE(0x417, 0);
  c.writeUInt32BE(0x27101980, 4);
  c.writeUInt32BE(9, 12);
  return c;
}

start().catch((err: unknown) => {
  post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  closeAll();
  process.exitCode = 1;
});
