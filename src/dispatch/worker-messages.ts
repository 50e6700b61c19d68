// What crosses the rings between the main thread and a swarm worker. Every message starts with a
// 4-byte header whose first byte is its type. Offsets are relative to the payload start.
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';
import type { RingMemory } from './ring.js';

export const enum Msg {
  Announce = 1,      // main → worker: header, then the 80-byte announce record
  Scrape = 2,        // main → worker: header, u32 scrape id, u32 count, then count × (u32 index, 20-byte hash)
  AnnounceReply = 3, // worker → main: header (type, sink id), u32 request id, then the reply bytes
  ScrapeReply = 4,   // worker → main: header, u32 scrape id, u32 count, then count × (u32 index, 3 × u32 counts)
}

export const MSG_HEADER = 4;
export const SCRAPE_ENTRY_BYTES = 24;
export const SCRAPE_REPLY_ENTRY_BYTES = 16;

export interface SwarmWorkerData {
  index: number;
  settings: SwarmSettings;
  /** One entry per shard; undefined where another worker owns it. */
  shards: (ShardMemory | undefined)[];
  requests: RingMemory;
  replies: RingMemory;
  /** True when restarting over tables a dead worker may have left mid-write. */
  repair: boolean;
}

/** Control plane (admin API), over postMessage: rare and allowed to allocate. */
export interface ControlRequest {
  id: number;
  op: 'describe' | 'create' | 'remove';
  infoHash: Uint8Array;
}

export interface ControlReply {
  id: number;
  result?: unknown;
  error?: string;
}

/** Sent once by a worker when it is ready: its OS thread id, for per-thread CPU accounting. */
export interface ReadyMessage {
  ready: true;
  tid: number;
}
