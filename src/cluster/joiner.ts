// Loading the cluster's swarms when this instance starts (before it reports ready), per shard group:
// the snatch counts and the stream's last entry id are read at one instant, by a script (a batch and the
// counts it adds are written in one MULTI, so the two agree), then the stream up to that entry is read page by page
// and applied without counting snatches, then the counts are set. Tailing resumes after that entry.
import { randomBytes } from 'node:crypto';
import { SHARD_GROUPS } from '../dispatch/cluster-messages.js';
import { LinkSlot, type LinkState } from './link-state.js';
import { groupKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import type { RemoteWriter } from './remote-writer.js';
import { BINARY_REPLIES, type StreamEntry } from './stream-reply.js';
import { applyEntry, SeenBatches } from './tailer.js';

const PAGE_ENTRIES = 200;

/** The snatch counts and the stream's last entry, at one instant (a script runs atomically). */
const SNAPSHOT_SCRIPT = "return { redis.call('HGETALL', KEYS[1]), redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1) }";

export interface JoinedGroup {
  /** Where tailing resumes ("0-0" for an empty stream). */
  lastId: string;
  /** The group's data generation as found (or set) now. */
  epoch: string;
  seen: SeenBatches;
}

/** Reads and sets (if absent) the group's epoch. */
export async function ensureEpoch(link: RedisLink, prefix: string, group: number): Promise<string> {
  const k = groupKeys(prefix, group);
  await link.command(k.epoch, ['SET', k.epoch, randomBytes(8).toString('hex'), 'NX']);
  return String(await link.command<string | null>(k.epoch, ['GET', k.epoch]));
}

export async function joinGroup(link: RedisLink, prefix: string, group: number, ownId: Buffer, writer: RemoteWriter,
  state: LinkState): Promise<JoinedGroup> {
  const k = groupKeys(prefix, group);
  const epoch = await ensureEpoch(link, prefix, group);
  // One script rather than a MULTI: node-redis applies no type mapping to EXEC's replies, so the
  // binary info_hash fields of HGETALL came back as UTF-8 strings, mangled, and every count was lost.
  const [snatches, last] = await link.command<[unknown, StreamEntry[]]>(k.changes,
    ['EVAL', SNAPSHOT_SCRIPT, '2', k.snatches, k.changes], BINARY_REPLIES);
  const seen = new SeenBatches();
  const upTo = last.length > 0 ? last[0]![0].toString('latin1') : null;
  let changes = 0;
  if (upTo !== null) {
    let start = '-';
    for (;;) {
      const page = await link.command<StreamEntry[]>(k.changes, ['XRANGE', k.changes, start, upTo, 'COUNT', String(PAGE_ENTRIES)], BINARY_REPLIES);
      for (const e of page) {
        if (await applyEntry(e, ownId, seen, writer, state, true)) changes += countOf(e);
      }
      if (page.length < PAGE_ENTRIES) break;
      start = `(${page[page.length - 1]![0].toString('latin1')}`;
    }
  }
  for (const [ih, count] of snatchPairs(snatches)) await writer.snatches(ih, count);
  writer.flush();
  state.add(LinkSlot.JoinChanges, changes);
  return { lastId: upTo ?? '0-0', epoch, seen };
}

function countOf(e: StreamEntry): number {
  const blob = e[1][1];
  return blob === undefined || blob.length < 4 ? 0 : blob.readUInt16LE(2);
}

/** HGETALL as node-redis returns it (a flat array, a Map or an object, by RESP version). */
function snatchPairs(reply: unknown): [Buffer, number][] {
  const out: [Buffer, number][] = [];
  const push = (k: unknown, v: unknown): void => {
    const key = Buffer.isBuffer(k) ? k : Buffer.from(String(k), 'latin1');
    if (key.length === 20) out.push([key, Number(Buffer.isBuffer(v) ? v.toString('latin1') : v)]);
  };
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) push(reply[i], reply[i + 1]);
  else if (reply instanceof Map) for (const [k, v] of reply) push(k, v);
  else if (reply !== null && typeof reply === 'object') for (const [k, v] of Object.entries(reply)) push(k, v);
  return out;
}

/** Every group, a few at a time (each is a handful of round trips and its pages). */
export async function joinAll(link: RedisLink, prefix: string, ownId: Buffer, writer: RemoteWriter, state: LinkState): Promise<JoinedGroup[]> {
  const out: JoinedGroup[] = new Array<JoinedGroup>(SHARD_GROUPS);
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let g = next++; g < SHARD_GROUPS; g = next++) out[g] = await joinGroup(link, prefix, g, ownId, writer, state);
  }));
  return out;
}
