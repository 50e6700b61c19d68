// A paced announce load against a real tracker: keep-alive HTTP connections and UDP sockets walking one
// pool of peers, each protocol at its own rate (token buckets), every request's fate reported to an
// observer. Bounded twice: by `durationMs` and by `maxRequests`; stop() ends it early. The chaos tests
// run it in the background while they break things; the soak runs it for minutes.
import { AnnouncePool, PoolCursor, type AnnouncePoolOptions } from './announce-pool.js';
import { HttpLane, type LaneEnv } from './http-lane.js';
import type { AnnounceObserver } from './observer.js';
import { Pacer } from './pacer.js';
import { UdpLane } from './udp-lane.js';

const SWEEP_MS = 20;

export interface PacedLoadOptions {
  host: string;
  /** Where the UDP tracker is, when not on `host`. */
  udpHost?: string;
  /** null: no HTTP load. */
  httpPort: number | null;
  /** null: no UDP load. */
  udpPort: number | null;
  pool: AnnouncePoolOptions;
  /** Announces per second over HTTP and over UDP (Infinity: as fast as the lanes get answers). */
  httpRate: number;
  udpRate: number;
  httpConnections: number;
  udpSockets: number;
  /** Announces in flight per UDP socket. */
  udpWindow: number;
  /** A request unanswered for this long is lost (`timeout`). */
  timeoutMs: number;
  durationMs: number;
  /** Stop after this many announces were sent (Infinity: only the duration bounds it). */
  maxRequests: number;
  /** The part of the pool this load walks (default: all of it), for generators sharing a pool. */
  span?: { first: number; count: number };
}

export class PacedLoad {
  readonly pool: AnnouncePool;
  readonly cursor: PoolCursor;
  readonly httpPacer: Pacer | null;
  readonly udpPacer: Pacer | null;
  /** Resolves when every lane has finished (stopped, out of requests, or the duration is over). */
  readonly finished: Promise<void>;
  private readonly httpLanes: HttpLane[] = [];
  private readonly udpLanes: UdpLane[] = [];
  private readonly sweeper: NodeJS.Timeout;
  private readonly deadline: NodeJS.Timeout;
  private stopped = false;

  constructor(readonly opts: PacedLoadOptions, observer: AnnounceObserver) {
    this.pool = new AnnouncePool(opts.pool);
    this.cursor = new PoolCursor(this.pool.size, opts.maxRequests, opts.span?.first ?? 0, opts.span?.count ?? this.pool.size);
    this.httpPacer = opts.httpPort === null || opts.httpConnections === 0 ? null : new Pacer(opts.httpRate);
    this.udpPacer = opts.udpPort === null || opts.udpSockets === 0 ? null : new Pacer(opts.udpRate);
    let running = 0;
    let allIdle!: () => void;
    this.finished = new Promise<void>((resolve) => { allIdle = resolve; });
    const idle = (): void => {
      if (--running === 0) allIdle();
    };
    const env = (port: number, pacer: Pacer, host = opts.host): LaneEnv => ({ host, port, pool: this.pool, cursor: this.cursor, pacer, observer, idle });
    if (this.httpPacer !== null) {
      for (let i = 0; i < opts.httpConnections; i++) this.httpLanes.push(new HttpLane(env(opts.httpPort!, this.httpPacer)));
    }
    if (this.udpPacer !== null) {
      for (let i = 0; i < opts.udpSockets; i++) this.udpLanes.push(new UdpLane(env(opts.udpPort!, this.udpPacer, opts.udpHost), opts.udpWindow));
    }
    running = this.httpLanes.length + this.udpLanes.length;
    if (running === 0) allIdle();
    this.sweeper = setInterval(() => {
      const now = performance.now();
      for (const l of this.httpLanes) l.sweep(now, opts.timeoutMs);
      for (const l of this.udpLanes) l.sweep(now, opts.timeoutMs);
    }, SWEEP_MS);
    this.deadline = setTimeout(() => void this.stop(), opts.durationMs);
    void this.finished.then(() => this.cleanup());
    for (const l of this.httpLanes) l.start();
    for (const l of this.udpLanes) l.start();
  }

  /** Announces handed out so far. */
  get sent(): number {
    return this.cursor.issued;
  }

  /** UDP replies that came after their request had timed out. */
  get udpLate(): number {
    let n = 0;
    for (const l of this.udpLanes) n += l.late;
    return n;
  }

  /** Sends nothing more; resolves once every request in flight is answered or timed out. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.httpPacer?.stop();
      this.udpPacer?.stop();
      for (const l of this.httpLanes) l.stop();
      for (const l of this.udpLanes) l.stop();
    }
    await this.finished;
  }

  private cleanup(): void {
    clearInterval(this.sweeper);
    clearTimeout(this.deadline);
    this.httpPacer?.stop();
    this.udpPacer?.stop();
  }
}
