// GET /metrics (admin API): the Prometheus text format, through prom-client. Chihaya's metric names
// first, so dashboards built for chihaya keep working (chihaya_http_response_duration_milliseconds,
// chihaya_udp_response_duration_milliseconds, chihaya_storage_*), then hayate's own `hayate_*`.
// Every figure is read when Prometheus scrapes, from what the threads already keep in shared memory
// (per-I/O-thread counters and histograms, shard counters, ring positions, loop-delay slots): the
// request path pays nothing for /metrics. A scrape takes one snapshot (threads summed once) and renders
// every metric from it. prom-client itself is loaded at the first scrape (it costs a start ~0.1 s).
import type { Registry } from 'prom-client';
import { FAILURE_REASONS } from './failure-reasons.js';
import { processMetrics } from './process-metrics.js';
import { RequestStats } from './request-stats.js';
import { PROTOCOLS, Proto, RESPONSE_KINDS, responseLabels } from './response-kinds.js';
import { HistogramSamples, ScrapeMetric, type Sample } from './scrape-metric.js';
import { GC_BUCKET_BOUNDS_MS, type SweepTotals, type SwarmTotals } from '../swarm/swarm-totals.js';

/** chihaya's response-time buckets: 9.375 ms doubling, 10 of them (in microseconds here). */
const CHIHAYA_BOUNDS_MICROS: readonly number[] = GC_BUCKET_BOUNDS_MS.map((ms) => ms * 1000);
/** hayate's: powers of two from 8 us to ~4.2 s, each an edge of LatencyHistogram (exact counts). */
const HAYATE_BOUNDS_MICROS: readonly number[] = Array.from({ length: 20 }, (_, k) => 2 ** (k + 3));

/** The JWT checks' shared figures (the broker on the main thread). */
export interface JwtFigures {
  verifications: number;
  batches: number;
  coalesced: number;
  busy: number;
  /** When the key set in use was fetched (epoch ms); 0 when none ever was. */
  keySetFetchedAtMs: number;
  /** A usable key set is there (announces with tokens can be checked). */
  keySetUsable: boolean;
}

export interface RingFill {
  owner: string;
  direction: string;
  usedBytes: number;
  capacityBytes: number;
}

/** Where the figures come from (the tracker wires them; this module reads, never writes). */
export interface MetricsSources {
  /** Each I/O thread's counter block, by thread name (io-01, ...). */
  ioThreads(): { name: string; stats: RequestStats }[];
  swarm(): SwarmTotals;
  sweeps(): SweepTotals;
  rings(): RingFill[];
  /** Each swarm worker's loop-delay slots (none with workers: 0), by thread name. */
  swarmWorkers(): { name: string; loopDelay: Float64Array }[];
  /** The main thread's loop-delay slots. */
  mainLoopDelay: Float64Array;
  restarts(): { io: number; swarm: number };
  /** null when JWT checks are off (no hayate_jwt_* family at all then). */
  jwt: (() => JwtFigures) | null;
}

interface Snapshot {
  totals: RequestStats;
  /** Responses per response kind (each histogram's count), summed once per scrape. */
  kindTotals: Float64Array;
  threads: { name: string; stats: RequestStats }[];
  swarm: SwarmTotals;
}

const JWT_RESULTS: readonly [string, keyof RequestStats][] = [
  ['accepted', 'jwtAccepted'], ['refused', 'jwtRefused'], ['missing', 'jwtMissing'], ['unavailable', 'jwtUnavailable'], ['busy', 'jwtBusy'],
];
const OUTCOME_NAMES = ['ok', 'client_error', 'internal_error'] as const;
const LOOP_STATS = ['p50', 'p99', 'max'] as const;

