// Changes on their way to Redis, per shard group: an open batch that collects one tick's changes, then
// sealed batches waiting to be sent (several while Redis is slow or away). Bounded per group: past
// `maxChanges` the oldest batches are dropped, counted, and the group is marked so this instance
// republishes its peers of that group once Redis answers again.
import { BatchKind, batchBytes, changeOffset, MAX_CHANGES_PER_BATCH, writeBatchHeader } from './change-batch.js';
import { CHANGE_BYTES } from '../dispatch/cluster-messages.js';
import { OFF_EVENT, OFF_INFO_HASH, Event } from '../core/announce-record.js';

export interface SealedBatch {
  readonly kind: BatchKind;
  readonly count: number;
  readonly bytes: Buffer;
  /** Infohashes of its `completed` changes (live batches): each adds one to the torrent's snatch count. */
  readonly completed: Buffer[];
}

/**
 * The batch being collected. One per outbox, reset when sealed (sealing copies it out): a new one per
 * group per tick cost an ArrayBuffer of 4 KB or more each time, 320 a second, and V8's helper threads
 * their sweeping.
 */
const INITIAL_BATCH_BYTES = 64 * CHANGE_BYTES;

class OpenBatch {
  changes: Buffer = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  count = 0;
  firstMs = 0;
  lastMs = 0;
  completed: Buffer[] = [];
  kind: BatchKind = BatchKind.Live;

  reset(kind: BatchKind): void {
    this.kind = kind;
    this.count = 0;
    this.firstMs = 0;
    this.lastMs = 0;
    // Always a new array: the sealed batch kept the old one, empty or not (a shared empty array would
    // collect the next batch's completions too, and Redis would count them once per sealed batch).
    this.completed = [];
    // A republish grows the buffer to a full batch (4 MiB); do not keep that for every group forever.
    if (this.changes.length > 16 * INITIAL_BATCH_BYTES) this.changes = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  }

  add(src: Buffer, at: number, timeMs: number): void {
    if ((this.count + 1) * CHANGE_BYTES > this.changes.length) {
      const bigger = Buffer.allocUnsafe(this.changes.length * 2);
      this.changes.copy(bigger, 0, 0, this.count * CHANGE_BYTES);
      this.changes = bigger;
    }
    src.copy(this.changes, this.count * CHANGE_BYTES, at, at + CHANGE_BYTES);
    if (this.count === 0 || timeMs < this.firstMs) this.firstMs = timeMs;
    if (timeMs > this.lastMs) this.lastMs = timeMs;
    if (this.kind === BatchKind.Live && src[at + OFF_EVENT] === Event.Completed) {
      this.completed.push(Buffer.from(src.subarray(at + OFF_INFO_HASH, at + OFF_INFO_HASH + 20)));
    }
    this.count++;
  }
}

export class GroupOutbox {
  private readonly batch = new OpenBatch();
  /** Whether `batch` holds changes not yet sealed. */
  private open = false;
  readonly sealed: SealedBatch[] = [];
  /** Changes held (open and sealed). */
  held = 0;
  /** Batches sent and not yet answered. */
  inFlight = 0;
  /** Changes were dropped: republish this group once Redis answers. */
  dropped = false;
  private seq = 0;

  constructor(private readonly maxChanges: number, private readonly instanceId: Buffer, private readonly onDrop: (changes: number) => void) {}

  add(src: Buffer, at: number, timeMs: number, kind: BatchKind): void {
    if (this.open && (this.batch.kind !== kind || this.batch.count === MAX_CHANGES_PER_BATCH)) this.seal();
    if (!this.open) {
      this.batch.reset(kind);
      this.open = true;
    }
    this.batch.add(src, at, timeMs);
    this.held++;
    while (this.held > this.maxChanges && this.sealed.length > 0) {
      const lost = this.sealed.shift()!;
      this.held -= lost.count;
      this.dropped = true;
      this.onDrop(lost.count);
    }
  }

  /** Closes the open batch (once per tick). */
  seal(): void {
    if (!this.open) return;
    const o = this.batch;
    this.open = false;
    const bytes = Buffer.allocUnsafe(batchBytes(o.count));
    o.changes.copy(bytes, changeOffset(0), 0, o.count * CHANGE_BYTES);
    writeBatchHeader(bytes, o.kind, o.count, this.seq++, this.instanceId, o.firstMs, o.lastMs);
    this.sealed.push({ kind: o.kind, count: o.count, bytes, completed: o.completed });
  }

  /** The next batch to send (removed from the queue; `putBack` if sending failed). */
  take(): SealedBatch | undefined {
    return this.sealed.shift();
  }

  putBack(b: SealedBatch): void {
    this.sealed.unshift(b);
  }

  sent(b: SealedBatch): void {
    this.held -= b.count;
  }
}
