// The cluster link's figures, in shared memory: written by the link thread, read by the main thread for
// /check, /stats and /metrics without a message.
import { LATENCY_BUCKETS, LatencyHistogram } from '../stats/latency-histogram.js';

export const enum LinkSlot {
  /** 1 while Redis answers. */
  Connected = 0,
  /** Epoch ms since when Redis has not answered (0 while connected). */
  DownSinceMs = 1,
  /** 1 once the swarms were loaded from Redis (the instance may then report ready). */
  Synced = 2,
  ChangesPublished = 3,
  BatchesPublished = 4,
  /** Other instances' changes handed to the owners. */
  ChangesReceived = 5,
  /** Changes dropped because Redis was slow or away longer than the outbox holds. */
  ChangesDropped = 6,
  /** Republishes of this instance's peers (after drops, or a group's data loss in Redis). */
  Republishes = 7,
  /** Groups whose data Redis lost while we ran. */
  DataLosses = 8,
  /** Peers loaded at the last join, and how long it took. */
  JoinChanges = 9,
  JoinMs = 10,
  /** Changes held in the outbox now. */
  OutboxChanges = 11,
  /** The link thread's OS thread id (Linux; 0 unknown): its CPU is in /proc/<pid>/task/<tid>/stat, since
   *  Node names every thread "node". */
  ThreadId = 12,
}
const SLOTS = 13;

export function allocateLinkState(): SharedArrayBuffer {
  return new SharedArrayBuffer((SLOTS + LATENCY_BUCKETS) * 8);
}

export class LinkState {
  readonly slots: Float64Array;
  /** Replication lag: from a change on its origin to its hand-over to this instance's owners (µs). */
  readonly lag: LatencyHistogram;

  constructor(memory: SharedArrayBuffer) {
    this.slots = new Float64Array(memory, 0, SLOTS);
    this.lag = new LatencyHistogram(new Float64Array(memory, SLOTS * 8, LATENCY_BUCKETS));
  }

  get(slot: LinkSlot): number {
    return this.slots[slot]!;
  }

  set(slot: LinkSlot, value: number): void {
    this.slots[slot] = value;
  }

  add(slot: LinkSlot, n = 1): void {
    this.slots[slot] = this.slots[slot]! + n;
  }
}