export class PrometheusExporter {
  private registry: Registry | null = null;
  private readonly list: ScrapeMetric[] = [];
  private readonly names = new Set<string>();
  private snap: Snapshot | null = null;
  /** Every I/O thread's block summed, refilled at each scrape (one allocation for the tracker's life). */
  private readonly totals = new RequestStats();
  private readonly kindTotals = new Float64Array(RESPONSE_KINDS);
  /** The histogram samples per metric name and response kind, built when a kind first has answers. */
  private readonly histogramSamples = new Map<string, (HistogramSamples | undefined)[]>();

  constructor(private readonly src: MetricsSources) {
    for (const m of this.metrics()) this.add(m);
  }

  /**
   * The extension point: another part registers its own metrics, read at scrape time like these (the
   * cluster link's state and replication lag, under `hayate_cluster_*`). Names must be unique.
   */
  add(metric: ScrapeMetric): void {
    if (this.names.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.names.add(metric.name);
    this.list.push(metric);
    this.registry?.registerMetric(metric.asMetric());
  }

  /** The Prometheus text format, version 0.0.4 (prom-client's Registry.PROMETHEUS_CONTENT_TYPE). */
  get contentType(): string {
    return 'text/plain; version=0.0.4; charset=utf-8';
  }

  private async loadRegistry(): Promise<Registry> {
    const prom = await import('prom-client');
    if (this.registry !== null) return this.registry; // another scrape loaded it meanwhile
    const r = new prom.Registry();
    for (const m of this.list) r.registerMetric(m.asMetric());
    this.registry = r;
    return r;
  }

  /** The whole exposition: this tracker's metrics, then the process's. */
  async render(): Promise<string> {
    const registry = this.registry ?? await this.loadRegistry();
    const processRegistry = await processMetrics();
    const threads = this.src.ioThreads();
    const totals = this.totals;
    totals.slots.fill(0);
    for (const t of threads) totals.add(t.stats);
    for (let k = 0; k < RESPONSE_KINDS; k++) this.kindTotals[k] = totals.latency[k]!.total;
    this.snap = { totals, kindTotals: this.kindTotals, threads, swarm: this.src.swarm() };
    try {
      return (await registry.metrics()) + (await processRegistry.metrics());
    } finally {
      this.snap = null;
    }
  }

  private get s(): Snapshot {
    if (this.snap === null) throw new Error('metrics read outside a scrape');
    return this.snap;
  }

  private metrics(): ScrapeMetric[] {
    const src = this.src;
    const counter = (name: string, help: string, read: (out: Sample[]) => void): ScrapeMetric => new ScrapeMetric(name, help, 'counter', read);
    const gauge = (name: string, help: string, read: (out: Sample[]) => void): ScrapeMetric => new ScrapeMetric(name, help, 'gauge', read);
    const one = (value: number): (out: Sample[]) => void => (out) => { out.push({ labels: {}, value }); };
    const total = (field: keyof RequestStats) => (out: Sample[]): void => { out.push({ labels: {}, value: this.s.totals[field] as number }); };
    const list: ScrapeMetric[] = [];

    // chihaya's names
    for (const proto of [Proto.Http, Proto.Udp]) {
      const p = PROTOCOLS[proto];
      list.push(new ScrapeMetric(`chihaya_${p}_response_duration_milliseconds`,
        `The time it takes to respond to a ${p.toUpperCase()} request (chihaya's buckets; hayate_${p}_response_duration_seconds has finer ones)`,
        'histogram', (out) => this.histograms(out, proto, `chihaya_${p}_response_duration_milliseconds`, CHIHAYA_BOUNDS_MICROS, 1e-3)));
    }
    list.push(gauge('chihaya_storage_infohashes_count', 'The number of infohashes tracked', (out) => {
      out.push({ labels: {}, value: this.s.swarm.torrentsSize });
    }));
    list.push(gauge('chihaya_storage_seeders_count', 'The number of seeders tracked', (out) => {
      const w = this.s.swarm;
      out.push({ labels: {}, value: w.peersIPv4.Seeds.Current + w.peersIPv6.Seeds.Current });
    }));
    list.push(gauge('chihaya_storage_leechers_count', 'The number of leechers tracked', (out) => {
      const w = this.s.swarm;
      out.push({ labels: {}, value: w.peersIPv4.Peers.Current - w.peersIPv4.Seeds.Current + w.peersIPv6.Peers.Current - w.peersIPv6.Seeds.Current });
    }));
    list.push(new ScrapeMetric('chihaya_storage_gc_duration_milliseconds', 'The time it takes to perform storage garbage collection (one reaper sweep of one shard)',
      'histogram', (out) => {
        const g = src.sweeps();
        const name = 'chihaya_storage_gc_duration_milliseconds';
        let seen = 0;
        GC_BUCKET_BOUNDS_MS.forEach((le, b) => {
          seen += g.buckets[b]!;
          out.push({ metricName: `${name}_bucket`, labels: { le }, value: seen });
        });
        out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: g.sweeps });
        out.push({ metricName: `${name}_sum`, labels: {}, value: g.sumMs });
        out.push({ metricName: `${name}_count`, labels: {}, value: g.sweeps });
      }));

