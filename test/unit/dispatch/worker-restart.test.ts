// Worker threads: a killed worker is restarted over its shared tables without losing a peer, requests
// in flight get an answer or a failure (never hang), and a full ring refuses instead of growing.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Shard } from '../../../src/swarm/shard.js';
import { OFF_REQUEST_ID, OFF_SINK_ID } from '../../../src/core/announce-record.js';
import { CollectingSink } from '../../contract/dispatcher-contract.js';
import { localSwarm, type LocalSwarm } from '../../helpers/local-swarm.js';
import { baseSettings } from '../../contract/peer-store-contract.js';
import { label20, makeRecord } from '../../helpers/records.js';

const settings8 = { ...baseSettings, torrentMapShards: 8 };
const settings1 = { ...baseSettings, torrentMapShards: 1 };

describe('worker dispatcher under failure', () => {
  const open: LocalSwarm[] = [];
  after(async () => { for (const s of open) await s.close(); });

  it('restarts a worker killed under load; its swarms stay complete', async () => {
    const swarm = await localSwarm(settings8, Shard.allocateAll(settings8), 2);
    open.push(swarm);
    const d = swarm.dispatcher;
    const pool = swarm.pool!;
    const sink = new CollectingSink();
    const sinkId = d.register(sink);
    let id = 0;
    const announce = (t: number, p: number): number => {
      const rec = makeRecord({ infoHash: `k${t}`, peerId: `p${p}`, v4: `10.0.${t}.${p}` });
      rec[OFF_SINK_ID] = sinkId;
      rec.writeUInt32LE(++id, OFF_REQUEST_ID);
      return d.announce(rec) ? id : -1;
    };
    const first: number[] = [];
    for (let t = 0; t < 200; t++) for (let p = 0; p < 10; p++) first.push(announce(t, p));
    await Promise.all(first.map((i) => sink.next(i)));

    // Load: re-announces of the same peers, while worker 0 is terminated mid-stream.
    const inFlight: number[] = [];
    let killed = false;
    for (let round = 0; round < 20; round++) {
      for (let t = 0; t < 200; t++) inFlight.push(announce(t, round % 10));
      if (round === 5) {
        killed = true;
        void pool.workers[0]!.terminate();
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(killed);
    const outcomes = await Promise.all(inFlight.filter((i) => i > 0).map((i) => sink.next(i, 10_000)));
    const failures = outcomes.filter((o) => typeof o === 'string');
    // Wait for the restart to be in place, then check every swarm.
    for (let i = 0; i < 100 && pool.restarts === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.restarts, 1);
    await pool.ready();
    const hashes = Buffer.concat(Array.from({ length: 200 }, (_, t) => label20(`k${t}`)));
    const sid = ++id;
    assert.equal(d.scrape(sinkId, sid, hashes, 200), true);
    const counts = new Uint32Array(((await sink.next(sid)) as Buffer).buffer.slice(0) as ArrayBuffer);
    for (let t = 0; t < 200; t++) assert.equal(counts[3 * t + 2], 10, `torrent k${t} still has its 10 peers`);
    assert.equal(swarm.counters.failedOwnerDied, failures.length, 'every failed request was counted');
  });

  it('refuses announces when a worker\'s ring is full, and answers every accepted one', async () => {
    const swarm = await localSwarm(settings1, Shard.allocateAll(settings1), 1);
    open.push(swarm);
    const d = swarm.dispatcher;
    const sink = new CollectingSink();
    const sinkId = d.register(sink);
    const accepted: number[] = [];
    let refused = 0;
    const rec = makeRecord({ infoHash: 'bp', peerId: 'p', v4: '10.0.0.1' });
    rec[OFF_SINK_ID] = sinkId;
    for (let i = 1; i <= 300_000; i++) {
      rec.writeUInt32LE(i, OFF_REQUEST_ID);
      rec.writeUInt32LE(i, 20);
      if (d.announce(rec)) accepted.push(i);
      else refused++;
    }
    assert.ok(refused > 0, 'a synchronous burst larger than the rings is refused, not queued without bound');
    assert.equal(swarm.counters.refusedBusy, refused);
    const last = accepted[accepted.length - 1]!;
    await sink.next(last, 20_000);
    for (const i of accepted) assert.ok(sink.replies.has(i));
  });
});
