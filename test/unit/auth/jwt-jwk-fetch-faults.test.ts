// The key-set fetch against a local key-set server that misbehaves on real sockets: it trickles the
// body, sends headers and then nothing, sends 10 MB chunked, or never accepts the connection. In every
// case announces (JwtAuthorizer.check with a verified, cached token) keep working with the last good
// set until jwkTTL and then fail closed, fetch attempts keep reaching the server on schedule, abandoned
// connections are closed, and a good set is back within one jwkUpdateInterval of the server healing.
//
// A garbage collection runs every 100 ms while the server misbehaves, as collections do in a busy
// tracker: the old fetch (AbortSignal.any over AbortSignal.timeout) lost its timeout to the collector
// and then hung for as long as the server kept the connection open.
//
// The tracker's client sockets are observed through the `net.client.socket` diagnostics channel (every
// net.connect publishes there): bytes read per connection, and connection attempts that never reach a
// server process.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { JWT_OK, JWT_UNAVAILABLE, type JwtCode } from '../../../src/auth/jwt/index.js';
import { Harness, makeKey, mintQuay, waitFor } from '../../helpers/jwt-fixtures.js';

const execFileP = promisify(execFile);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// Short enough for a few seconds per test, long enough for a 2-core machine shared with load tests
// (timers there run 100-300 ms late at times).
const INTERVAL_MS = 400;
const TTL_MS = 800;
/** Per-fetch deadline (jwkFetchTimeoutMs). */
const DEADLINE_MS = 200;
const RETRY_MIN_MS = 50;
/** The last good set is usable this long after the fetch that brought it. */
const USABLE_MS = INTERVAL_MS + TTL_MS;
/** Late timers and the tracker's 50 ms clock. */
const SLACK_MS = 300;
/** The server misbehaves until this long after its last good answer: past USABLE_MS, to see expiry too. */
const FAULT_UNTIL_MS = USABLE_MS + 2 * SLACK_MS + 150;
const MAX_BODY_BYTES = 1 << 20;
const HUGE_BYTES = 10 * 1024 * 1024;

/** Client sockets this process opens, with when, where to, and how many bytes each read. */
class ClientSockets {
  readonly seen: Array<{ socket: Socket; createdMs: number; remotePort: number }> = [];
  private readonly onSocket = (msg: unknown): void => {
    const socket = (msg as { socket: Socket }).socket;
    const entry = { socket, createdMs: Date.now(), remotePort: 0 };
    this.seen.push(entry);
    socket.once('connect', () => void (entry.remotePort = socket.remotePort ?? 0));
  };

  constructor() {
    subscribe('net.client.socket', this.onSocket);
  }

  close(): void {
    unsubscribe('net.client.socket', this.onSocket);
  }
}

/** A key-set server the test can break and heal; the URL stays the same throughout. */
interface Endpoint {
  url: string;
  /** Starts misbehaving. */
  breakIt(): Promise<void>;
  /** Serves `doc` properly again. */
  heal(doc: string): Promise<void>;
  /** Wall-clock ms when the last good answer was sent. */
  lastGoodSentMs(): number;
  /** When fetch attempts reached the server (or, when it never accepts, its listening socket) since breakIt(). */
  attemptTimesMs(): number[];
  /**
   * Connections (or connection attempts) that carried a fault and are still open `olderThanMs` after
   * they began: an abandoned fetch must not leave its socket to the server's mercy.
   */
  lingering(olderThanMs: number): Promise<number>;
  close(): Promise<void>;
}

type HttpFault = 'trickle' | 'silent' | 'huge';

