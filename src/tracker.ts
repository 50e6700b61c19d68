// Wires one tracker instance: dispatcher and swarm, frontends, admin API, stats. Used by main.ts and,
// in-process on free ports, by the end-to-end tests.
import { AdminApi, type HealthProbe } from './api/admin-api.js';
import { ClientWhitelist, JwtGate } from './auth/index.js';
import type { Config } from './config/config.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import { InlineDispatcher } from './dispatch/inline-dispatcher.js';
import { WorkerDispatcher } from './dispatch/worker-dispatcher.js';
import { HttpFrontend } from './frontends/http/http-frontend.js';
import { UdpFrontend } from './frontends/udp/udp-frontend.js';
import { MemStats } from './stats/mem-stats.js';
import { RequestStats } from './stats/request-stats.js';
import { swarmSettingsOf } from './swarm/settings.js';
import { Shard, type ShardMemory } from './swarm/shard.js';
import { SwarmTotalsReader } from './swarm/swarm-totals.js';
import type { Log } from './util/log.js';

export interface TrackerPorts {
  api: number | null;
  http: number | null;
  udp: number | null;
}

export class Tracker {
  readonly ports: TrackerPorts = { api: null, http: null, udp: null };
  readonly requestStats = new RequestStats();
  readonly whitelist: ClientWhitelist;
  readonly dispatcher: Dispatcher;
  private http: HttpFrontend | null = null;
  private udp: UdpFrontend | null = null;
  private api: AdminApi | null = null;
  private memStats: MemStats | null = null;
  /** JWT checks for every announce, when `jwkSetURI` is set. */
  readonly jwt: JwtGate | null;
  private readonly health: HealthProbe[] = [];
  /** Every shard's tables, allocated here and handed to the threads that own them. */
  private readonly shards: readonly ShardMemory[];

  private constructor(readonly config: Config, readonly log: Log, onFatal: (err: Error) => void) {
    this.whitelist = new ClientWhitelist(config.clientWhitelistEnabled, config.clientWhitelist);
    this.jwt = config.jwkSetURI === '' ? null : new JwtGate(config, log);
    if (this.jwt !== null) this.health.push(() => this.jwt!.health());
    const settings = swarmSettingsOf(config);
    this.shards = Shard.allocateAll(settings);
    this.dispatcher = config.workers === 0
      ? new InlineDispatcher(settings, this.shards)
      : new WorkerDispatcher(settings, this.shards, config.workers, log, onFatal);
  }

  /**
   * Starts listening. `onFatal` is called when the swarm cannot be restored after a worker died (the
   * process should then exit non-zero rather than limp on).
   */
  static async start(config: Config, log: Log, onFatal: (err: Error) => void = (err) => log.info(`fatal: ${err.message}`)): Promise<Tracker> {
    const t = new Tracker(config, log, onFatal);
    try {
      await t.dispatcher.ready();
      await t.jwt?.start(); // first JWK set fetch attempted (announces fail closed until one succeeds)
      await t.listen();
    } catch (err) {
      await t.stop();
      throw err;
    }
    return t;
  }

  private async listen(): Promise<void> {
    const c = this.config;
    const httpAddr = c.httpListenAddr;
    if (httpAddr !== null) {
      this.http = new HttpFrontend(c, this.dispatcher, this.whitelist, this.requestStats, this.log, this.jwt);
      this.ports.http = await this.http.listen(httpAddr.host, httpAddr.port);
    }
    const udpAddr = c.udpListenAddr;
    if (udpAddr !== null) {
      this.udp = new UdpFrontend(c, this.dispatcher, this.whitelist, this.requestStats, this.log, this.jwt);
      this.ports.udp = await this.udp.listen(udpAddr.host, udpAddr.port);
    }
    const apiAddr = c.apiListenAddr;
    if (apiAddr !== null) {
      if (c.includeMemStats) this.memStats = new MemStats(c.memStatsIntervalMs, c.verboseMemStats);
      this.api = new AdminApi({
        dispatcher: this.dispatcher,
        whitelist: this.whitelist,
        requestStats: this.requestStats,
        swarmTotals: new SwarmTotalsReader(this.shards),
        memStats: this.memStats,
        health: this.health,
        log: this.log,
      });
      this.ports.api = await this.api.listen(apiAddr.host, apiAddr.port);
    }
  }

  /** Stops accepting, lets in-flight requests finish for up to httpRequestTimeout, closes everything. */
  async stop(): Promise<void> {
    await this.http?.close(this.config.httpRequestTimeoutMs);
    this.http = null;
    await this.udp?.close();
    this.udp = null;
    this.api?.close();
    this.api = null;
    this.memStats?.close();
    await this.jwt?.close();
    await this.dispatcher.close();
  }
}
