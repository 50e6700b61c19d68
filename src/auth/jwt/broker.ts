// The one verification pool of the process, on the main thread: checkers (one per I/O thread) send it
// the tokens their caches did not know; it verifies each distinct token once, whoever asked, on piscina
// worker threads (RSA never runs on an I/O thread), and sends back what became of it. Tokens wait in a
// fair queue, per source address, so a flood of forged tokens from a few addresses cannot starve new
// clients; the pool is fed only as it frees up (tasksPerWorker batches in flight per thread), which is
// what gives the queue its say. It also keeps the JWK set (JwkSetSource) and publishes its state to
// the checkers: fail closed once the set has expired.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { FairQueue } from './fair-queue.js';
import { JwkSetSource, type JwkHealth, type JwkSetSnapshot } from './jwk-set.js';
import type { JwtLog } from './log.js';
import type { VerifyBatch, VerifyResult } from './messages.js';
import { SharedKeySetView, type VerifyOutcome, type VerifyRequest } from './verify-protocol.js';

/** How often the key set's state is copied to shared memory (it only changes when a fetch ends). */
const PUBLISH_EVERY_MS = 250;

export interface VerificationBrokerOptions {
  jwkSetURI: string;
  jwtAudience: string;
  /** Required `iss`; "" = the JWK set's `issuer` member when it has one, else no iss check. */
  jwtIssuer: string;
  jwkUpdateIntervalMs: number;
  jwkTTLMs: number;
  jwtWorkers: number;
  /** Outcomes for the checker `client` (its own requests). */
  deliver: (client: number, outcomes: VerifyOutcome[]) => void;
  /** Positive outcomes for every checker's cache (except `except`, which got them through deliver). */
  teach: (outcomes: VerifyOutcome[], except: number) => void;
  /** Where checkers on other threads read the key set's state (SharedKeySetView), kept current here. */
  keySetMemory?: SharedArrayBuffer;
  /** Distinct tokens waiting in all (default 4096); more → busy. */
  maxQueue?: number;
  /** Distinct tokens one source may have waiting (default 16); more from it → busy. */
  maxPerSource?: number;
  /** Most tokens per piscina task (default 32). */
  batchMax?: number;
  /** Tasks in flight per verification thread (default 2). */
  tasksPerWorker?: number;
  clockToleranceSec?: number;
  jwkFetchTimeoutMs?: number;
  jwkRetryMinMs?: number;
  jwkOnDemandGapMs?: number;
  log?: JwtLog;
  now: () => number;
  fetch?: typeof fetch;
}

/** What the broker counts, for /stats and /metrics. */
export interface BrokerCounters {
  /** Distinct tokens verified (RSA work done). */
  verifications: number;
  /** piscina tasks those travelled in. */
  batches: number;
  /** Requests for a token already queued or being verified (any thread). */
  coalesced: number;
  /** Refused because the queue, or the source's share, was full. */
  busy: number;
}

interface Job {
  readonly token: string;
  readonly version: number;
  readonly set: JwkSetSnapshot;
  /** Checkers waiting for it, each with the key-set versions it asked under (usually one). */
  readonly clients: Map<number, Set<number>>;
}

const WORKER_FILE = fileURLToPath(new URL('./verify-task.js', import.meta.url));

export class VerificationBroker {
  readonly counters: BrokerCounters = { verifications: 0, batches: 0, coalesced: 0, busy: 0 };
  readonly source: JwkSetSource;
  private pool: Piscina<VerifyBatch, VerifyResult[]> | null = null;
  private readonly queue: FairQueue<Job>;
  /** Queued or in a task, by token. */
  private readonly jobs = new Map<string, Job>();
  private tasksInFlight = 0;
  private closed = false;
  private readonly outbox = new Map<number, VerifyOutcome[]>();
  private taught: { outcomes: VerifyOutcome[]; except: number }[] = [];
  private flushScheduled = false;
  private readonly flushOutbox = (): void => this.flush();
  private readonly view: SharedKeySetView | null;
  private publisher: NodeJS.Timeout | null = null;
  private readonly maxTasks: number;
  private readonly batchMax: number;
  private readonly toleranceSec: number;