    // hayate's requests
    for (const proto of [Proto.Http, Proto.Udp]) {
      const p = PROTOCOLS[proto];
      list.push(new ScrapeMetric(`hayate_${p}_response_duration_seconds`,
        `The time from a ${p.toUpperCase()} request's arrival to its answer being handed to the socket (power-of-two buckets from 8 us)`,
        'histogram', (out) => this.histograms(out, proto, `hayate_${p}_response_duration_seconds`, HAYATE_BOUNDS_MICROS, 1e-6)));
    }
    list.push(counter('hayate_responses_total', 'Answered requests by protocol, action and outcome (ok, client_error: a failure reason, internal_error)', (out) => {
      const totals = this.s.kindTotals;
      const sums = new Map<string, { labels: Record<string, string>; value: number }>();
      for (let k = 0; k < RESPONSE_KINDS; k++) {
        const l = responseLabels(k);
        if (l.protocol === 'http' && l.action === 'connect') continue;
        const outcome = OUTCOME_NAMES[k % 3]!;
        const key = `${l.protocol}/${l.action}/${outcome}`;
        let e = sums.get(key);
        if (e === undefined) sums.set(key, e = { labels: { protocol: l.protocol, action: l.action, outcome }, value: 0 });
        e.value += totals[k]!;
      }
      for (const e of sums.values()) out.push(e);
    }));
    list.push(counter('hayate_failures_total', 'Answers carrying a failure reason, by protocol and reason (decided in the I/O threads)', (out) => {
      const t = this.s.totals;
      for (const proto of [Proto.Http, Proto.Udp]) {
        FAILURE_REASONS.forEach((reason, i) => out.push({ labels: { protocol: PROTOCOLS[proto], reason }, value: t.failures(proto, i) }));
      }
    }));
    list.push(counter('hayate_swarm_refusals_total', 'Announces the shard owners refused, by reason', (out) => {
      const w = this.s.swarm;
      out.push({ labels: { reason: 'torrent does not exist' }, value: w.refusedUnknownTorrent });
      out.push({ labels: { reason: 'tracker is full: peer table limit reached' }, value: w.refusedFull });
    }));
    list.push(counter('hayate_requests_refused_busy_total', 'Requests refused because a ring or in-flight table was full ("tracker busy")', total('refusedBusy')));
    list.push(counter('hayate_requests_failed_owner_died_total', 'Requests accepted, then failed because the thread owning their shard died', total('failedOwnerDied')));
    list.push(counter('hayate_requests_errored_total', 'Internal errors (answered "internal error", or a UDP datagram dropped by a fault)', total('requestsErrored')));
    list.push(counter('hayate_http_requests_total', 'HTTP requests handled (every path)', total('requestsHandled')));
    list.push(counter('hayate_announces_total', 'Announces received (HTTP and UDP), before any check', total('trackerAnnounces')));
    list.push(counter('hayate_scrapes_total', 'Scrapes received (HTTP and UDP), before any check', total('trackerScrapes')));
    list.push(counter('hayate_udp_packets_total', 'UDP datagrams received', total('udpPackets')));
    list.push(counter('hayate_udp_packets_bad_total', 'UDP datagrams dropped or answered with an error', total('udpPacketsBad')));
    list.push(counter('hayate_udp_replies_dropped_total', 'UDP replies dropped because the socket\'s send buffer was full (or the kernel refused the destination)', total('udpRepliesDropped')));

