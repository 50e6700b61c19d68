// Walking XREAD / XRANGE replies as node-redis returns them with blob strings mapped to Buffers:
// XRANGE is [[id, [field, value, ...]], ...]; XREAD is, per stream, [key, entries] (RESP2) or a map from
// key to entries (RESP3, which node-redis may hand over as an object, a Map or a flat array).
import { RESP_TYPES } from 'redis';

/** Command options for raw commands whose replies carry binary batches. */
export const BINARY_REPLIES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.MAP]: Array } } as const;

export type StreamEntry = [Buffer, Buffer[]];

/** Calls `onEntries(key, entries)` for each stream in an XREAD reply (null = timed out). */
export function forEachStream(reply: unknown, onEntries: (key: string, entries: StreamEntry[]) => void): void {
  if (reply === null || reply === undefined) return;
  if (reply instanceof Map) {
    for (const [k, v] of reply) onEntries(String(k), v as StreamEntry[]);
    return;
  }
  if (Array.isArray(reply)) {
    if (reply.length > 0 && !Array.isArray(reply[0])) {
      for (let i = 0; i < reply.length; i += 2) onEntries(String(reply[i]), reply[i + 1] as StreamEntry[]);
    } else {
      for (const pair of reply as [Buffer, StreamEntry[]][]) onEntries(String(pair[0]), pair[1]);
    }
    return;
  }
  for (const [k, v] of Object.entries(reply as Record<string, StreamEntry[]>)) onEntries(k, v);
}

/** The milliseconds part of a stream entry ID ("<ms>-<seq>"). */
export function entryIdMs(id: Buffer): number {
  let ms = 0;
  for (let i = 0; i < id.length; i++) {
    const c = id[i]!;
    if (c === 0x2d) break;
    ms = ms * 10 + (c - 0x30);
  }
  return ms;
}

/** The value of field `name` in an entry's [field, value, ...] list, or undefined. */
export function fieldValue(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString('latin1') === name) return fields[i + 1];
  return undefined;
}
