// Wires one tracker instance on the main thread: the shard tables and the mesh of rings, the swarm
// workers and the I/O threads, the admin API and its stats, the JWT checks. The main thread serves no
// tracker request itself: it starts and watches the threads, and answers the admin API. Used by main.ts
// and, in-process on free ports, by the end-to-end tests.
import { availableParallelism } from 'node:os';
import { AdminApi, type HealthProbe } from './api/admin-api.js';
import { checkTlsFiles } from './config/tls-files.js';
import { ClientWhitelist, coarseNow, SharedKeySetView, startCoarseClock, VerificationBroker } from './auth/index.js';
import { MAX_AUTO_IO_THREADS, type Config } from './config/config.js';
import type { SwarmControl } from './dispatch/dispatcher.js';
import { allocateMesh, ownerOfShard, type MeshMemory } from './dispatch/mesh.js';
import { MeshOccupancy } from './dispatch/mesh-occupancy.js';
import type { ControlOp } from './dispatch/shard-host.js';
import { SwarmPool } from './dispatch/swarm-pool.js';
import type { FaultRequest } from './io/io-messages.js';
import { IoThreads } from './io/io-threads.js';
import { ClusterLink } from './cluster/cluster-link.js';
import { clusterMetrics } from './cluster/cluster-metrics.js';
import { PrometheusExporter } from './stats/prometheus.js';
import { MemStats } from './stats/mem-stats.js';
import { RequestStats } from './stats/request-stats.js';
import { renderStats, statsObject } from './stats/stats-json.js';
import type { TorrentSummary } from './swarm/peer-store.js';
import { swarmSettingsOf, type SwarmSettings } from './swarm/settings.js';
import { shardOf } from './swarm/shard-of.js';
import { Shard, type ShardMemory } from './swarm/shard.js';
import { SwarmTotalsReader } from './swarm/swarm-totals.js';
import type { Log } from './util/log.js';
import { LOOP_DELAY_SLOTS, LoopDelayMonitor } from './util/loop-delay.js';
import { threadName } from './util/thread-name.js';

export interface TrackerPorts {
  api: number | null;
  http: number | null;
  https: number | null;
  udp: number | null;
}

export interface TrackerOptions {
  /** Called when the swarm cannot be restored or a thread keeps dying (the process should exit non-zero). */
  onFatal?: (err: Error) => void;
  /** Tests only: the I/O threads honour fault requests (Tracker.injectFault). */
  faultInjection?: boolean;
}

/** The I/O thread count: `ioThreads`, or for 0 one per CPU this process may use, capped. */
export function ioThreadsOf(config: Config): number {
  return config.ioThreads > 0 ? config.ioThreads : Math.max(1, Math.min(availableParallelism(), MAX_AUTO_IO_THREADS));
}

export class Tracker implements SwarmControl {
  readonly ports: TrackerPorts = { api: null, http: null, https: null, udp: null };
  readonly started = new Date();
  readonly whitelist: ClientWhitelist;
  readonly settings: SwarmSettings;
  readonly io: IoThreads;
  readonly pool: SwarmPool | null;
  private readonly shards: readonly ShardMemory[];
  private readonly mesh: MeshMemory;
  private readonly totals: SwarmTotalsReader;
  private api: AdminApi | null = null;
  private memStats: MemStats | null = null;
  private readonly mainLoopDelay = new Float64Array(LOOP_DELAY_SLOTS);
  private loopDelay: LoopDelayMonitor | null = null;
  /** GET /metrics; other parts add their own metrics here (PrometheusExporter.add). */
  readonly metrics: PrometheusExporter;
  private readonly health: HealthProbe[] = [];
  /** The one JWT verification pool (when `jwkSetURI` is set); each I/O thread has its own cache. */
  readonly jwt: VerificationBroker | null;
  /** Cluster mode (when `redisURL` is set): the link to the other instances' swarms. */
  readonly cluster: ClusterLink | null;