    // threads
    list.push(counter('hayate_thread_requests_total', 'Requests each I/O thread took (HTTP requests, UDP datagrams): how the kernel spread the load', (out) => {
      for (const { name, stats } of this.s.threads) {
        out.push({ labels: { thread: name, protocol: 'http' }, value: stats.requestsHandled });
        out.push({ labels: { thread: name, protocol: 'udp' }, value: stats.udpPackets });
      }
    }));
    list.push(gauge('hayate_event_loop_delay_seconds', 'Each thread\'s event-loop delay over its last 5 s window (p50, p99, max)', (out) => {
      const push = (thread: string, slots: Float64Array): void => {
        LOOP_STATS.forEach((stat, i) => out.push({ labels: { thread, stat }, value: slots[i]! / 1000 }));
      };
      push('main', src.mainLoopDelay);
      for (const { name, stats } of this.s.threads) push(name, stats.loopDelay);
      for (const { name, loopDelay } of src.swarmWorkers()) push(name, loopDelay);
    }));
    list.push(counter('hayate_thread_restarts_total', 'Threads restarted after they died, by role', (out) => {
      const r = src.restarts();
      out.push({ labels: { role: 'io' }, value: r.io });
      out.push({ labels: { role: 'swarm' }, value: r.swarm });
    }));
    list.push(gauge('hayate_ring_used_bytes', 'Bytes queued on the rings to (request) and from (reply) each shard owner, summed over the I/O threads', (out) => {
      for (const r of src.rings()) out.push({ labels: { owner: r.owner, direction: r.direction }, value: r.usedBytes });
    }));
    list.push(gauge('hayate_ring_capacity_bytes', 'The capacity of those rings', (out) => {
      for (const r of src.rings()) out.push({ labels: { owner: r.owner, direction: r.direction }, value: r.capacityBytes });
    }));

    // swarm
    list.push(gauge('hayate_peers', 'Peers in the swarm by address family and role', (out) => {
      const w = this.s.swarm;
      for (const [family, f] of [['IPv4', w.peersIPv4], ['IPv6', w.peersIPv6]] as const) {
        out.push({ labels: { family, role: 'seeder' }, value: f.Seeds.Current });
        out.push({ labels: { family, role: 'leecher' }, value: f.Peers.Current - f.Seeds.Current });
      }
    }));
    list.push(counter('hayate_peers_changes_total', 'Peers that joined, left (stopped) or were reaped, by address family', (out) => {
      const w = this.s.swarm;
      for (const [family, f] of [['IPv4', w.peersIPv4], ['IPv6', w.peersIPv6]] as const) {
        out.push({ labels: { family, change: 'joined' }, value: f.Peers.Joined });
        out.push({ labels: { family, change: 'left' }, value: f.Peers.Left });
        out.push({ labels: { family, change: 'reaped' }, value: f.Peers.Reaped });
      }
    }));
    list.push(counter('hayate_snatches_total', 'Completed downloads announced, by address family', (out) => {
      const w = this.s.swarm;
      out.push({ labels: { family: 'IPv4' }, value: w.peersIPv4.Completed });
      out.push({ labels: { family: 'IPv6' }, value: w.peersIPv6.Completed });
    }));
    list.push(counter('hayate_torrents_changes_total', 'Torrents added, removed (admin API, or emptied by announces) or reaped', (out) => {
      const w = this.s.swarm;
      out.push({ labels: { change: 'added' }, value: w.torrentsAdded });
      out.push({ labels: { change: 'removed' }, value: w.torrentsRemoved });
      out.push({ labels: { change: 'reaped' }, value: w.torrentsReaped });
    }));

