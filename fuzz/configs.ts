// The config matrix the fuzzers run against: chihaya's defaults; JWT on (a local JWK-set server); swarm
// worker threads with sharded torrent maps; a proxy deployment (X-Forwarded-For read, ip params off);
// the client whitelist on. Every entry keeps chihaya's defaults unless it names a key;
// `udpDual` listens on [::]:port so datagrams from ::1 reach the tracker too (and 127.0.0.1 arrives as
// an IPv4-mapped address), the shape of a `:6882` deployment; `defaults` keeps a plain IPv4 socket.
import { WHITELIST } from './identities.js';

export interface FuzzConfig {
  name: string;
  /** config.json keys besides the listen addresses */
  config: Record<string, unknown>;
  /** needs a JWK-set server and tokens (jwkSetURI/jwtAudience are filled in at start) */
  jwt: boolean;
  udpDual: boolean;
  whitelist: readonly string[] | null;
}

export const CONFIGS: readonly FuzzConfig[] = [
  { name: 'defaults', config: {}, jwt: false, udpDual: false, whitelist: null },
  { name: 'jwt', config: {}, jwt: true, udpDual: true, whitelist: null },
  { name: 'workers', config: { workers: 2, torrentMapShards: 4 }, jwt: false, udpDual: true, whitelist: null },
  {
    // behind a proxy: the client address from X-Forwarded-For, ip params ignored, one endpoint per peer
    name: 'proxy', config: { realIPHeader: 'X-Forwarded-For', allowIPSpoofing: false, dualStackedPeers: false, respectAF: true }, jwt: false,
    udpDual: true, whitelist: null,
  },
  {
    name: 'whitelist', config: { clientWhitelistEnabled: true, clientWhitelist: [...WHITELIST] }, jwt: false, udpDual: true,
    whitelist: WHITELIST,
  },
];

/** What the checks expect from chihaya's defaults (none of the configs above changes these). */
export const DEFAULT_EXPECTATIONS = {
  intervalSec: 30 * 60,
  minIntervalSec: 15 * 60,
  defaultNumWant: 50,
  maxNumWant: 200,
  maxScrapeHashes: 74,
} as const;
