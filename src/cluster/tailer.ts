// Reading the other instances' changes: a loop on a connection of its own doing a blocking XREAD from the
// last entry it saw of each of its groups, so quiet groups cost nothing and busy ones are read as fast as
// the owners take their changes. With a single Redis one loop reads every group (one XREAD names all 16
// streams: a tick's batches come back in one or two replies, where a loop per group took one command per
// batch, this instance's own batches included); with a Redis Cluster one XREAD may only name keys of one
// slot, so each group has its loop. Own batches and batches seen before (a publisher's retry) are
// skipped; the rest are handed to the owners, and the lag from origin to hand-over is recorded.
import { ChangeKind } from '../dispatch/cluster-messages.js';
import { BatchKind, changeOffset, readBatchHeader } from './change-batch.js';
import { LinkSlot, type LinkState } from './link-state.js';
import type { GroupKeys } from './redis-keys.js';
import type { DedicatedConnection, RedisLink } from './redis-link.js';
import type { RemoteWriter } from './remote-writer.js';
import { BINARY_REPLIES, forEachStream, type StreamEntry } from './stream-reply.js';

const READ_COUNT = '1000';
const BLOCK_MS = '1000';

/** Per group: the last sequence number applied from each instance (a publisher retries a batch as is). */
export class SeenBatches {
  private readonly last = new Map<string, number>();

  /** True (and remembered) when batch `seq` of `instance` is new. */
  fresh(instance: Buffer, seq: number): boolean {
    const key = instance.toString('hex');
    const prev = this.last.get(key);
    if (prev !== undefined && seq <= prev) return false;
    this.last.set(key, seq);
    return true;
  }
}

export interface TailerOptions {
  instanceId: Buffer;
  reconnectMs: number;
  isClosed: () => boolean;
  /** A read failed (once per failure run, not per retry). */
  onError: (err: Error) => void;
}

/** Applies one stream entry's batch; false when it was ours or seen before. */
export async function applyEntry(entry: StreamEntry, ownId: Buffer, seen: SeenBatches, writer: RemoteWriter,
  state: LinkState, joining: boolean): Promise<boolean> {
  const fields = entry[1];
  const blob = fields.length >= 2 ? fields[1]! : undefined;
  if (blob === undefined) return false;
  let h;
  try {
    h = readBatchHeader(blob);
  } catch {
    return false; // not ours: another program's entry under our key
  }
  if (h.instanceId.equals(ownId) || !seen.fresh(h.instanceId, h.seq)) return false;
  // At a join, counts come from the snatch hash: no change of the window counts a snatch again.
  const kind = joining || h.kind === BatchKind.Republish ? ChangeKind.Replay : ChangeKind.Live;
  const now = Date.now();
  for (let i = 0; i < h.count; i++) {
    // Changes of a batch happened within its span: spread them evenly over it.
    const timeMs = h.firstChangeMs + (h.count > 1 ? (h.spanMs * i) / (h.count - 1) : 0);
    // No promise per change: wait only when the owner's ring is full.
    if (!writer.tryChange(blob, changeOffset(i), timeMs, kind)) await writer.change(blob, changeOffset(i), timeMs, kind);
    if (!joining && h.kind === BatchKind.Live) state.lag.record(Math.max(0, now - timeMs) * 1000);
  }
  state.add(LinkSlot.ChangesReceived, h.count);
  return true;
}

/** A group a tailer reads: its keys, where reading resumes, the batches already applied. */
export interface TailedGroup {
  keys: GroupKeys;
  lastId: string;
  seen: SeenBatches;
}

export class StreamTailer {
  private conn: DedicatedConnection | null = null;
  private failing = false;
  private readonly byKey = new Map<string, TailedGroup>();

  /** `groups`: all on one Redis node (the dedicated connection goes to the first one's node). */
  constructor(private readonly groups: TailedGroup[], private readonly link: RedisLink, private readonly writer: RemoteWriter,
    private readonly state: LinkState, private readonly opts: TailerOptions) {
    for (const g of groups) this.byKey.set(g.keys.changes, g);
  }

  /** Opens the connection ahead of time (so tailing starts at once when the join is done). */
  async connect(): Promise<void> {
    try {
      this.conn ??= await this.link.dedicated(this.groups[0]!.keys.changes);
    } catch (err) {
      this.opts.onError(err as Error); // run() tries again
    }
  }

  async run(): Promise<void> {
    while (!this.opts.isClosed()) {
      try {
        this.conn ??= await this.link.dedicated(this.groups[0]!.keys.changes);
        const args = ['XREAD', 'COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS'];
        for (const g of this.groups) args.push(g.keys.changes);
        for (const g of this.groups) args.push(g.lastId);
        const reply = await this.conn.sendCommand(args, BINARY_REPLIES);
        const read: [TailedGroup, StreamEntry[]][] = [];
        forEachStream(reply, (key, es) => {
          const g = this.byKey.get(key);
          if (g !== undefined) read.push([g, es]);
        });
        let any = false;
        for (const [g, entries] of read) {
          for (const e of entries) {
            g.lastId = e[0].toString('latin1');
            if (await applyEntry(e, this.opts.instanceId, g.seen, this.writer, this.state, false)) any = true;
          }
        }
        if (any) this.writer.flush();
        this.failing = false;
      } catch (err) {
        // Redis away, or (cluster) the group moved: a new connection, to wherever the group now is.
        if (!this.failing) this.opts.onError(err as Error);
        this.failing = true;
        this.conn?.destroy();
        this.conn = null;
        if (!this.opts.isClosed()) await new Promise((r) => setTimeout(r, this.opts.reconnectMs));
      }
    }
    this.conn?.destroy();
  }

  close(): void {
    this.conn?.destroy();
    this.conn = null;
  }
}
