// Cluster mode's message format in Redis: one stream entry carries one batch of peer changes from one
// instance for one shard group, as a single binary field. A change is the first 64 bytes of the
// 80-byte announce record verbatim (info_hash, peer_id, IPv4, IPv6, port, flags, event), so the hot path
// publishes a change with one 64-byte copy and a receiver applies it through the same record format.
// The batch header carries what is common to the batch: who sent it, its per-group sequence number and
// the time of its first change (a batch is sealed every tick, so every change in it is at most one tick
// younger; held batches keep their original time, so a peer announced during a Redis outage still
// expires on schedule everywhere).
//
// Batch layout (little-endian):
//   0  u8   version (1)
//   1  u8   kind: 0 live changes, 1 republish (after Redis lost its data: `completed` is not counted again)
//   2  u16  change count
//   4  u32  sequence number of this batch, per (instance, group)
//   8  8 B  instance id
//   16 u48  time of the first change, ms since the epoch (the sender's clock)
//   22 u16  span: last change time - first change time, ms (saturates at 65535)
//   24      count x 64-byte changes

export const BATCH_VERSION = 1;
export const BATCH_HEADER_BYTES = 24;
export const CHANGE_BYTES = 64;
export const MAX_CHANGES_PER_BATCH = 0xffff;

export const enum BatchKind {
  Live = 0,
  Republish = 1,
}

export interface BatchHeader {
  kind: BatchKind;
  count: number;
  seq: number;
  instanceId: Buffer;   // 8 bytes (a view into the batch)
  firstChangeMs: number;
  spanMs: number;
}

export function batchBytes(count: number): number {
  return BATCH_HEADER_BYTES + count * CHANGE_BYTES;
}

/** Writes the header of a batch whose `count` changes are already at BATCH_HEADER_BYTES + i * 64. */
export function writeBatchHeader(out: Buffer, kind: BatchKind, count: number, seq: number, instanceId: Uint8Array,
  firstChangeMs: number, lastChangeMs: number): void {
  if (count > MAX_CHANGES_PER_BATCH) throw new RangeError(`a batch holds at most ${MAX_CHANGES_PER_BATCH} changes, got ${count}`);
  if (instanceId.length !== 8) throw new RangeError(`instance id must be 8 bytes, got ${instanceId.length}`);
  out[0] = BATCH_VERSION;
  out[1] = kind;
  out.writeUInt16LE(count, 2);
  out.writeUInt32LE(seq >>> 0, 4);
  out.set(instanceId, 8);
  out.writeUIntLE(firstChangeMs, 16, 6);
  out.writeUInt16LE(Math.min(0xffff, Math.max(0, lastChangeMs - firstChangeMs)), 22);
}

/** Reads and checks a batch header; throws a specific error for a blob that is not a batch of ours. */
export function readBatchHeader(blob: Buffer): BatchHeader {
  if (blob.length < BATCH_HEADER_BYTES) throw new Error(`cluster batch too short: ${blob.length} bytes`);
  if (blob[0] !== BATCH_VERSION) throw new Error(`cluster batch version ${blob[0]} is not ${BATCH_VERSION}`);
  const count = blob.readUInt16LE(2);
  if (blob.length !== batchBytes(count)) {
    throw new Error(`cluster batch of ${count} changes must be ${batchBytes(count)} bytes, got ${blob.length}`);
  }
  return {
    kind: blob[1] as BatchKind,
    count,
    seq: blob.readUInt32LE(4),
    instanceId: blob.subarray(8, 16),
    firstChangeMs: blob.readUIntLE(16, 6),
    spanMs: blob.readUInt16LE(22),
  };
}

/** Offset of change `i` in a batch. */
export function changeOffset(i: number): number {
  return BATCH_HEADER_BYTES + i * CHANGE_BYTES;
}
