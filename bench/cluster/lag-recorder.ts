// Applies the batches a tailer reads and records announce-to-apply lag per change (interpolated inside a
// batch from its first-change time and span) and Redis-arrival-to-apply lag per entry (the entry ID's ms,
// Redis's clock: the same machine's clock here).
import { OFF_FLAGS, OFF_PORT } from '../../src/core/announce-record.js';
import { changeOffset, readBatchHeader } from '../../src/cluster/change-batch.js';
import { entryIdMs, fieldValue, type StreamEntry } from '../../src/cluster/stream-reply.js';

export interface LagFigures {
  changes: number;
  batches: number;
  ownSkipped: number;
  lagMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  redisIdLagMs: { p50: number; p99: number; max: number };
  checksum: number;
}

export class LagRecorder {
  changes = 0;
  batches = 0;
  ownSkipped = 0;
  private checksum = 0;
  private lags = new Float64Array(1 << 18);
  private lagCount = 0;
  private readonly idLags: number[] = [];

  constructor(private readonly ownId: Buffer) {}

  /** Applies one stream entry; returns its id (the next read starts after it). */
  entry([id, fields]: StreamEntry): Buffer {
    const blob = fieldValue(fields, 'd');
    if (blob === undefined) throw new Error(`stream entry ${id.toString()} has no d field`);
    const h = readBatchHeader(blob);
    if (h.instanceId.equals(this.ownId)) { this.ownSkipped++; return id; }
    for (let i = 0; i < h.count; i++) {
      const o = changeOffset(i);
      this.checksum = (this.checksum + blob.readUInt16BE(o + OFF_PORT) + blob[o + OFF_FLAGS]!) | 0; // stands in for the apply
    }
    const applied = performance.timeOrigin + performance.now();
    const step = h.count > 1 ? h.spanMs / (h.count - 1) : 0;
    if (this.lagCount + h.count > this.lags.length) {
      const n = new Float64Array(this.lags.length * 2 + h.count);
      n.set(this.lags);
      this.lags = n;
    }
    for (let i = 0; i < h.count; i++) this.lags[this.lagCount++] = applied - (h.firstChangeMs + step * i);
    this.idLags.push(applied - entryIdMs(id));
    this.changes += h.count;
    this.batches++;
    return id;
  }

  figures(): LagFigures {
    const sorted = this.lags.subarray(0, this.lagCount).sort();
    const ids = Float64Array.from(this.idLags).sort();
    return {
      changes: this.changes, batches: this.batches, ownSkipped: this.ownSkipped,
      lagMs: { p50: pick(sorted, 0.5), p90: pick(sorted, 0.9), p99: pick(sorted, 0.99), p999: pick(sorted, 0.999), max: pick(sorted, 1) },
      redisIdLagMs: { p50: pick(ids, 0.5), p99: pick(ids, 0.99), max: pick(ids, 1) },
      checksum: this.checksum,
    };
  }
}

function pick(a: ArrayLike<number>, q: number): number {
  return a.length === 0 ? NaN : Math.round(a[Math.min(a.length - 1, Math.floor(q * a.length))]! * 100) / 100;
}
