// The publishing side of an instance as the prototype models it: announces arrive at `rateHz`; every
// `tickMs` the changes that arrived since the last tick are sealed into one batch per shard group and
// sent (not awaited: the hot path never waits for Redis). At most `maxPendingEntries` batches may be
// unanswered; past that a tick's batches are dropped and counted (the outbox bound).
import { BatchKind, batchBytes, changeOffset, CHANGE_BYTES, writeBatchHeader } from '../../src/cluster/change-batch.js';
import type { PeerPool } from './synthetic-peers.js';

export type SendBatch = (group: number, blob: Buffer, nowMs: number) => Promise<unknown>;

export class TickPublisher {
  published = 0;
  dropped = 0;
  entries = 0;
  errors = 0;
  private pending = 0;
  private cursor = 0;
  private readonly seqs: number[];
  private readonly perGroup: number[];
  private readonly fill: number[];

  constructor(private readonly pool: PeerPool, private readonly groups: number, private readonly instanceId: Buffer,
    private readonly send: SendBatch, private readonly maxPendingEntries = 10_000) {
    this.seqs = new Array<number>(groups).fill(0);
    this.perGroup = new Array<number>(groups).fill(0);
    this.fill = new Array<number>(groups).fill(0);
  }

  /** Publishes for `durationMs`; resolves with the seconds it took (every send issued, not answered). */
  async run(rateHz: number, tickMs: number, durationMs: number): Promise<number> {
    const wall = (): number => performance.timeOrigin + performance.now();
    const t0 = performance.now();
    const sentBefore = this.published + this.dropped;
    let lastTickWall = wall();
    for (let tick = 1; ; tick++) {
      const wait = t0 + tick * tickMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const elapsed = performance.now() - t0;
      if (elapsed > durationMs) break;
      const nowWall = wall();
      const due = Math.floor((rateHz * elapsed) / 1000) - (this.published + this.dropped - sentBefore);
      if (due <= 0) continue;
      this.tick(due, Math.floor(lastTickWall), Math.floor(nowWall));
      lastTickWall = nowWall;
    }
    return (performance.now() - t0) / 1000;
  }

  private tick(due: number, firstMs: number, nowMs: number): void {
    const { pool, groups, perGroup, fill } = this;
    perGroup.fill(0);
    fill.fill(0);
    for (let i = 0; i < due; i++) perGroup[pool.groupOfMixed[(this.cursor + i) % pool.count]!]!++;
    const blobs = perGroup.map((n) => (n > 0 ? Buffer.allocUnsafe(batchBytes(n)) : null));
    for (let i = 0; i < due; i++) {
      const idx = (this.cursor + i) % pool.count;
      const g = pool.groupOfMixed[idx]!;
      pool.mixed.copy(blobs[g]!, changeOffset(fill[g]!++), idx * CHANGE_BYTES, (idx + 1) * CHANGE_BYTES);
    }
    this.cursor = (this.cursor + due) % pool.count;
    for (let g = 0; g < groups; g++) {
      const blob = blobs[g];
      if (blob === null || blob === undefined) continue;
      if (this.pending >= this.maxPendingEntries) { this.dropped += perGroup[g]!; continue; }
      writeBatchHeader(blob, BatchKind.Live, perGroup[g]!, this.seqs[g]!++, this.instanceId, firstMs, nowMs);
      this.pending++;
      this.entries++;
      this.published += perGroup[g]!;
      this.send(g, blob, nowMs).catch(() => { this.errors++; }).finally(() => { this.pending--; });
    }
  }
}
