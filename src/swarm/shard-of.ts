// Which shard holds an infohash. Unkeyed and stable across restarts and threads: the dispatcher and
// every worker must agree. (The tables' own indexes are keyed; this only spreads load.)
import { hashWords } from './keyed-hash.js';

const SHARD_SEED = 0x9e3779b9;

export function shardOf(infoHash: Uint8Array, offset: number, shards: number): number {
  return shards === 1 ? 0 : hashWords(infoHash, offset, 20, SHARD_SEED) % shards;
}
