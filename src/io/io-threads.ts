// The I/O threads, started and watched from the main thread. io-01 starts first (so a UDP port 0 is
// resolved once, and every other thread binds the same port); an HTTP or HTTPS port 0 is resolved here
// before any thread starts, because uSockets sets SO_REUSEPORT only on a port it was given. A thread that dies
// after closing its sockets (its uncaught-exception handler does that) is restarted; when it owned
// shards (workers: 0) the other threads first settle their requests to it, and it repairs its tables.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { VerifyRequest } from '../auth/index.js';
import type { Config } from '../config/config.js';
import type { MeshMemory } from '../dispatch/mesh.js';
import type { ControlOp } from '../dispatch/shard-host.js';
import { reusePortSupport } from '../frontends/udp/reuseport.js';
import { allocateRequestStats, RequestStats } from '../stats/request-stats.js';
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';
import { bindHost } from '../util/listen.js';
import type { Log } from '../util/log.js';
import { threadName } from '../util/thread-name.js';
import type { FaultRequest, FromIo, IoThreadData, ToIo } from './io-messages.js';

const MAX_RESTARTS_IN_A_ROW = 3;
const STABLE_AFTER_MS = 5_000;
const EXIT_GRACE_MS = 2_000;

export interface IoThreadsOptions {
  config: Config;
  settings: SwarmSettings;
  shards: readonly ShardMemory[];
  mesh: MeshMemory;
  log: Log;
  whitelist: () => string[];
  /** The swarm cannot be restored, or a thread keeps dying: the process should exit non-zero. */
  onFatal: (err: Error) => void;
  faultInjection: boolean;
  /** The JWT key set's shared state, when JWT checks are on. */
  jwtKeySet: SharedArrayBuffer | null;
  /** Tokens I/O thread `index` could not answer from its cache. */
  onVerify: (index: number, items: VerifyRequest[]) => void;
}

interface IoThread {
  index: number;
  name: string;
  worker: Worker;
  startedAt: number;
  restartsInARow: number;
  tid: number;
  listening: Promise<ListeningPorts>;
}

export interface ListeningPorts {
  http: number | null;
  https: number | null;
  udp: number | null;
}

type Waiter = (m: FromIo) => void;

export class IoThreads {
  restarts = 0;
  /** How UDP is served: every thread with its own socket, or only io-01 (and why). */
  udpMode = '';
  readonly stats: RequestStats[];
  private readonly memories: SharedArrayBuffer[];
  private readonly threads: IoThread[] = [];
  private readonly connectionIdKey = randomBytes(32);
  private readonly workerFile = new URL('./io-thread.js', import.meta.url);
  private http: IoThreadData['http'] = null;
  private https: IoThreadData['https'] = null;
  private udp: IoThreadData['udp'] = null;
  private seq = 0;
  private readonly waiters = new Map<number, Waiter>();
  private closing = false;

  constructor(private readonly opts: IoThreadsOptions) {
    const n = opts.mesh.ioThreads;
    this.memories = Array.from({ length: n }, () => allocateRequestStats());
    this.stats = this.memories.map((m) => new RequestStats(m));
  }

  get count(): number {
    return this.threads.length;
  }

  get threadIds(): { name: string; tid: number }[] {
    return this.threads.map((t) => ({ name: t.name, tid: t.tid }));
  }

  /** The Worker objects (tests end one). */
  get workers(): Worker[] {
    return this.threads.map((t) => t.worker);
  }

