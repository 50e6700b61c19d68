// What the main thread and an I/O thread tell each other by postMessage: start-up, the admin API's
// operations, an owner's death, shutdown. All rare; per-request traffic crosses the mesh's rings.
import type { VerifyOutcome, VerifyRequest } from '../auth/index.js';
import type { Config } from '../config/config.js';
import type { MeshMemory } from '../dispatch/mesh.js';
import type { ControlOp } from '../dispatch/shard-host.js';
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';

export interface IoThreadData {
  /** This thread's index: io-01 is 0. */
  index: number;
  config: Config;
  settings: SwarmSettings;
  shards: ShardMemory[];
  mesh: MeshMemory;
  /** This thread's request counters (stats/request-stats.ts), read by the main thread. */
  stats: SharedArrayBuffer;
  /** The UDP connection-ID secret, the same in every I/O thread. */
  connectionIdKey: Uint8Array;
  /** Where to listen; port 0 already resolved to the port every I/O thread shares. */
  http: { host: string; port: number } | null;
  /** The TLS app's address (port 0 resolved likewise), with the certificate and key files. */
  https: { host: string; port: number; certPath: string; keyPath: string } | null;
  udp: { host: string; port: number; reusePort: boolean } | null;
  /** The whitelist as it is now (later changes arrive as messages). */
  whitelist: string[];
  /** Taking over the shards of a thread that died (workers: 0): repair them first. */
  repair: boolean;
  verbosity: number;
  /** The JWT key set's state (SharedKeySetView) when JWT checks are on, else null. */
  jwtKeySet: SharedArrayBuffer | null;
  /** Tests only: honour FaultRequest messages. */
  faultInjection: boolean;
}

// main → I/O thread
export type ToIo =
  | { type: 'control'; control: number; op: ControlOp; infoHash: Uint8Array }
  | { type: 'owner-died'; owner: number; seq: number }
  | { type: 'whitelist'; op: 'add' | 'remove'; clientId: string }
  | { type: 'stop-listening' }
  | { type: 'drain'; graceMs: number }
  | { type: 'exit' }
  | { type: 'jwt-outcomes'; outcomes: VerifyOutcome[] }
  | FaultRequest;

/** Tests only: make this thread fail in a chosen place. */
export interface FaultRequest {
  type: 'fault';
  /** announce-throws / announce-ok: the dispatcher throws on every announce, or stops; udp-port-0: the
   *  UDP frontend is handed a datagram from source port 0; uncaught: an exception outside any handler;
   *  clock-offset: this thread's Date.now runs `offsetMs` ahead (connection-ID lifetimes). */
  what: 'announce-throws' | 'announce-ok' | 'udp-port-0' | 'uncaught' | 'clock-offset';
  offsetMs?: number;
}

// I/O thread → main
export type FromIo =
  | { type: 'listening'; http: number | null; https: number | null; udp: number | null; tid: number }
  | { type: 'control'; control: number; result?: unknown; error?: string }
  | { type: 'owner-settled'; seq: number; failed: number }
  | { type: 'stopped-listening' }
  | { type: 'drained'; inFlight: number }
  | { type: 'log'; line: string }
  | { type: 'jwt-verify'; items: VerifyRequest[] }
  | { type: 'fatal'; message: string };