  private constructor(readonly config: Config, readonly log: Log, options: TrackerOptions) {
    const onFatal = options.onFatal ?? ((err: Error) => log.info(`fatal: ${err.message}`));
    this.whitelist = new ClientWhitelist(config.clientWhitelistEnabled, config.clientWhitelist);
    this.mesh = allocateMesh(ioThreadsOf(config), config.workers, config.redisURL !== '');
    // Every owner needs a shard of its own to be of use: fewer shards than owners are raised (logged).
    this.settings = { ...swarmSettingsOf(config), torrentMapShards: Math.max(config.torrentMapShards, this.mesh.owners) };
    this.shards = Shard.allocateAll(this.settings);
    this.totals = new SwarmTotalsReader(this.shards);
    const jwtKeySet = config.jwkSetURI === '' ? null : SharedKeySetView.allocate();
    this.jwt = jwtKeySet === null ? null : new VerificationBroker({
      jwkSetURI: config.jwkSetURI, jwtAudience: config.jwtAudience, jwtIssuer: config.jwtIssuer,
      jwkUpdateIntervalMs: config.jwkUpdateIntervalMs, jwkTTLMs: config.jwkTTLMs, jwtWorkers: config.jwtWorkers,
      keySetMemory: jwtKeySet,
      deliver: (client, outcomes) => this.io.post(client, { type: 'jwt-outcomes', outcomes }),
      teach: (outcomes, except) => this.io.broadcast({ type: 'jwt-outcomes', outcomes }, except),
      log: (level, message) => log.at(level, message),
      now: coarseNow,
    });
    if (this.jwt !== null) this.health.push(() => this.jwt!.health());
    this.io = new IoThreads({
      config, settings: this.settings, shards: this.shards, mesh: this.mesh, log, onFatal,
      whitelist: () => this.whitelist.list(), faultInjection: options.faultInjection === true,
      jwtKeySet, onVerify: (index, items) => this.jwt?.request(index, items),
    });
    this.cluster = config.redisURL === '' ? null : new ClusterLink(config, this.settings, this.mesh, log);
    if (this.cluster !== null) this.health.push(() => this.cluster!.health());
    this.pool = this.mesh.ownersAreIo ? null : new SwarmPool(this.settings, this.shards, this.mesh, log, {
      ownerDied: (owner) => this.io.ownerDied(owner),
      onFatal,
    });
    this.metrics = this.prometheus();
    if (this.cluster !== null) for (const m of clusterMetrics(this.cluster)) this.metrics.add(m);
  }

  private prometheus(): PrometheusExporter {
    const rings = new MeshOccupancy(this.mesh);
    const owner = (j: number): string => this.mesh.ownersAreIo ? `io-${String(j + 1).padStart(2, '0')}` : `swarm-${String(j + 1).padStart(2, '0')}`;
    return new PrometheusExporter({
      ioThreads: () => this.io.stats.map((stats, i) => ({ name: `io-${String(i + 1).padStart(2, '0')}`, stats })),
      swarm: () => this.totals.read(),
      sweeps: () => this.totals.sweeps(),
      rings: () => rings.read().map((r) => ({ ...r, owner: owner(r.owner) })),
      swarmWorkers: () => (this.pool?.loopDelays ?? []).map((loopDelay, j) => ({ name: owner(j), loopDelay })),
      mainLoopDelay: this.mainLoopDelay,
      restarts: () => ({ io: this.io.restarts, swarm: this.pool?.restarts ?? 0 }),
      jwt: this.jwt === null ? null : () => {
        const b = this.jwt!;
        return { ...b.counters, keySetFetchedAtMs: b.source.lastGoodAtMs, keySetUsable: b.source.current() !== null };
      },
    });
  }

