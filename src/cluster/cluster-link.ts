// The cluster link as the main thread sees it (cluster mode): starts the link thread, restarts it if it
// dies (its outbox is lost, so it republishes this instance's peers after joining again), and answers
// for it: /check says `syncing` (503) until the swarms were loaded from Redis, so a load balancer does
// not send traffic to an instance that would answer from empty tables; /stats and /metrics read its
// figures from shared memory.
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import type { MeshMemory } from '../dispatch/mesh.js';
import type { SwarmSettings } from '../swarm/settings.js';
import { formatElapsed } from '../util/duration-format.js';
import type { Log } from '../util/log.js';
import type { ClusterThreadData, FromCluster } from './cluster-messages.js';
import { allocateLinkState, LinkSlot, LinkState } from './link-state.js';

/** The stream keeps the peer lifetime plus this, for clocks that disagree a little. */
const CLOCK_SKEW_MARGIN_MS = 60_000;
const RESTART_DELAY_MS = 1_000;

/** /stats `cluster`, and what /metrics' hayate_cluster_* read. */
export interface ClusterStats {
  link: 'up' | 'down';
  downSince: string | null;
  synced: boolean;
  changesPublished: number;
  batchesPublished: number;
  changesReceived: number;
  changesDropped: number;
  outboxChanges: number;
  republishes: number;
  dataLosses: number;
  joinChanges: number;
  joinMs: number;
  lagMs: { P50: number; P99: number };
  linkRestarts: number;
  threadId: number;
}

export class ClusterLink {
  readonly state: LinkState;
  restarts = 0;
  private worker: Worker | null = null;
  private closing = false;
  private synced = false;
  private gaveUp = false;
  private readonly giveUp: NodeJS.Timeout;
  private readonly memory = allocateLinkState();
  private readonly workerFile = new URL('./cluster-thread.js', import.meta.url);

  constructor(private readonly config: Config, private readonly settings: SwarmSettings, private readonly mesh: MeshMemory,
    private readonly log: Log) {
    this.state = new LinkState(this.memory);
    // Redis unreachable at start must not keep every instance out of service: after redisSyncTimeout the
    // instance serves what it has (and loads the swarms whenever Redis answers).
    this.giveUp = setTimeout(() => {
      if (this.synced) return;
      this.gaveUp = true;
      log.info(`cluster: swarms not loaded from redis after ${formatElapsed(config.redisSyncTimeoutMs)}: reporting ready anyway`);
    }, config.redisSyncTimeoutMs);
    this.giveUp.unref();
  }

  start(): void {
    this.spawn(false);
  }

  private spawn(republish: boolean): void {
    const c = this.config;
    const data: ClusterThreadData = {
      redis: {
        url: c.redisURL, cluster: c.redisCluster, prefix: c.redisKeyPrefix, tickMs: c.redisTickMs,
        outboxChanges: c.redisOutboxChanges, connectTimeoutMs: 2_000, reconnectMs: 250,
      },
      mesh: this.mesh,
      shards: this.settings.torrentMapShards,
      windowMs: this.settings.maxIdleMs + CLOCK_SKEW_MARGIN_MS,
      state: this.memory,
      republishAfterJoin: republish,
    };
    const w = new Worker(this.workerFile, { workerData: data, name: 'cluster-01' });
    w.on('message', (m: FromCluster) => {
      if (m.type === 'log') this.log.at(m.level, m.line);
      else if (m.type === 'synced') {
        if (!this.synced) this.log.info(`cluster: ${m.changes} changes loaded from redis in ${formatElapsed(m.ms)}`);
        this.synced = true;
      }
    });
    w.on('error', (err) => this.log.info(`cluster-01: uncaught error: ${err.stack ?? err.message}`));
    w.on('exit', (code) => {
      if (this.closing || this.worker !== w) return;
      this.restarts++;
      this.log.info(`cluster-01 exited (code ${code}); restarting it in ${RESTART_DELAY_MS} ms`);
      setTimeout(() => { if (!this.closing) this.spawn(true); }, RESTART_DELAY_MS).unref();
    });
    this.worker = w;
  }

  /** For /check: 503 `syncing` until the swarms were loaded (or redisSyncTimeout passed). */
  health(): { ok: true } | { ok: false; reason: string } {
    return this.synced || this.gaveUp ? { ok: true } : { ok: false, reason: 'syncing' };
  }

  /** For /stats. */
  statsObject(): ClusterStats {
    const s = this.state;
    const down = s.get(LinkSlot.DownSinceMs);
    return {
      link: s.get(LinkSlot.Connected) === 1 ? 'up' : 'down',
      downSince: down > 0 ? new Date(down).toISOString() : null,
      synced: s.get(LinkSlot.Synced) === 1,
      changesPublished: s.get(LinkSlot.ChangesPublished),
      batchesPublished: s.get(LinkSlot.BatchesPublished),
      changesReceived: s.get(LinkSlot.ChangesReceived),
      changesDropped: s.get(LinkSlot.ChangesDropped),
      outboxChanges: s.get(LinkSlot.OutboxChanges),
      republishes: s.get(LinkSlot.Republishes),
      dataLosses: s.get(LinkSlot.DataLosses),
      joinChanges: s.get(LinkSlot.JoinChanges),
      joinMs: Math.round(s.get(LinkSlot.JoinMs)),
      lagMs: { P50: s.lag.percentileMicros(0.5) / 1000, P99: s.lag.percentileMicros(0.99) / 1000 },
      linkRestarts: this.restarts,
      threadId: s.get(LinkSlot.ThreadId),
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.giveUp);
    const w = this.worker;
    if (w === null) return;
    const ended = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ type: 'close' });
    const t = setTimeout(() => void w.terminate(), 4_000); // no uWS in this thread: terminating it is safe
    await ended;
    clearTimeout(t);
  }
}