  constructor(private readonly opts: VerificationBrokerOptions) {
    if (opts.jwkSetURI === '') throw new Error('VerificationBroker needs a jwkSetURI');
    if (!Number.isInteger(opts.jwtWorkers) || opts.jwtWorkers < 1) throw new RangeError('jwtWorkers must be an integer >= 1');
    this.queue = new FairQueue(opts.maxQueue ?? 4096, opts.maxPerSource ?? 16);
    this.view = opts.keySetMemory === undefined ? null : new SharedKeySetView(opts.keySetMemory);
    this.maxTasks = opts.jwtWorkers * (opts.tasksPerWorker ?? 2);
    this.batchMax = Math.max(1, opts.batchMax ?? 32);
    this.toleranceSec = opts.clockToleranceSec ?? 30;
    this.source = new JwkSetSource({
      uri: opts.jwkSetURI,
      updateIntervalMs: opts.jwkUpdateIntervalMs,
      ttlMs: opts.jwkTTLMs,
      timeoutMs: opts.jwkFetchTimeoutMs,
      retryMinMs: opts.jwkRetryMinMs,
      onDemandGapMs: opts.jwkOnDemandGapMs,
      now: opts.now,
      log: opts.log,
      fetch: opts.fetch,
      onFetched: () => this.publishKeySet(),
    });
  }

  /** Starts the verification threads and the key-set refresh; resolves after the first fetch attempt. */
  async start(): Promise<void> {
    if (this.closed) throw new Error('VerificationBroker is closed');
    if (this.pool === null) {
      this.pool = new Piscina<VerifyBatch, VerifyResult[]>({
        filename: WORKER_FILE,
        minThreads: this.opts.jwtWorkers,
        maxThreads: this.opts.jwtWorkers,
        // Our own bound (maxTasks) is the real one; piscina's queue never fills.
        maxQueue: this.maxTasks,
        concurrentTasksPerWorker: Math.max(1, Math.ceil(this.maxTasks / this.opts.jwtWorkers)),
        workerData: { threadCounter: new SharedArrayBuffer(4) }, // names the threads jwt-01, jwt-02, ...
      });
    }
    await this.source.start();
    this.publishKeySet();
    if (this.view !== null && this.publisher === null) {
      this.publisher = setInterval(() => this.publishKeySet(), PUBLISH_EVERY_MS);
      this.publisher.unref();
    }
  }

  private publishKeySet(): void {
    this.view?.publish(this.source.version, this.source.usableUntilMs);
  }

  /** The key set version in use, or -1 when none is usable at `nowMs` (never fetched, or expired). */
  usableVersion(nowMs: number): number {
    const set = this.source.current(nowMs);
    return set === null ? -1 : set.version;
  }

  health(nowMs: number = this.opts.now()): JwkHealth {
    return this.source.health(nowMs);
  }

  /** Tokens checker `client` could not answer from its cache. Outcomes arrive through `deliver`. */
  request(client: number, items: VerifyRequest[]): void {
    const now = this.opts.now();
    const set = this.source.current(now);
    for (const { token, source, asked } of items) {
      if (set === null || this.pool === null || this.closed) {
        this.post(client, { token, asked, version: set?.version ?? -1, unavailable: true });
        continue;
      }
      const job = this.jobs.get(token);
      if (job !== undefined && job.version === set.version) {
        const versions = job.clients.get(client);
        if (versions === undefined) job.clients.set(client, new Set([asked]));
        else versions.add(asked);
        this.counters.coalesced++;
        continue;
      }
      const fresh: Job = { token, version: set.version, set, clients: new Map([[client, new Set([asked])]]) };
      if (!this.queue.push(source, fresh)) {
        this.counters.busy++;
        this.post(client, { token, asked, version: set.version, busy: true });
        continue;
      }
      this.jobs.set(token, fresh);
    }
    this.feed();
  }

