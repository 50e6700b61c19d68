// What a swarm worker is started with, and the control-plane messages (admin API operations, the
// ready signal) that travel by postMessage: rare, and allowed to allocate. Per-request traffic never
// does: it crosses the rings (ring-messages.ts).
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';
import type { MeshMemory } from './mesh.js';
import type { ControlOp } from './shard-host.js';

export interface SwarmWorkerData {
  /** This worker's index among the mesh's owners. */
  owner: number;
  settings: SwarmSettings;
  /** Every shard's memory (the worker uses those it owns). */
  shards: ShardMemory[];
  mesh: MeshMemory;
  /** True when restarting over tables a dead worker may have left mid-write. */
  repair: boolean;
  /** Where the worker publishes its event-loop delay (util/loop-delay.ts), read by /metrics. */
  loopDelay: SharedArrayBuffer;
}

/** Control plane (admin API), over postMessage to the thread that owns the torrent. */
export interface ControlRequest {
  control: number;
  op: ControlOp;
  infoHash: Uint8Array;
}

export interface ControlReply {
  control: number;
  result?: unknown;
  error?: string;
}

/** Sent once by a worker when it is ready: its OS thread id, for per-thread CPU accounting. */
export interface ReadyMessage {
  ready: true;
  tid: number;
}