  /** Starts every thread; resolves with the ports they listen on. */
  async start(): Promise<ListeningPorts> {
    const c = this.opts.config;
    const n = this.opts.mesh.ioThreads;
    const shared = async (addr: { host: string; port: number }): Promise<{ host: string; port: number }> =>
      ({ host: addr.host, port: addr.port === 0 && n > 1 ? await freeTcpPort(bindHost(addr.host)) : addr.port });
    if (c.httpListenAddr !== null) this.http = await shared(c.httpListenAddr);
    if (c.httpsListenAddr !== null) this.https = { ...await shared(c.httpsListenAddr), certPath: c.tlsCertPath, keyPath: c.tlsKeyPath };
    if (c.udpListenAddr !== null) {
      const support = reusePortSupport();
      const reusePort = n > 1 && support.ok;
      // Port 0 with SO_REUSEPORT would give every thread a port of its own: pick one for all of them.
      const port = c.udpListenAddr.port === 0 && reusePort ? await freeUdpPort(bindHost(c.udpListenAddr.host)) : c.udpListenAddr.port;
      this.udp = { ...c.udpListenAddr, port, reusePort };
      // The addon also batches reads and writes (recvmmsg/sendmmsg); without it node:dgram serves.
      const io = support.ok ? 'batched' : 'node:dgram';
      this.udpMode = n === 1 ? `one socket, ${io}` : reusePort ? `one SO_REUSEPORT socket per I/O thread (${n}), ${io}`
        : `one socket, on io-01 only, ${io} (${support.ok ? '' : support.reason})`;
    }
    const all: Promise<ListeningPorts>[] = [];
    for (let i = 0; i < n; i++) all.push(this.spawn(i, false, 0).listening);
    const [ports] = await Promise.all(all);
    if (this.udp !== null && ports!.udp !== null) this.udp.port = ports!.udp;
    return ports!;
  }

  private spawn(index: number, repair: boolean, restartsInARow: number): IoThread {
    const o = this.opts;
    const udp = this.udp === null || (!this.udp.reusePort && index > 0) ? null : this.udp;
    const data: IoThreadData = {
      index, config: o.config, settings: o.settings, shards: [...o.shards], mesh: o.mesh, stats: this.memories[index]!,
      connectionIdKey: this.connectionIdKey, http: this.http, https: this.https, udp, whitelist: o.whitelist(), repair,
      verbosity: o.log.verbosity, faultInjection: o.faultInjection, jwtKeySet: o.jwtKeySet,
    };
    const name = threadName('io', index);
    const worker = new Worker(this.workerFile, { workerData: data, name });
    let listened!: (p: ListeningPorts) => void;
    let failed!: (e: Error) => void;
    const t: IoThread = {
      index, name, worker, startedAt: Date.now(), restartsInARow, tid: 0,
      listening: new Promise((resolve, reject) => { listened = resolve; failed = reject; }),
    };
    t.listening.catch(() => {}); // a restart's failure is handled in onExit
    worker.on('message', (m: FromIo) => {
      if (m.type === 'listening') {
        t.tid = m.tid;
        listened({ http: m.http, https: m.https, udp: m.udp });
      } else if (m.type === 'jwt-verify') {
        o.onVerify(index, m.items);
      } else if (m.type === 'log') {
        o.log.info(m.line.replace(/^\S+ /, '').trimEnd()); // the thread already stamped it
      } else if (m.type === 'fatal') {
        o.log.info(`${name}: ${m.message}`);
        failed(new Error(m.message.split('\n')[0]!));
      } else if ('control' in m) {
        this.settle(m.control, m);
      } else if ('seq' in m) {
        this.settle(m.seq, m);
      }
    });
    worker.on('error', (err) => { o.log.info(`${name}: uncaught error: ${err.stack ?? err.message}`); failed(err); });
    worker.on('exit', (code) => void this.onExit(t, code));
    this.threads[index] = t;
    return t;
  }

  private async onExit(t: IoThread, code: number): Promise<void> {
    if (this.closing || this.threads[t.index] !== t) return;
    this.restarts++;
    const quickDeath = Date.now() - t.startedAt < STABLE_AFTER_MS;
    const inARow = quickDeath ? t.restartsInARow + 1 : 1;
    this.opts.log.info(`${t.name} exited (code ${code}); restarting it (restart ${this.restarts})`);
    if (inARow > MAX_RESTARTS_IN_A_ROW) {
      this.opts.onFatal(new Error(`${t.name} died ${inARow} times within ${STABLE_AFTER_MS} ms of starting`));
      return;
    }
    const owner = this.opts.mesh.ownersAreIo;
    if (owner) await this.ownerDied(t.index);
    if (this.closing) return;
    const next = this.spawn(t.index, owner, inARow);
    try {
      await next.listening;
    } catch (err) {
      this.opts.onFatal(new Error(`${t.name} could not restart: ${(err as Error).message}`));
    }
  }

