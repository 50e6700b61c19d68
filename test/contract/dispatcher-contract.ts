// The Dispatcher and SwarmControl contract (src/dispatch/dispatcher.ts), run against the shards owned by
// the I/O thread itself (workers: 0) and by swarm worker threads, with several worker counts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Dispatcher, ReplySink, SwarmControl } from '../../src/dispatch/dispatcher.js';
import { Event, OFF_REQUEST_ID, OFF_SINK_ID } from '../../src/core/announce-record.js';
import type { SwarmSettings } from '../../src/swarm/settings.js';
import { Shard, type ShardMemory } from '../../src/swarm/shard.js';
import { SwarmTotalsReader } from '../../src/swarm/swarm-totals.js';
import { label20, makeRecord, type RecordSpec } from '../helpers/records.js';
import { decodeBody } from '../helpers/replies.js';
import { baseSettings } from './peer-store-contract.js';

/** Makes a dispatcher and its control plane over `shards` (allocated by the contract, as the tracker does). */
export type DispatcherFactory = (settings: SwarmSettings, shards: readonly ShardMemory[]) =>
  Promise<{ dispatcher: Dispatcher; control: SwarmControl; close(): Promise<void> }>;

/** Collects replies; `next(id)` resolves with the reply of request `id`. */
export class CollectingSink implements ReplySink {
  readonly replies = new Map<number, Buffer | string>();
  private readonly waiters = new Map<number, (v: Buffer | string) => void>();

  announceDone(requestId: number, bytes: Uint8Array): void {
    this.settle(requestId, Buffer.from(bytes));
  }

  scrapeDone(requestId: number, counts: Uint32Array, n: number): void {
    this.settle(requestId, Buffer.from(counts.buffer.slice(0, 12 * n) as ArrayBuffer));
  }

  requestFailed(requestId: number, reason: string): void {
    this.settle(requestId, reason);
  }

  private settle(id: number, v: Buffer | string): void {
    this.replies.set(id, v);
    this.waiters.get(id)?.(v);
    this.waiters.delete(id);
  }

  next(id: number, timeoutMs = 5000): Promise<Buffer | string> {
    const have = this.replies.get(id);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply for request ${id} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(id, (v) => { clearTimeout(timer); resolve(v); });
    });
  }
}

export function dispatcherContract(name: string, factory: DispatcherFactory): void {
  describe(`Dispatcher contract: ${name}`, () => {
    const open: { close(): Promise<void> }[] = [];
    after(async () => { for (const d of open) await d.close(); });
    const make = async (over: Partial<SwarmSettings> = {}): Promise<{ d: Dispatcher; control: SwarmControl; sink: CollectingSink; sinkId: number; shards: ShardMemory[] }> => {
      const settings = { ...baseSettings, torrentMapShards: 8, ...over };
      const shards = Shard.allocateAll(settings);
      const made = await factory(settings, shards);
      open.push(made);
      const d = made.dispatcher;
      const sink = new CollectingSink();
      return { d, control: made.control, sink, sinkId: d.register(sink), shards };
    };
    let nextId = 1;
    const send = (d: Dispatcher, sinkId: number, spec: RecordSpec): number => {
      const rec = makeRecord(spec);
      const id = nextId++;
      rec[OFF_SINK_ID] = sinkId;
      rec.writeUInt32LE(id, OFF_REQUEST_ID);
      assert.equal(d.announce(rec), true);
      return id;
    };

    it('routes announces to the owner of each torrent and returns their reply bytes', async () => {
      const { d, sink, sinkId } = await make();
      const ids: number[] = [];
      for (let t = 0; t < 40; t++) for (let p = 0; p < 3; p++) ids.push(send(d, sinkId, { infoHash: `t${t}`, peerId: `p${p}`, v4: `192.0.2.${p + 1}` }));
      const last = await Promise.all(ids.map((id) => sink.next(id)));
      for (let t = 0; t < 40; t++) {
        const body = decodeBody(last[t * 3 + 2] as Buffer);
        assert.equal(body.incomplete, 3, `torrent t${t} saw its three peers`);
      }
    });

    it('splits a scrape over the owners and merges it in request order', async () => {
      const { d, sink, sinkId } = await make();
      const ids: number[] = [];
      for (let t = 0; t < 16; t++) for (let p = 0; p <= t % 4; p++) ids.push(send(d, sinkId, { infoHash: `s${t}`, peerId: `p${p}`, v4: '192.0.2.1', seeding: p === 0 }));
      await Promise.all(ids.map((id) => sink.next(id)));
      const hashes = Buffer.concat([...Array.from({ length: 16 }, (_, t) => label20(`s${t}`)), label20('unknown')]);
      const id = nextId++;
      assert.equal(d.scrape(sinkId, id, hashes, 17), true);
      const counts = new Uint32Array(((await sink.next(id)) as Buffer).buffer.slice(0) as ArrayBuffer);
      for (let t = 0; t < 16; t++) {
        assert.deepEqual([...counts.subarray(3 * t, 3 * t + 3)], [1, 0, t % 4], `hash ${t} in its place`);
      }
      assert.deepEqual([...counts.subarray(48, 51)], [0, 0, 0]);
    });

    it('serves the control plane (describe, create, remove)', async () => {
      const { control } = await make({ createOnAnnounce: false });
      const ih = label20('ctl');
      assert.equal(await control.describe(ih), null);
      assert.equal(await control.create(ih), true);
      assert.deepEqual(await control.describe(ih), { infoHash: ih.toString('hex'), seeders: 0, leechers: 0, snatches: 0 });
      assert.equal(await control.remove(ih), true);
      assert.equal(await control.remove(ih), false);
    });

    it('writes into the shards it was given, where stats read them without a message', async () => {
      const { d, sink, sinkId, shards } = await make({ torrentMapShards: 5 });
      const ids: number[] = [];
      for (let t = 0; t < 20; t++) ids.push(send(d, sinkId, { infoHash: `m${t}`, peerId: 'p', v4: '192.0.2.9' }));
      await Promise.all(ids.map((id) => sink.next(id)));
      const totals = new SwarmTotalsReader(shards).read();
      assert.equal(totals.torrentsSize, 20);
      assert.equal(totals.peersIPv4.Peers.Current, 20);
      assert.ok(shards.every((m) => new Shard(m).torrents.live > 0), 'every one of the 5 shards holds torrents');
    });

    it('keeps the event order of one peer', async () => {
      const { d, sink, sinkId } = await make();
      send(d, sinkId, { infoHash: 'order', peerId: 'a', v4: '192.0.2.1', event: Event.Started });
      send(d, sinkId, { infoHash: 'order', peerId: 'a', v4: '192.0.2.1', event: Event.Completed });
      const id = send(d, sinkId, { infoHash: 'order', peerId: 'b', v4: '192.0.2.2', numWant: 0 });
      const body = decodeBody((await sink.next(id)) as Buffer);
      assert.deepEqual([body.complete, body.incomplete], [1, 1]);
    });
  });
}
