// Where cluster mode keeps its data in Redis, per shard group. Every key of a group carries the group's
// hash tag, so a group's keys share a Redis Cluster slot (one MULTI may touch them all) and the cluster
// spreads the groups over its masters. The tags are chosen so that Redis Cluster's default three-master
// slot ranges hold 5, 5 and 6 groups.
import { SHARD_GROUPS } from '../dispatch/cluster-messages.js';

const TAGS = ['g00', 'g01', 'g02', 'g03', 'g04', 'g05', 'g06', 'g07', 'g08', 'g09', 'g10', 'g11', 'g14', 'g15', 'g18', 'g19'];
if (TAGS.length !== SHARD_GROUPS) throw new Error('one hash tag per shard group');

export interface GroupKeys {
  /** Stream of change batches, trimmed to the peer lifetime. */
  changes: string;
  /** Hash: info_hash (20 raw bytes) -> completed count. */
  snatches: string;
  /** String: the id of the group's current data generation (gone = Redis lost the group's data). */
  epoch: string;
}

export function groupKeys(prefix: string, group: number): GroupKeys {
  const tag = `{${TAGS[group]!}}`;
  return { changes: `${prefix}:${tag}:changes`, snatches: `${prefix}:${tag}:snatches`, epoch: `${prefix}:${tag}:epoch` };
}
