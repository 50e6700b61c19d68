// The part of the configuration the swarm needs, as plain data so it can be sent to a worker thread.
import type { Config } from '../config/config.js';

export interface SwarmSettings {
  intervalSec: number;
  minIntervalSec: number;
  createOnAnnounce: boolean;
  purgeInactiveTorrents: boolean;
  respectAF: boolean;
  maxNumWant: number;
  maxIdleMs: number;          // minAnnounce * reapRatio: a peer idle longer is reaped
  reapIntervalMs: number;
  torrentMapShards: number;
  maxPeersPerShard: number;
}

export function swarmSettingsOf(config: Config): SwarmSettings {
  return {
    intervalSec: Math.round(config.announceMs / 1000),
    minIntervalSec: Math.round(config.minAnnounceMs / 1000),
    createOnAnnounce: config.createOnAnnounce,
    purgeInactiveTorrents: config.purgeInactiveTorrents,
    respectAF: config.respectAF,
    maxNumWant: config.maxNumWant,
    maxIdleMs: Math.round(config.minAnnounceMs * config.reapRatio),
    reapIntervalMs: config.reapIntervalMs,
    torrentMapShards: config.torrentMapShards,
    maxPeersPerShard: config.maxPeersPerShard,
  };
}