/** node:http key-set server with three ways to stall a client. */
async function httpEndpoint(fault: HttpFault, goodDoc: string): Promise<Endpoint & { port: number; hugeFinished: () => number }> {
  let doc = goodDoc;
  let broken = false;
  let lastGood = 0;
  let hugeFinished = 0;
  const attempts: number[] = [];
  const faulty = new Map<Socket, number>(); // server-side socket -> when its first fault request arrived
  const server: Server = createServer((req, res) => {
    if (!broken) {
      res.on('finish', () => void (lastGood = Date.now()));
      res.writeHead(200, { 'content-type': 'application/json' }).end(doc);
      return;
    }
    attempts.push(Date.now());
    if (!faulty.has(req.socket)) faulty.set(req.socket, Date.now());
    req.resume();
    switch (fault) {
      case 'trickle': { // the real document, announced whole, one byte per 500 ms
        const body = Buffer.from(doc);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        let at = 0;
        const drip = setInterval(() => {
          if (at < body.length) res.write(body.subarray(at, ++at));
        }, 500);
        res.on('close', () => clearInterval(drip));
        return;
      }
      case 'silent': // headers, then nothing at all
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(doc) });
        res.flushHeaders();
        return;
      case 'huge': { // 10 MB, chunked (no content-length), written as fast as the client takes it
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < HUGE_BYTES && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end(() => void hugeFinished++);
        };
        pump();
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/keys/services/quay/keys`,
    port,
    async breakIt() {
      broken = true;
    },
    async heal(d) {
      doc = d;
      broken = false;
    },
    lastGoodSentMs: () => lastGood,
    attemptTimesMs: () => attempts.slice(),
    async lingering(olderThanMs) {
      const now = Date.now();
      return [...faulty].filter(([s, at]) => !s.destroyed && now - at > olderThanMs).length;
    },
    hugeFinished: () => hugeFinished,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// "Never accepts": a listening socket whose accept queue is full. A socket that listens but never calls
// accept() is not enough on Linux: the kernel completes the handshake into the accept queue by itself,
// and the client then waits for response headers (the 'silent' case again). With listen(0) the queue
// holds one connection; once a filler connection waits in it, the kernel drops every further SYN
// (TcpExt ListenOverflows counts them) and the client's connect() stays in SYN_SENT.
const PY_SERVER = String.raw`
import os, select, socket
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(0)
print('port %d' % srv.getsockname()[1], flush=True)
body = b''
serving = False
pending = b''
while True:
    ready, _, _ = select.select([0] + ([srv] if serving else []), [], [])
    if 0 in ready:
        data = os.read(0, 1 << 20)
        if not data:
            break
        pending += data
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            cmd, _, arg = line.partition(b' ')
            if cmd == b'serve':
                body, serving = arg, True
            elif cmd == b'stall':
                serving = False
            print('ok ' + cmd.decode(), flush=True)
        continue
    conn, _ = srv.accept()
    conn.settimeout(2)
    try:
        req = b''
        while b'\r\n\r\n' not in req:
            got = conn.recv(4096)
            if not got:
                break
            req += got
        if b'\r\n\r\n' in req:
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n'
                         b'Content-Length: %d\r\n\r\n' % len(body) + body)
            print('served', flush=True)
    except OSError:
        pass
    finally:
        conn.close()
`;

const hasPython3 = spawnSync('python3', ['-c', 'pass']).status === 0;
const hasSs = spawnSync('ss', ['-V']).status === 0;

/** Local ports of this machine's sockets in SYN_SENT towards 127.0.0.1:port (ss filters in the kernel). */
async function synSentTo(port: number): Promise<number[]> {
  const { stdout } = await execFileP('ss', ['-Htn', 'state', 'syn-sent', 'dst', `127.0.0.1:${port}`]);
  const ports: number[] = [];
  for (const line of stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[2]; // Recv-Q Send-Q Local Peer (the state column is left out)
    if (local !== undefined) ports.push(Number(local.slice(local.lastIndexOf(':') + 1)));
  }
  return ports;
}

/** TcpExt ListenOverflows: SYNs dropped because an accept queue was full (machine-wide). */
function listenOverflows(): number {
  const rows = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = rows[0]!.trim().split(/\s+/);
  const values = rows[1]!.trim().split(/\s+/);
  return Number(values[names.indexOf('ListenOverflows')]);
}

/**
 * The python server behind a full accept queue. No attempt reaches the server process: they are
 * counted where they start (the tracker's net.connect calls), and ss and TcpExt ListenOverflows show
 * their SYNs arriving at the listening socket and being dropped.
 */
async function neverAcceptEndpoint(goodDoc: string, clients: ClientSockets):
Promise<Endpoint & { overflows: () => number; synSentSeen: () => number }> {
  const py: ChildProcessWithoutNullStreams = spawn('python3', ['-c', PY_SERVER]);
  let out = '';
  let lastGood = 0;
  py.stdout.setEncoding('utf8');
  py.stdout.on('data', (d: string) => {
    out += d;
    if (d.split('\n').includes('served')) lastGood = Date.now();
  });
  py.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  await waitFor(() => /port \d+\n/.test(out), 5000, 'python key-set server');
  const port = Number(/port (\d+)/.exec(out)![1]);
  const send = async (cmd: string): Promise<void> => {
    const from = out.length;
    const word = cmd.split(' ')[0]!;
    py.stdin.write(`${cmd}\n`);
    await waitFor(() => out.indexOf(`ok ${word}\n`, from) >= 0, 5000, `python: ${word}`);
  };
  await send(`serve ${goodDoc}`);

  let filler: Socket | null = null;
  let fillerAt = 0;
  let brokeAt = Infinity;
  let overflowsAtBreak = 0;
  const synSent = new Map<number, number>(); // local port seen in SYN_SENT -> first seen
  let sampling: Promise<void> | null = null;
  let stopSampling = false;
  const sample = async (): Promise<void> => {
    for (const p of await synSentTo(port)) if (!synSent.has(p)) synSent.set(p, Date.now());
  };
  const stopSampler = async (): Promise<void> => {
    stopSampling = true;
    await sampling;
  };
  return {
    url: `http://127.0.0.1:${port}/keys/services/quay/keys`,
    async breakIt() {
      await send('stall');
      overflowsAtBreak = listenOverflows();
      fillerAt = Date.now();
      filler = connect(port, '127.0.0.1');
      filler.on('error', () => {});
      await new Promise<void>((resolve) => filler!.once('connect', () => resolve()));
      brokeAt = fillerAt;
      sampling = (async () => {
        while (!stopSampling) {
          await sample();
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
    },
    async heal(doc) {
      await stopSampler();
      filler?.destroy();
      await send(`serve ${doc}`);
    },
    lastGoodSentMs: () => lastGood,
    attemptTimesMs: () => clients.seen.filter((c) => c.createdMs >= brokeAt && c.socket !== filler).map((c) => c.createdMs),
    async lingering(olderThanMs) {
      const now = Date.now();
      return (await synSentTo(port)).filter((p) => now - (synSent.get(p) ?? now) > olderThanMs).length;
    },
    overflows: () => listenOverflows() - overflowsAtBreak,
    synSentSeen: () => synSent.size,
    async close() {
      await stopSampler();
      filler?.destroy();
      py.stdin.end();
      if (py.exitCode === null) {
        const exited = new Promise((resolve) => py.once('exit', resolve));
        py.kill();
        await exited;
      }
    },
  };
}

interface Sample { atMs: number; code: JwtCode }

/**
 * The common script: a good fetch and a verified token; the server breaks; announces are sampled
 * every 10 ms until past the set's expiry; the server heals; the new set must arrive in time.
 */
async function runFault(t: TestContext, makeEndpoint: (goodDoc: string) => Promise<Endpoint>): Promise<{ attempts: number }> {
  const k1 = await makeKey('k1');
  const k2 = await makeKey('k2');
  const endpoint = await makeEndpoint(JSON.stringify({ keys: [k1.jwk] }));
  const h = new Harness({
    jwkSetURI: endpoint.url,
    jwkUpdateIntervalMs: INTERVAL_MS,
    jwkTTLMs: TTL_MS,
    jwkFetchTimeoutMs: DEADLINE_MS,
    jwkRetryMinMs: RETRY_MIN_MS,
    jwkOnDemandGapMs: 60_000,
  });
  let collector: NodeJS.Timeout | null = null;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  try {
    await h.auth.start();
    await waitFor(() => h.auth.keySetVersion === 1, 5000, 'the first set'); // a loaded machine may miss one deadline
    const token = await mintQuay(k1);
    assert.equal(await h.ask(token), JWT_OK, 'token verified and cached');

    collector = setInterval(gc, 100);
    await endpoint.breakIt();
    const brokeAt = Date.now();
    loopDelay.enable();
    const samples: Sample[] = [];
    while (Date.now() < Math.max(brokeAt + INTERVAL_MS, endpoint.lastGoodSentMs() + FAULT_UNTIL_MS)) {
      samples.push({ atMs: Date.now(), code: h.send(token).code });
      await new Promise((r) => setTimeout(r, 10));
    }
    loopDelay.disable();
    const endedAt = Date.now();
    clearInterval(collector);
    collector = null;

    const good = endpoint.lastGoodSentMs();
    const early = samples.filter((s) => s.atMs <= good + USABLE_MS - SLACK_MS);
    const late = samples.filter((s) => s.atMs >= good + USABLE_MS + SLACK_MS);
    assert.ok(early.length >= 5 && late.length >= 2, `enough samples (${early.length} early, ${late.length} late)`);
    const refusedEarly = early.filter((s) => s.code !== JWT_OK);
    assert.equal(refusedEarly.length, 0,
      `announces kept working on the last good set until jwkTTL: ${refusedEarly.length} refused, the first ` +
      `${refusedEarly[0] ? refusedEarly[0].atMs - good : 0} ms after the last good fetch`);
    assert.ok(late.every((s) => s.code === JWT_UNAVAILABLE), 'announces fail closed once the set has expired');

    const attempts = endpoint.attemptTimesMs().filter((a) => a >= brokeAt && a <= endedAt);
    const gaps = attempts.map((a, i) => a - (i === 0 ? Math.max(good, brokeAt) : attempts[i - 1]!));
    gaps.push(endedAt - (attempts.at(-1) ?? brokeAt));
    const widest = Math.max(...gaps);
    t.diagnostic(`fault lasted ${endedAt - brokeAt} ms: ${attempts.length} attempts reached the server, ` +
      `widest gap ${widest} ms; event loop delay max ${(loopDelay.max / 1e6).toFixed(1)} ms`);
    assert.ok(attempts.length >= 4, `fetching went on during the fault: ${attempts.length} attempts in ${endedAt - brokeAt} ms`);
    assert.ok(widest <= INTERVAL_MS + SLACK_MS, `attempts on schedule: widest gap ${widest} ms`);
    const lingering = await endpoint.lingering(DEADLINE_MS + SLACK_MS);
    assert.equal(lingering, 0, `abandoned fetches closed their connections: ${lingering} still open past the deadline`);

    const healedAt = Date.now();
    await endpoint.heal(JSON.stringify({ keys: [k1.jwk, k2.jwk] }));
    await waitFor(() => h.auth.keySetVersion === 2, 5000, 'the healed server\'s set');
    const recoveryMs = Date.now() - healedAt;
    t.diagnostic(`recovered ${recoveryMs} ms after the server healed`);
    assert.ok(recoveryMs <= INTERVAL_MS + SLACK_MS, `recovery within one jwkUpdateInterval: ${recoveryMs} ms`);
    assert.equal(await h.ask(token), JWT_OK, 'announces work again');
    return { attempts: attempts.length };
  } finally {
    if (collector !== null) clearInterval(collector);
    await h.auth.close();
    await endpoint.close();
  }
}

test('fault: body trickled one byte per 500 ms', async (t) => {
  await runFault(t, (doc) => httpEndpoint('trickle', doc));
});

test('fault: headers, then nothing', async (t) => {
  await runFault(t, (doc) => httpEndpoint('silent', doc));
});

test('fault: 10 MB chunked body, no content-length', async (t) => {
  const clients = new ClientSockets();
  let ep: Awaited<ReturnType<typeof httpEndpoint>> | null = null;
  try {
    await runFault(t, async (doc) => (ep = await httpEndpoint('huge', doc)));
  } finally {
    clients.close();
  }
  // Each connection's bytesRead: headers, chunk framing and body, as far as the tracker read it.
  const read = clients.seen.map((c) => (c.remotePort === ep!.port ? c.socket.bytesRead : 0)).filter((n) => n > 64 * 1024);
  t.diagnostic(`bytes read on connections that got a 10 MB answer: ${read.join(', ')}; ` +
    `10 MB answers the server could finish writing: ${ep!.hugeFinished()}`);
  assert.ok(read.length >= 1, 'oversized responses were read');
  assert.ok(read.every((n) => n <= MAX_BODY_BYTES + 64 * 1024 + 4096),
    `reading stopped at the 1 MiB limit (within one socket read): ${read.join(', ')} bytes`);
});

test('fault: the server never accepts the connection (full accept queue)', { skip: !(hasPython3 && hasSs) && 'needs python3 and ss (iproute2)' }, async (t) => {
  const clients = new ClientSockets();
  let ep: Awaited<ReturnType<typeof neverAcceptEndpoint>> | null = null;
  try {
    await runFault(t, async (doc) => (ep = await neverAcceptEndpoint(doc, clients)));
  } finally {
    clients.close();
  }
  const dropped = ep!.overflows();
  t.diagnostic(`connections in SYN_SENT seen by ss: ${ep!.synSentSeen()}; SYNs dropped by full accept queues ` +
    `(TcpExt ListenOverflows, machine-wide) from the fault to the end: ${dropped}`);
  assert.ok(ep!.synSentSeen() >= 2 && dropped >= 2, 'the attempts\' SYNs reached the listening socket and were dropped');
});