  private request<T extends FromIo>(t: IoThread, make: (seq: number) => ToIo): Promise<T> {
    const seq = ++this.seq;
    return new Promise<T>((resolve) => {
      this.waiters.set(seq, resolve as Waiter);
      t.worker.postMessage(make(seq));
    });
  }

  private settle(seq: number, m: FromIo): void {
    const w = this.waiters.get(seq);
    if (w === undefined) return;
    this.waiters.delete(seq);
    w(m);
  }

  /**
   * Owner `owner` died: every other I/O thread delivers what it answered and fails what it left.
   * Resolves when all have (a thread that is itself gone has nothing to settle).
   */
  async ownerDied(owner: number): Promise<void> {
    const live = this.threads.filter((t) => !(this.opts.mesh.ownersAreIo && t.index === owner));
    await Promise.all(live.map((t) => this.request(t, (seq) => ({ type: 'owner-died', owner, seq }))));
  }

  /** An admin operation on the I/O thread that owns the torrent (workers: 0). */
  async control(owner: number, op: ControlOp, infoHash: Buffer): Promise<unknown> {
    const r = await this.request<Extract<FromIo, { type: 'control' }>>(this.threads[owner]!,
      (control) => ({ type: 'control', control, op, infoHash }));
    if (r.error !== undefined) throw new Error(r.error);
    return r.result;
  }

  /** To one thread; dropped when it is not running (a restarting thread re-asks what it needs). */
  post(index: number, m: ToIo): void {
    this.threads[index]?.worker.postMessage(m);
  }

  /** To every thread but `except`. */
  broadcast(m: ToIo, except = -1): void {
    for (const t of this.threads) if (t.index !== except) t.worker.postMessage(m);
  }

  whitelist(op: 'add' | 'remove', clientId: string): void {
    for (const t of this.threads) t.worker.postMessage({ type: 'whitelist', op, clientId } satisfies ToIo);
  }

  /** Tests only (faultInjection): a failure in thread `index`. */
  fault(index: number, what: FaultRequest['what'], offsetMs = 0): void {
    this.threads[index]!.worker.postMessage({ type: 'fault', what, offsetMs } satisfies ToIo);
  }

  /**
   * Stops accepting on every thread, lets in-flight requests finish for up to `graceMs` (all threads
   * at once: a request may wait on another thread's shard), then closes every socket and waits for
   * every thread to end.
   */
  async stop(graceMs: number): Promise<void> {
    this.closing = true;
    const ended = this.threads.map((t) => new Promise<void>((resolve) => {
      if (t.worker.threadId === -1) resolve();
      else t.worker.once('exit', () => resolve());
    }));
    const ask = (t: IoThread, m: ToIo, until: FromIo['type']): Promise<void> => new Promise((resolve) => {
      const on = (r: FromIo): void => {
        if (r.type === until) { t.worker.off('message', on); resolve(); }
      };
      t.worker.on('message', on);
      t.worker.once('exit', () => resolve());
      t.worker.postMessage(m);
    });
    await Promise.all(this.threads.map((t) => ask(t, { type: 'stop-listening' }, 'stopped-listening')));
    await Promise.all(this.threads.map((t) => ask(t, { type: 'drain', graceMs }, 'drained')));
    for (const t of this.threads) t.worker.postMessage({ type: 'exit' } satisfies ToIo);
    // A thread ends by itself once its sockets are closed; one that lingers (a handle we did not see)
    // is terminated, which is safe now that its uWS app is closed.
    const lingering = setTimeout(() => { for (const t of this.threads) void t.worker.terminate(); }, EXIT_GRACE_MS);
    await Promise.all(ended);
    clearTimeout(lingering);
  }
}

/** A UDP port free a moment ago on `host` (the OS picks it; every I/O thread then binds it). */
function freeUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.once('error', reject);
    sock.bind(0, host === '' ? undefined : host, () => {
      const port = sock.address().port;
      sock.close(() => resolve(port));
    });
  });
}

/** A TCP port free a moment ago on `host` (the OS picks it; every I/O thread then binds it). */
function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host === '' ? undefined : host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
