// The typed configuration every other layer reads. Keys are chihaya v1's camelCase names
// (docs/compatibility.md); durations are held in milliseconds (`...Ms`) after parsing Go-syntax strings
// such as "15m" or "250ms", listen addresses as parsed ListenAddr values. load.ts validates every value:
// durations are whole ms (rounded up) and at most 2^31-1 ms (Node's timer limit).
import type { ListenAddr } from './listen-addr.js';

export interface Config {
  // Tracker behaviour (chihaya v1 `TrackerConfig`)
  createOnAnnounce: boolean;
  purgeInactiveTorrents: boolean;
  announceMs: number;          // `interval` sent to clients, from `announce`
  minAnnounceMs: number;       // `min interval` sent to HTTP clients, from `minAnnounce`
  reapIntervalMs: number;      // how often stale peers are swept, from `reapInterval`
  reapRatio: number;           // a peer idle for minAnnounce * reapRatio is removed
  defaultNumWant: number;      // peers returned when `numwant` is absent or not a number
  maxNumWant: number;          // ours: hard cap on peers per response (bounds response size)
  torrentMapShards: number;    // independent torrent tables, >= 1
  maxPeersPerShard: number;    // ours: bound on peer records per shard and family; 0 = 2^24
  allowIPSpoofing: boolean;
  dualStackedPeers: boolean;
  realIPHeader: string;        // "" = use the socket address
  respectAF: boolean;
  clientWhitelistEnabled: boolean;
  clientWhitelist: string[];
  maxScrapeInfoHashes: number; // ours: bound on info_hash values in one scrape

  // Listeners, parsed from "host:port", "[v6]:port", ":port" (all interfaces); null = "" (disabled)
  apiListenAddr: ListenAddr | null;
  httpListenAddr: ListenAddr | null;
  udpListenAddr: ListenAddr | null;
  // Ours: native TLS (uWebSockets.js SSLApp in every I/O thread, beside the plain app); null = off
  httpsListenAddr: ListenAddr | null;
  tlsCertPath: string;         // PEM certificate (chain), read by every I/O thread at start
  tlsKeyPath: string;          // PEM private key (unencrypted)

  // Timeouts: 0 = none. Read: whole request; write: whole response; request: shutdown grace period.
  apiReadTimeoutMs: number;
  apiWriteTimeoutMs: number;
  apiRequestTimeoutMs: number;
  apiListenLimit: number;      // max simultaneous TCP connections; 0 = unlimited
  httpReadTimeoutMs: number;
  httpWriteTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpListenLimit: number;     // max simultaneous TCP connections; 0 = unlimited

  driver: string;              // v1 backend driver: only "noop" (or unset) is accepted
  statsBufferSize: number;     // v1 stats channel size; accepted, may bound stats queues
  includeMemStats: boolean;
  verboseMemStats: boolean;
  memStatsIntervalMs: number;  // how often memory figures for /stats are refreshed

  // JWT (Quay)
  jwkSetURI: string;           // "" = no JWT check
  jwkUpdateIntervalMs: number; // alias key: jwkSetUpdateInterval
  jwkTTLMs: number;            // how long the last good JWK set stays usable when refreshes fail
  jwtAudience: string;
  jwtIssuer: string;           // ours: "" = check `iss` only when the JWK set carries `issuer`
  jwtWorkers: number;          // ours: piscina threads verifying signatures

  // Ours: cluster mode (instances share their swarms through Redis)
  redisURL: string;            // "" = standalone; redis://[user:password@]host:port[/db], rediss:// for TLS
  redisCluster: boolean;       // redisURL names a node of a Redis Cluster
  redisKeyPrefix: string;      // prefix of every key (several tracker clusters may share one Redis)
  redisTickMs: number;         // how often changes are sealed into a batch and published
  redisOutboxChanges: number;  // per shard group: changes held while Redis is slow or away; older ones are dropped (counted)
  redisSyncTimeoutMs: number;  // report ready after this even if the swarms could not be loaded from Redis

  // Ours: architecture
  ioThreads: number;           // I/O threads (HTTP + UDP sockets each); 0 = one per available CPU, at most 16
  workers: number;             // swarm worker threads; 0 = the I/O threads own the shards themselves
}

export const defaultConfig: Readonly<Config> = Object.freeze({
  createOnAnnounce: true,
  purgeInactiveTorrents: true,
  announceMs: 30 * 60_000,
  minAnnounceMs: 15 * 60_000,
  reapIntervalMs: 60_000,
  reapRatio: 1.25,
  defaultNumWant: 50,
  maxNumWant: 200,
  torrentMapShards: 1,
  maxPeersPerShard: 0,
  allowIPSpoofing: true,
  dualStackedPeers: true,
  realIPHeader: '',
  respectAF: false,
  clientWhitelistEnabled: false,
  clientWhitelist: [] as string[],
  maxScrapeInfoHashes: 74,

  apiListenAddr: { host: 'localhost', port: 6880 },
  httpListenAddr: { host: 'localhost', port: 6881 },
  udpListenAddr: { host: 'localhost', port: 6882 },
  httpsListenAddr: null,
  tlsCertPath: '',
  tlsKeyPath: '',

  apiReadTimeoutMs: 10_000,
  apiWriteTimeoutMs: 10_000,
  apiRequestTimeoutMs: 10_000,
  apiListenLimit: 0,
  httpReadTimeoutMs: 10_000,
  httpWriteTimeoutMs: 10_000,
  httpRequestTimeoutMs: 10_000,
  httpListenLimit: 0,

  driver: 'noop',
  statsBufferSize: 0,
  includeMemStats: true,
  verboseMemStats: false,
  memStatsIntervalMs: 5_000,

  jwkSetURI: '',
  jwkUpdateIntervalMs: 5 * 60_000,
  jwkTTLMs: 5 * 60_000,
  jwtAudience: '',
  jwtIssuer: '',
  jwtWorkers: 1,

  redisURL: '',
  redisCluster: false,
  redisKeyPrefix: 'hayate',
  redisTickMs: 50,
  redisOutboxChanges: 65_536,
  redisSyncTimeoutMs: 30_000,

  ioThreads: 0,
  workers: 0,
}) as Readonly<Config>;

/** I/O threads when `ioThreads` is 0 (auto): one per CPU the process may use, at most this many. */
export const MAX_AUTO_IO_THREADS = 16;
