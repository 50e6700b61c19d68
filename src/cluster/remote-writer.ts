// Hands other instances' changes (and join-time snatch counts, and republish requests) to the shard
// owners over their remote rings, waking each owner once per batch. A full ring makes the caller wait
// (the owner is busy applying): the link thread's reading from Redis slows down, announces never do.
import { OFF_INFO_HASH } from '../core/announce-record.js';
import {
  CHANGE_MSG_BYTES, type ChangeKind, ClusterMsg, CMSG_TYPE_AT, GROUPS_AT, GROUPS_MSG_BYTES, putChange, SNATCHES_AT,
  TORRENT_HASH_AT, TORRENT_MSG_BYTES,
} from '../dispatch/cluster-messages.js';
import { Doorbell } from '../dispatch/doorbell.js';
import { ownerOfShard, type MeshMemory } from '../dispatch/mesh.js';
import { Ring } from '../dispatch/ring.js';
import { shardOf } from '../swarm/shard-of.js';

const FULL_RETRY_MS = 2;

export class RemoteWriter {
  private readonly rings: Ring[];
  private readonly doorbells: Doorbell[];
  private readonly written: boolean[];

  constructor(mesh: MeshMemory, private readonly shards: number) {
    this.rings = mesh.cluster!.map((f) => new Ring(f.remote));
    this.doorbells = mesh.ownerDoorbells.map((d) => new Doorbell(d));
    this.written = this.rings.map(() => false);
  }

  private ownerOf(bytes: Uint8Array, at: number): number {
    return ownerOfShard(shardOf(bytes, at + OFF_INFO_HASH, this.shards), this.rings.length);
  }

  // Each writer reserves, writes and commits with no await in between: several groups' loops write to
  // the same rings concurrently, and a reservation is only final once committed.

  /** Queues one change (bytes[at, at + 64)) for its owner; false (nothing written) when its ring is full. */
  tryChange(bytes: Uint8Array, at: number, timeMs: number, kind: ChangeKind): boolean {
    const owner = this.ownerOf(bytes, at);
    const ring = this.rings[owner]!;
    const o = ring.reserve(CHANGE_MSG_BYTES);
    if (o < 0) return false;
    putChange(ring.bytes, o, ClusterMsg.RemoteChange, kind, timeMs, bytes, at);
    ring.commit();
    this.written[owner] = true;
    return true;
  }

  /** Queues one change (bytes[at, at + 64)) for its owner; waits while that owner's ring is full. */
  async change(bytes: Uint8Array, at: number, timeMs: number, kind: ChangeKind): Promise<void> {
    const owner = this.ownerOf(bytes, at);
    const ring = this.rings[owner]!;
    for (;;) {
      const o = ring.reserve(CHANGE_MSG_BYTES);
      if (o >= 0) {
        putChange(ring.bytes, o, ClusterMsg.RemoteChange, kind, timeMs, bytes, at);
        ring.commit();
        this.written[owner] = true;
        return;
      }
      await this.waitForRoom();
    }
  }

  async snatches(infoHash: Uint8Array, count: number): Promise<void> {
    const owner = ownerOfShard(shardOf(infoHash, 0, this.shards), this.rings.length);
    const ring = this.rings[owner]!;
    for (;;) {
      const o = ring.reserve(TORRENT_MSG_BYTES);
      if (o >= 0) {
        ring.bytes[o + CMSG_TYPE_AT] = ClusterMsg.RemoteSnatches;
        ring.bytes.writeUInt32LE(Math.min(count, 0xffff_ffff), o + SNATCHES_AT);
        ring.bytes.set(infoHash.subarray(0, 20), o + TORRENT_HASH_AT);
        ring.commit();
        this.written[owner] = true;
        return;
      }
      await this.waitForRoom();
    }
  }

  /** Asks every owner to write its local peers of `groups` (a bit mask) again. */
  async republish(groups: number): Promise<void> {
    for (let owner = 0; owner < this.rings.length; owner++) {
      const ring = this.rings[owner]!;
      for (;;) {
        const o = ring.reserve(GROUPS_MSG_BYTES);
        if (o >= 0) {
          ring.bytes[o + CMSG_TYPE_AT] = ClusterMsg.Republish;
          ring.bytes.writeUInt32LE(groups, o + GROUPS_AT);
          ring.commit();
          this.written[owner] = true;
          break;
        }
        await this.waitForRoom();
      }
    }
    this.flush();
  }

  /** A ring is full: wake its owner and give it a moment to make room. */
  private waitForRoom(): Promise<void> {
    this.flush();
    return new Promise((r) => setTimeout(r, FULL_RETRY_MS));
  }

  /** Wakes the owners that were written to. */
  flush(): void {
    for (let i = 0; i < this.rings.length; i++) {
      if (this.written[i]) {
        this.written[i] = false;
        this.doorbells[i]!.ring();
      }
    }
  }
}