    // JWT (only when checks are on)
    const figures = src.jwt;
    if (figures === null) return list;
    const jwt = (name: string, help: string, type: 'counter' | 'gauge', read: (out: Sample[], j: JwtFigures) => void): ScrapeMetric =>
      new ScrapeMetric(name, help, type, (out) => read(out, figures()));
    list.push(jwt('hayate_jwt_checks_total', 'Announce tokens checked by the I/O threads, by result', 'counter', (out) => {
      const t = this.s.totals;
      for (const [result, field] of JWT_RESULTS) out.push({ labels: { result }, value: t[field] as number });
    }));
    list.push(jwt('hayate_jwt_cache_hits_total', 'Checks answered from an I/O thread\'s verdict cache (no verification asked)', 'counter', (out) => {
      out.push({ labels: {}, value: this.s.totals.jwtCacheHits });
    }));
    list.push(jwt('hayate_jwt_coalesced_total', 'Checks that joined a verification their thread had already asked for', 'counter', (out) => {
      out.push({ labels: {}, value: this.s.totals.jwtCoalesced });
    }));
    list.push(jwt('hayate_jwt_screened_total', 'Tokens refused before any RSA work (shape, header, claims)', 'counter', (out) => {
      out.push({ labels: {}, value: this.s.totals.jwtScreened });
    }));
    list.push(jwt('hayate_jwt_verifications_total', 'Distinct tokens whose signature the broker verified (RSA work)', 'counter', (out, j) => one(j.verifications)(out)));
    list.push(jwt('hayate_jwt_verification_batches_total', 'Worker tasks those verifications travelled in', 'counter', (out, j) => one(j.batches)(out)));
    list.push(jwt('hayate_jwt_broker_coalesced_total', 'Requests for a token already queued or being verified', 'counter', (out, j) => one(j.coalesced)(out)));
    list.push(jwt('hayate_jwt_broker_busy_total', 'Verifications refused because the queue (or the source\'s share) was full', 'counter', (out, j) => one(j.busy)(out)));
    list.push(jwt('hayate_jwt_key_set_age_seconds', 'Time since the key set in use was fetched (absent before the first fetch)', 'gauge', (out, j) => {
      if (j.keySetFetchedAtMs > 0) out.push({ labels: {}, value: Math.max(0, Date.now() - j.keySetFetchedAtMs) / 1000 });
    }));
    list.push(jwt('hayate_jwt_key_set_usable', '1 when a usable key set is there, else 0 (announces with tokens fail closed)', 'gauge', (out, j) => one(j.keySetUsable ? 1 : 0)(out)));
    return list;
  }

  /** Every response kind of `proto` that has answers, as histogram `name` with chihaya's labels. */
  private histograms(out: Sample[], proto: Proto, name: string, bounds: readonly number[], scale: number): void {
    const { totals: t, kindTotals } = this.s;
    const per = RESPONSE_KINDS / PROTOCOLS.length;
    for (let k = proto * per; k < (proto + 1) * per; k++) {
      if (kindTotals[k] === 0) continue; // as chihaya: a label set appears once it was observed
      let byKind = this.histogramSamples.get(name);
      if (byKind === undefined) this.histogramSamples.set(name, byKind = []);
      let samples = byKind[k];
      if (samples === undefined) {
        const l = responseLabels(k);
        samples = byKind[k] = new HistogramSamples(name, { action: l.action, address_family: l.family, error: l.error }, bounds, scale);
      }
      samples.push(out, t.latency[k]!, kindTotals[k]!, t.latencySumMicros(k));
    }
  }
}

