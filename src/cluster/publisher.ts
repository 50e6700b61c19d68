// Publishing this instance's changes: every tick, the owners' change rings are drained into per-group
// outboxes, each group's open batch is sealed, and each group sends its oldest batch (one at a time, so
// a batch that failed is sent again before any later one: readers drop what they have seen by sequence
// number). A batch is one XADD, trimmed by time to the peer lifetime; one that carries completions goes
// in a MULTI with the snatch counts. Purged torrents' counts are deleted. Nothing here is on the
// announce path; while Redis is slow or away the outboxes hold what they may and drop the oldest.
import { CHANGE_AT, CHANGE_KIND_AT, CHANGE_TIME_AT, ChangeKind, ClusterMsg, CMSG_TYPE_AT, GROUPS_AT, SHARD_GROUPS, TORRENT_HASH_AT } from '../dispatch/cluster-messages.js';
import { FEED_COUNTERS, FeedCounter } from '../dispatch/cluster-feed.js';
import type { MeshMemory } from '../dispatch/mesh.js';
import { Ring } from '../dispatch/ring.js';
import { shardOf } from '../swarm/shard-of.js';
import { BatchKind } from './change-batch.js';
import { LinkSlot, type LinkState } from './link-state.js';
import { GroupOutbox, type SealedBatch } from './outbox.js';
import { groupKeys, type GroupKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';

export interface PublisherOptions {
  prefix: string;
  instanceId: Buffer;
  /** Per group, changes held while Redis is slow or away. */
  outboxChanges: number;
  /** The stream keeps what is younger than this (the peer lifetime plus a margin for clock skew). */
  windowMs: number;
  /** Told when a publish failed or succeeded (the link's up/down state). */
  onResult: (ok: boolean, err?: Error) => void;
  /** Groups to republish (changes were lost on the way), or an owner's republish finished. */
  onRepublishNeeded: (groups: number) => void;
}

export class Publisher {
  private readonly rings: Ring[];
  private readonly feedCounters: Float64Array[];
  private readonly droppedSeen: number[];
  private readonly outboxes: GroupOutbox[];
  private readonly keys: GroupKeys[];
  private readonly purged: Buffer[][] = Array.from({ length: SHARD_GROUPS }, () => []);
  /** Groups that got changes since the last expiry refresh. */
  private active = 0;

  constructor(mesh: MeshMemory, private readonly link: RedisLink, private readonly state: LinkState, private readonly opts: PublisherOptions) {
    this.rings = mesh.cluster!.map((f) => new Ring(f.changes));
    this.feedCounters = mesh.cluster!.map((f) => new Float64Array(f.counters, 0, FEED_COUNTERS));
    this.droppedSeen = this.feedCounters.map((c) => c[FeedCounter.ChangesDropped]!);
    this.keys = Array.from({ length: SHARD_GROUPS }, (_, g) => groupKeys(opts.prefix, g));
    this.outboxes = this.keys.map(() => new GroupOutbox(opts.outboxChanges, opts.instanceId, (n) => state.add(LinkSlot.ChangesDropped, n)));
  }

  /** One tick: collect, seal, send. */
  tick(): void {
    this.collect();
    let held = 0;
    for (let g = 0; g < SHARD_GROUPS; g++) {
      const box = this.outboxes[g]!;
      box.seal();
      held += box.held;
      if (box.inFlight === 0) this.sendNext(g);
      if (this.purged[g]!.length > 0) this.sendPurges(g);
    }
    this.state.set(LinkSlot.OutboxChanges, held);
  }

  /** Drains every owner's change ring into the outboxes. */
  private collect(): void {
    let lost = false;
    for (let owner = 0; owner < this.rings.length; owner++) {
      const r = this.rings[owner]!;
      const b = r.bytes;
      for (let o = r.peek(); o >= 0; o = r.peek()) {
        const type = b[o + CMSG_TYPE_AT];
        if (type === ClusterMsg.Change) {
          const g = shardOf(b, o + CHANGE_AT, SHARD_GROUPS);
          const kind = b[o + CHANGE_KIND_AT] === ChangeKind.Live ? BatchKind.Live : BatchKind.Republish;
          this.outboxes[g]!.add(b, o + CHANGE_AT, b.readDoubleLE(o + CHANGE_TIME_AT), kind);
          this.active |= 1 << g;
        } else if (type === ClusterMsg.Purged) {
          const g = shardOf(b, o + TORRENT_HASH_AT, SHARD_GROUPS);
          if (this.purged[g]!.length < 4096) this.purged[g]!.push(Buffer.from(b.subarray(o + TORRENT_HASH_AT, o + TORRENT_HASH_AT + 20)));
        } else if (type === ClusterMsg.RepublishDone) {
          void b.readUInt32LE(o + GROUPS_AT); // nothing to wait for: the changes went before it
        }
        r.release();
      }
      // An owner that could not write a change (its ring was full) lost it: republish everything.
      const dropped = this.feedCounters[owner]![FeedCounter.ChangesDropped]!;
      if (dropped !== this.droppedSeen[owner]) {
        this.state.add(LinkSlot.ChangesDropped, dropped - this.droppedSeen[owner]!);
        this.droppedSeen[owner] = dropped;
        lost = true;
      }
    }
    if (lost) this.opts.onRepublishNeeded((1 << SHARD_GROUPS) - 1);
  }

  private sendNext(g: number): void {
    const box = this.outboxes[g]!;
    const batch = box.take();
    if (batch === undefined) {
      if (box.dropped && this.state.get(LinkSlot.Connected) === 1) {
        box.dropped = false;
        this.opts.onRepublishNeeded(1 << g);
      }
      return;
    }
    box.inFlight++;
    this.send(g, batch).then(() => {
      box.inFlight--;
      box.sent(batch);
      this.state.add(LinkSlot.ChangesPublished, batch.count);
      this.state.add(LinkSlot.BatchesPublished);
      this.opts.onResult(true);
      this.sendNext(g); // the backlog drains as fast as Redis answers, one batch at a time
    }, (err: Error) => {
      box.inFlight--;
      box.putBack(batch);
      this.opts.onResult(false, err);
    });
  }

  private send(g: number, batch: SealedBatch): Promise<unknown> {
    const k = this.keys[g]!;
    const xadd = ['XADD', k.changes, 'MINID', '~', String(Date.now() - this.opts.windowMs), '*', 'd', batch.bytes];
    if (batch.completed.length === 0) return this.link.command(k.changes, xadd);
    // The change and the counts it adds go together, so a join's counts and stream position agree.
    return this.link.transaction(k.changes, [xadd, ...batch.completed.map((ih) => ['HINCRBY', k.snatches, ih, '1'])]);
  }

  private sendPurges(g: number): void {
    const hashes = this.purged[g]!.splice(0);
    const k = this.keys[g]!;
    this.link.command(k.snatches, ['HDEL', k.snatches, ...hashes]).catch(() => {}); // best effort: a count kept is harmless
  }

  /**
   * Once a second: a group's stream vanishes one window after its last change (trimming happens only
   * on XADD, so a group that went quiet would otherwise keep its last window forever).
   */
  refreshExpiry(): void {
    const active = this.active;
    this.active = 0;
    for (let g = 0; g < SHARD_GROUPS; g++) {
      if ((active & (1 << g)) === 0) continue;
      const k = this.keys[g]!;
      this.link.command(k.changes, ['PEXPIRE', k.changes, String(this.opts.windowMs)]).catch(() => {});
    }
  }
}
