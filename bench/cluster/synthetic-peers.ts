// Synthetic peers for the cluster prototype: `count` distinct IPv4 peers spread over `swarms` torrents,
// each as a 64-byte change (the first 64 bytes of an announce record), sorted into shard groups by the
// tracker's own shardOf so a group's changes are contiguous and can be batched per group.
import { createHash } from 'node:crypto';
import {
  FLAG_HAS_V4, FLAG_SEEDING, OFF_EVENT, OFF_FLAGS, OFF_INFO_HASH, OFF_IPV4, OFF_PEER_ID, OFF_PORT,
} from '../../src/core/announce-record.js';
import { shardOf } from '../../src/swarm/shard-of.js';
import { CHANGE_BYTES } from '../../src/cluster/change-batch.js';

export interface PeerPool {
  count: number;
  /** byGroup[g] holds group g's changes, 64 bytes each. */
  byGroup: Buffer[];
  /** The same changes in announce order (group-mixed), for publishers that model arrivals. */
  mixed: Buffer;
  groupOfMixed: Uint8Array;
}

export function infoHashOf(swarm: number): Buffer {
  return createHash('sha1').update(`hayate-bench-swarm-${swarm}`).digest();
}

export function makePeerPool(count: number, swarms: number, groups: number): PeerPool {
  if (groups > 255) throw new RangeError('at most 255 groups');
  const hashes = Array.from({ length: swarms }, (_, s) => infoHashOf(s));
  const groupOfSwarm = hashes.map((h) => shardOf(h, 0, groups));
  const mixed = Buffer.alloc(count * CHANGE_BYTES);
  const groupOfMixed = new Uint8Array(count);
  const perGroup = new Array<number>(groups).fill(0);
  const prefix = Buffer.from('-qB4650-');
  for (let i = 0; i < count; i++) {
    const s = i % swarms;
    const o = i * CHANGE_BYTES;
    hashes[s]!.copy(mixed, o + OFF_INFO_HASH);
    prefix.copy(mixed, o + OFF_PEER_ID);
    mixed.write(i.toString(16).padStart(12, '0'), o + OFF_PEER_ID + 8, 'latin1');
    mixed.writeUInt32BE((10 << 24) | (i & 0xffffff), o + OFF_IPV4);
    mixed.writeUInt16BE(6881 + (i % 1000), o + OFF_PORT);
    mixed[o + OFF_FLAGS] = FLAG_HAS_V4 | (i % 3 === 0 ? FLAG_SEEDING : 0);
    mixed[o + OFF_EVENT] = 0;
    groupOfMixed[i] = groupOfSwarm[s]!;
    perGroup[groupOfSwarm[s]!]!++;
  }
  const byGroup = perGroup.map((n) => Buffer.alloc(n * CHANGE_BYTES));
  const fill = new Array<number>(groups).fill(0);
  for (let i = 0; i < count; i++) {
    const g = groupOfMixed[i]!;
    mixed.copy(byGroup[g]!, fill[g]! * CHANGE_BYTES, i * CHANGE_BYTES, (i + 1) * CHANGE_BYTES);
    fill[g]!++;
  }
  return { count, byGroup, mixed, groupOfMixed };
}

export function groupKey(g: number): string {
  return `hayate:{g${String(g).padStart(2, '0')}}:changes`;
}