  /** Hands queued tokens to the pool while it has room: batches of one key set, fairly picked. */
  private feed(): void {
    const pool = this.pool;
    while (pool !== null && this.tasksInFlight < this.maxTasks && this.queue.size > 0) {
      const group: Job[] = [];
      for (let j = this.queue.shift(); j !== undefined; j = group.length < this.batchMax ? this.queue.shift() : undefined) {
        if (group.length > 0 && j.set !== group[0]!.set) { // a batch shares one key set: send what we have
          this.send(pool, group.splice(0));
        }
        group.push(j);
      }
      if (group.length > 0) this.send(pool, group);
    }
  }

  private send(pool: Piscina<VerifyBatch, VerifyResult[]>, group: Job[]): void {
    const set = group[0]!.set;
    this.tasksInFlight++;
    this.counters.batches++;
    this.counters.verifications += group.length;
    const batch: VerifyBatch = {
      tokens: group.map((j) => j.token),
      audience: this.opts.jwtAudience,
      issuer: this.opts.jwtIssuer !== '' ? this.opts.jwtIssuer : set.issuer,
      jwks: set.text,
      jwksVersion: set.version,
      nowSec: this.opts.now() / 1000,
      clockToleranceSec: this.toleranceSec,
    };
    pool.run(batch).then(
      (results) => this.finish(group, (i) => ({ result: results[i]! })),
      (err: unknown) => {
        if (!this.closed) this.opts.log?.(0, `jwt: verification failed: ${err instanceof Error ? err.message : String(err)}`);
        this.finish(group, () => ({ unavailable: true }));
      },
    );
  }

  private finish(group: Job[], outcomeOf: (i: number) => { result: VerifyResult } | { unavailable: true }): void {
    this.tasksInFlight--;
    for (let i = 0; i < group.length; i++) {
      const job = group[i]!;
      if (this.jobs.get(job.token) === job) this.jobs.delete(job.token);
      const what = outcomeOf(i);
      for (const [client, versions] of job.clients) {
        for (const asked of versions) this.post(client, { token: job.token, asked, version: job.version, ...what });
      }
      if ('result' in what) {
        const o: VerifyOutcome = { token: job.token, asked: -1, version: job.version, ...what };
        if (what.result.ok) this.teachLater(o, job.clients.size === 1 ? [...job.clients.keys()][0]! : -1);
        else if (what.result.check === 'kid') void this.source.requestRefresh()?.then(() => this.publishKeySet());
      }
    }
    this.feed();
  }

  private post(client: number, o: VerifyOutcome): void {
    let list = this.outbox.get(client);
    if (list === undefined) this.outbox.set(client, (list = []));
    list.push(o);
    this.schedule();
  }

  private teachLater(o: VerifyOutcome, except: number): void {
    const last = this.taught[this.taught.length - 1];
    if (last !== undefined && last.except === except) last.outcomes.push(o);
    else this.taught.push({ outcomes: [o], except });
    this.schedule();
  }

  /** Outcomes leave in one message per checker per event-loop turn. */
  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushOutbox);
  }

  private flush(): void {
    this.flushScheduled = false;
    const out = [...this.outbox];
    this.outbox.clear();
    const taught = this.taught;
    this.taught = [];
    // Teach first: a client answered through `deliver` may come back on another thread at once.
    for (const t of taught) this.opts.teach(t.outcomes, t.except);
    for (const [client, outcomes] of out) this.opts.deliver(client, outcomes);
  }

  /** Stops refreshing, answers everything still queued as unavailable, destroys the pool. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.publisher !== null) clearInterval(this.publisher);
    this.view?.publish(0, 0); // fail closed
    this.source.close();
    for (const job of this.queue.drain()) {
      this.jobs.delete(job.token);
      for (const [client, versions] of job.clients) {
        for (const asked of versions) this.post(client, { token: job.token, asked, version: job.version, unavailable: true });
      }
    }
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.destroy();
    this.flush();
  }
}
