// What a swarm worker is started with, and the control-plane messages (admin API operations, the
// ready signal) that travel by postMessage: rare, and allowed to allocate. Per-request traffic never
// does: it crosses the rings (ring-messages.ts).
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';
import type { RingMemory } from './ring.js';

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