  /** Starts every thread and listener; rejects (after closing what started) when one cannot start. */
  static async start(config: Config, log: Log, options: TrackerOptions = {}): Promise<Tracker> {
    checkTlsFiles(config, []); // a config not read by load.ts (tests, embedders) is checked too
    const t = new Tracker(config, log, options);
    try {
      if (t.settings.torrentMapShards !== config.torrentMapShards) {
        log.at(1, `torrentMapShards raised from ${config.torrentMapShards} to ${t.settings.torrentMapShards}: one per shard owner at least`);
      }
      t.cluster?.start(); // loads the swarms in the background; /check says `syncing` meanwhile
      if (t.jwt !== null) {
        startCoarseClock();
        await t.jwt.start(); // first JWK set fetch attempted (announces fail closed until one succeeds)
      }
      // The swarm workers and the I/O threads start together (requests queue on the rings meanwhile).
      const [ports] = await Promise.all([t.io.start(), t.pool?.ready()]);
      t.ports.http = ports.http;
      t.ports.https = ports.https;
      t.ports.udp = ports.udp;
      await t.listenApi();
    } catch (err) {
      await t.stop();
      throw err;
    }
    return t;
  }

  private async listenApi(): Promise<void> {
    const c = this.config;
    if (c.apiListenAddr === null) return;
    if (c.includeMemStats) this.memStats = new MemStats(c.memStatsIntervalMs, c.verboseMemStats);
    this.loopDelay = new LoopDelayMonitor(this.mainLoopDelay);
    this.api = new AdminApi({
      control: this,
      whitelist: {
        allows: (id) => this.whitelist.allows(id),
        add: (id) => { this.whitelist.add(id); this.io.whitelist('add', id); },
        remove: (id) => { const had = this.whitelist.remove(id); this.io.whitelist('remove', id); return had; },
      },
      stats: (query) => renderStats(this.statsDocument(), query),
      metrics: this.metrics,
      health: this.health,
      log: this.log,
      readTimeoutMs: c.apiReadTimeoutMs,
    });
    this.ports.api = await this.api.listen(c.apiListenAddr);
  }

  /** Every I/O thread's counters, summed. */
  requestTotals(): RequestStats {
    const sum = new RequestStats();
    for (const s of this.io.stats) sum.add(s);
    return sum;
  }

  statsDocument(): Record<string, unknown> {
    const doc = statsObject(this.started, this.requestTotals(), this.totals.read(), this.memStats, {
      swarmWorkerRestarts: this.pool?.restarts ?? 0,
      ioThreadRestarts: this.io.restarts,
      ioThreads: this.io.stats.map((stats, i) => ({ name: threadName('io', i), stats })),
      jwtBroker: this.jwt?.counters ?? null,
    });
    if (this.cluster !== null) doc.cluster = this.cluster.statsObject();
    return doc;
  }

  // SwarmControl: admin operations, run by the thread that owns the torrent.

  private control(op: ControlOp, infoHash: Buffer): Promise<unknown> {
    const owner = ownerOfShard(shardOf(infoHash, 0, this.settings.torrentMapShards), this.mesh.owners);
    return this.pool !== null ? this.pool.control(owner, op, infoHash) : this.io.control(owner, op, infoHash);
  }

  async describe(infoHash: Buffer): Promise<TorrentSummary | null> {
    return (await this.control('describe', infoHash)) as TorrentSummary | null;
  }

  async create(infoHash: Buffer): Promise<boolean> {
    return (await this.control('create', infoHash)) as boolean;
  }

  async remove(infoHash: Buffer): Promise<boolean> {
    return (await this.control('remove', infoHash)) as boolean;
  }

  /** Tests only (TrackerOptions.faultInjection). */
  injectFault(ioThread: number, what: FaultRequest['what'], offsetMs = 0): void {
    this.io.fault(ioThread, what, offsetMs);
  }

  /** Closes every socket at once (no grace), for a process that must exit now. */
  stopNow(): Promise<void> {
    return this.io.stop(0);
  }

  /** Stops accepting, lets in-flight requests finish for up to httpRequestTimeout, closes everything. */
  async stop(): Promise<void> {
    await this.io.stop(this.config.httpRequestTimeoutMs);
    await this.api?.close();
    this.api = null;
    this.memStats?.close();
    this.loopDelay?.close();
    await this.cluster?.close();
    await this.pool?.close();
    await this.jwt?.close();
  }
}
