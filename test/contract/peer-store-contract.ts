// The PeerStore contract (src/swarm/peer-store.ts), run against every implementation: each backend's
// test file calls `peerStoreContract(name, factory)` and nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Event, ReplyKind } from '../../src/core/announce-record.js';
import { AnnounceHandler } from '../../src/dispatch/announce-handler.js';
import type { PeerStore } from '../../src/swarm/peer-store.js';
import type { SwarmSettings } from '../../src/swarm/settings.js';
import { label20, makeRecord, type RecordSpec } from '../helpers/records.js';
import { compact4, compact6, decodeBody, text, type Dict } from '../helpers/replies.js';

export type StoreFactory = (settings: SwarmSettings) => PeerStore;

export const baseSettings: SwarmSettings = {
  intervalSec: 1800,
  minIntervalSec: 900,
  createOnAnnounce: true,
  purgeInactiveTorrents: true,
  respectAF: false,
  maxNumWant: 200,
  maxIdleMs: 1000,
  reapIntervalMs: 60_000,
  torrentMapShards: 4,
  maxPeersPerShard: 0,
};

const T0 = 1_000_000;

export function peerStoreContract(name: string, factory: StoreFactory): void {
  // Outcomes are read through the one encoder every dispatcher uses, so the assertions are on the
  // bytes a client would get.
  const handlers = new WeakMap<PeerStore, AnnounceHandler>();
  const make = (over: Partial<SwarmSettings> = {}): PeerStore => {
    const settings = { ...baseSettings, ...over };
    const store = factory(settings);
    handlers.set(store, new AnnounceHandler(store, settings));
    return store;
  };
  const raw = (store: PeerStore, spec: RecordSpec, nowMs = T0): Buffer => {
    const h = handlers.get(store)!;
    const n = h.handle(makeRecord(spec), nowMs);
    return Buffer.from(h.reply.subarray(0, n));
  };
  const announce = (store: PeerStore, spec: RecordSpec, nowMs = T0): Dict => decodeBody(raw(store, spec, nowMs));
  const scrape = (store: PeerStore, ih: string): number[] => {
    const counts = new Uint32Array(3);
    store.scrape(label20(ih), 0, counts, 0);
    return [...counts];
  };
  const peersOf = (reply: Dict): string[] =>
    (reply.peers as Dict[]).map((p) => `${text(p.ip)}:${p.port as number}/${text(p['peer id']).replace(/\.+$/, '')}`);

  describe(`PeerStore contract: ${name}`, () => {
    it('walks the docs/compatibility.md swarm (counts after apply, self when alone, seeders first)', () => {
      const s = make();
      const base = { infoHash: 'walk', v4: '10.0.0.1', port: 1234, kind: ReplyKind.HttpDict };
      let r = announce(s, { ...base, peerId: 'p1', seeding: true, event: Event.Started });
      assert.deepEqual([r.complete, r.incomplete, r.interval, r['min interval']], [1, 0, 1800, 900]);
      assert.deepEqual(peersOf(r), ['10.0.0.1:1234/p1']);
      r = announce(s, { ...base, peerId: 'p2', seeding: true, event: Event.Started });
      assert.deepEqual([r.complete, r.incomplete], [2, 0]);
      assert.deepEqual(peersOf(r), ['10.0.0.1:1234/p2']);
      r = announce(s, { ...base, peerId: 'p3', event: Event.Started });
      assert.deepEqual([r.complete, r.incomplete], [2, 1]);
      assert.deepEqual(peersOf(r), ['10.0.0.1:1234/p1', '10.0.0.1:1234/p2']);
      r = announce(s, { ...base, peerId: 'p1', seeding: true, event: Event.Stopped });
      assert.deepEqual([r.complete, r.incomplete], [1, 1]);
      assert.equal('peers' in r, false);
      r = announce(s, { ...base, peerId: 'p3' });
      assert.deepEqual([r.complete, r.incomplete], [1, 1]);
      assert.deepEqual(peersOf(r), ['10.0.0.1:1234/p2']);
    });

    it('writes HTTP replies with sorted keys and compact entries byte for byte', () => {
      const s = make();
      const body = raw(s, { infoHash: 'bytes', peerId: 'a', v4: '255.9.127.5', port: 1234, seeding: true });
      assert.equal(body.toString('latin1'),
        'd8:completei1e10:incompletei0e8:intervali1800e12:min intervali900e5:peers6:\xff\x09\x7f\x05\x04\xd2e');
      const none = raw(s, { infoHash: 'bytes', peerId: 'b', v4: '1.2.3.4', numWant: 0 });
      assert.equal(none.toString('latin1'), 'd8:completei1e10:incompletei1e8:intervali1800e12:min intervali900ee');
    });

    it('keeps IPv4 and IPv6 apart and stores both endpoints of a dual-stack peer', () => {
      const s = make();
      announce(s, { infoHash: 'fam', peerId: 's4', v4: '192.0.2.1', seeding: true });
      announce(s, { infoHash: 'fam', peerId: 's6', v6: '2001:db8::1', seeding: true });
      const dual = announce(s, { infoHash: 'fam', peerId: 'dual', v4: '192.0.2.9', v6: '2001:db8::9', seeding: true });
      assert.deepEqual([dual.complete, dual.incomplete], [4, 0], 'a dual-stack peer is one peer per family');
      const only4 = announce(s, { infoHash: 'fam', peerId: 'l4', v4: '192.0.2.20' });
      assert.deepEqual(compact4(only4.peers).sort(), ['192.0.2.1:6881', '192.0.2.9:6881']);
      assert.equal('peers6' in only4, false, 'an IPv4-only announcer never gets IPv6 peers');
      const only6 = announce(s, { infoHash: 'fam', peerId: 'l6', v6: '2001:db8::20' });
      assert.deepEqual(compact6(only6.peers6).sort(), ['[2001:db8:0:0:0:0:0:1]:6881', '[2001:db8:0:0:0:0:0:9]:6881']);
      assert.deepEqual(compact4(only6.peers).sort(), ['192.0.2.1:6881', '192.0.2.20:6881', '192.0.2.9:6881'],
        'respectAF=false: a v6-capable announcer also gets IPv4 peers (seeders, then the IPv4 leecher)');

      const strict = make({ respectAF: true });
      announce(strict, { infoHash: 'fam', peerId: 's4', v4: '192.0.2.1', seeding: true });
      const r = announce(strict, { infoHash: 'fam', peerId: 'l6', v6: '2001:db8::20' });
      assert.deepEqual(compact4(r.peers), [], 'respectAF=true: no IPv4 peers without an IPv4 endpoint');
      assert.deepEqual(compact6(r.peers6), ['[2001:db8:0:0:0:0:0:20]:6881'], 'nothing else to give: itself');
    });

    it('answers UDP with the source family only, in BEP 15 layout', () => {
      const s = make();
      announce(s, { infoHash: 'udp', peerId: 's4', v4: '192.0.2.1', seeding: true });
      announce(s, { infoHash: 'udp', peerId: 's6', v6: '2001:db8::1', seeding: true });
      const r4 = raw(s, { infoHash: 'udp', peerId: 'l4', v4: '198.51.100.1', kind: ReplyKind.Udp4, transactionId: 0xdeadbeef });
      assert.equal(r4.readUInt32BE(0), 1);
      assert.equal(r4.readUInt32BE(4), 0xdeadbeef);
      assert.deepEqual([r4.readUInt32BE(8), r4.readUInt32BE(12), r4.readUInt32BE(16)], [1800, 1, 2]);
      assert.deepEqual(compact4(r4.subarray(20)), ['192.0.2.1:6881']);
      const r6 = raw(s, { infoHash: 'udp', peerId: 'l6', v6: '2001:db8::2', kind: ReplyKind.Udp6 });
      assert.equal(r6.length, 20 + 18);
      assert.deepEqual(compact6(r6.subarray(20)), ['[2001:db8:0:0:0:0:0:1]:6881']);
    });

    it('graduates leechers, counts a snatch once per completion, demotes a re-downloading seeder', () => {
      const s = make();
      announce(s, { infoHash: 'snatch', peerId: 'a', v4: '192.0.2.1', event: Event.Started });
      assert.deepEqual(scrape(s, 'snatch'), [0, 0, 1]);
      announce(s, { infoHash: 'snatch', peerId: 'a', v4: '192.0.2.1', event: Event.Completed });
      assert.deepEqual(scrape(s, 'snatch'), [1, 1, 0]);
      announce(s, { infoHash: 'snatch', peerId: 'a', v4: '192.0.2.1', event: Event.Completed });
      assert.deepEqual(scrape(s, 'snatch'), [1, 1, 0], 'a second completed from a seeder is no new snatch');
      announce(s, { infoHash: 'snatch', peerId: 'b', v4: '192.0.2.2', seeding: true });
      assert.deepEqual(scrape(s, 'snatch'), [2, 1, 0], 'left=0 makes a seeder without a snatch');
      announce(s, { infoHash: 'snatch', peerId: 'b', v4: '192.0.2.2' });
      assert.deepEqual(scrape(s, 'snatch'), [1, 1, 1]);
    });

    it('identifies a peer by peer_id and IP', () => {
      const s = make();
      announce(s, { infoHash: 'id', peerId: 'same', v4: '192.0.2.1' });
      announce(s, { infoHash: 'id', peerId: 'same', v4: '192.0.2.1', port: 7000 });
      assert.deepEqual(scrape(s, 'id'), [0, 0, 1], 'a port change updates the same peer');
      announce(s, { infoHash: 'id', peerId: 'same', v4: '192.0.2.2' });
      assert.deepEqual(scrape(s, 'id'), [0, 0, 2], 'the same peer_id from another IP is another peer');
      const r = announce(s, { infoHash: 'id', peerId: 'other', v4: '192.0.2.3', seeding: true });
      assert.deepEqual(compact4(r.peers).sort(), ['192.0.2.1:7000', '192.0.2.2:6881']);
    });

    it('handles stopped, paused and numwant', () => {
      const s = make();
      for (let i = 0; i < 5; i++) announce(s, { infoHash: 'nw', peerId: `s${i}`, v4: `192.0.2.${i + 1}`, seeding: true });
      assert.equal(compact4(announce(s, { infoHash: 'nw', peerId: 'l', v4: '192.0.2.99', numWant: 2 }).peers).length, 2);
      assert.equal('peers' in announce(s, { infoHash: 'nw', peerId: 'l', v4: '192.0.2.99', numWant: 0 }), false);
      const paused = announce(s, { infoHash: 'nw', peerId: 'l', v4: '192.0.2.99', event: Event.Paused });
      assert.equal('peers' in paused, false);
      assert.deepEqual([paused.complete, paused.incomplete], [5, 0], 'paused removes the peer, as chihaya v1 did');
      const stoppedUnknown = announce(s, { infoHash: 'nw', peerId: 'ghost', v4: '192.0.2.200', event: Event.Stopped });
      assert.deepEqual([stoppedUnknown.complete, stoppedUnknown.incomplete], [5, 0]);
      const stoppedNew = announce(s, { infoHash: 'never', peerId: 'ghost', v4: '192.0.2.200', event: Event.Stopped });
      assert.deepEqual([stoppedNew.complete, stoppedNew.incomplete], [0, 0]);
      assert.equal(s.describe(label20('never')), null, 'stopped does not create a torrent');
    });

    it('rotates through a large swarm and never returns the announcer with others', () => {
      const s = make();
      for (let i = 0; i < 10; i++) announce(s, { infoHash: 'rr', peerId: `s${i}`, v4: `192.0.2.${i + 1}`, seeding: true });
      const a = compact4(announce(s, { infoHash: 'rr', peerId: 'l', v4: '198.51.100.1', numWant: 5 }).peers);
      const b = compact4(announce(s, { infoHash: 'rr', peerId: 'l', v4: '198.51.100.1', numWant: 5 }).peers);
      assert.equal(new Set([...a, ...b]).size, 10, 'two announces of 5 cover all 10 seeders');
      const seeder = compact4(announce(s, { infoHash: 'rr', peerId: 's0', v4: '192.0.2.1', seeding: true }).peers);
      assert.deepEqual(seeder, ['198.51.100.1:6881'], 'a seeder gets leechers only, not itself');
    });

    it('serves numwant peers from a 100,000-peer swarm', () => {
      const s = make({ torrentMapShards: 1 });
      const rec = makeRecord({ infoHash: 'big', peerId: 'x', v4: '10.0.0.0', seeding: true });
      for (let i = 0; i < 100_000; i++) {
        rec.writeUInt32BE(i, 20); // peer_id bytes 0..3
        rec.writeUInt32BE(0x0a000000 + i, 40); // 10.x.y.z
        s.announce(rec, T0);
      }
      assert.deepEqual(scrape(s, 'big'), [100_000, 0, 0]);
      const r = announce(s, { infoHash: 'big', peerId: 'leech', v4: '192.0.2.1', numWant: 50 });
      const peers = compact4(r.peers);
      assert.equal(peers.length, 50);
      assert.equal(new Set(peers).size, 50);
    });

    it('purges emptied torrents, or keeps them when purgeInactiveTorrents is off', () => {
      const s = make();
      announce(s, { infoHash: 'purge', peerId: 'a', v4: '192.0.2.1' });
      assert.notEqual(s.describe(label20('purge')), null);
      announce(s, { infoHash: 'purge', peerId: 'a', v4: '192.0.2.1', event: Event.Stopped });
      assert.equal(s.describe(label20('purge')), null);
      const keep = make({ purgeInactiveTorrents: false });
      announce(keep, { infoHash: 'purge', peerId: 'a', v4: '192.0.2.1' });
      announce(keep, { infoHash: 'purge', peerId: 'a', v4: '192.0.2.1', event: Event.Stopped });
      assert.deepEqual(keep.describe(label20('purge')), { infoHash: label20('purge').toString('hex'), seeders: 0, leechers: 0, snatches: 0 });
    });

    it('refuses unknown torrents when createOnAnnounce is off, until created', () => {
      const s = make({ createOnAnnounce: false });
      assert.equal(text(announce(s, { infoHash: 'api', peerId: 'a', v4: '192.0.2.1' })['failure reason']), 'torrent does not exist');
      const udp = raw(s, { infoHash: 'api', peerId: 'a', v4: '192.0.2.1', kind: ReplyKind.Udp4, transactionId: 7 });
      assert.equal(udp.readUInt32BE(0), 3);
      assert.equal(udp.readUInt32BE(4), 7);
      assert.equal(udp.subarray(8).toString(), 'torrent does not exist');
      assert.equal(s.create(label20('api')), true);
      assert.equal(announce(s, { infoHash: 'api', peerId: 'a', v4: '192.0.2.1' }).incomplete, 1);
      assert.equal(s.remove(label20('api')), true);
      assert.equal(s.remove(label20('api')), false);
      assert.deepEqual(scrape(s, 'api'), [0, 0, 0]);
    });

    it('reaps idle peers (16-bit tick clock across its wrap-around) and purges emptied torrents', () => {
      const s = make({ maxIdleMs: 1000, reapIntervalMs: 60_000 });
      const unitMs = Math.ceil((1000 + 60_000) / 24_576); // swarm/peer-clock.ts
      const nearWrap = (65_536 - 100) * unitMs; // 100 ticks before the 16-bit tick wraps
      announce(s, { infoHash: 'reap', peerId: 'idle', v4: '192.0.2.1' }, nearWrap);
      announce(s, { infoHash: 'reap', peerId: 'busy', v4: '192.0.2.2' }, nearWrap);
      announce(s, { infoHash: 'reap2', peerId: 'idle', v4: '192.0.2.1' }, nearWrap);
      announce(s, { infoHash: 'reap', peerId: 'busy', v4: '192.0.2.2' }, nearWrap + 900);
      assert.equal(s.reap(nearWrap + 950), 0);
      assert.equal(s.reap(nearWrap + 1500), 2, 'both idle records go, across the wrap');
      assert.deepEqual(scrape(s, 'reap'), [0, 0, 1]);
      assert.equal(s.describe(label20('reap2')), null, 'the emptied torrent is purged');
      announce(s, { infoHash: 'reap', peerId: 'late', v4: '192.0.2.3' }, nearWrap + 5000);
      assert.equal(s.reap(nearWrap + 4000), 1, 'a stamp from the future (clock stepped back) is fresh; busy is idle');
      assert.deepEqual(scrape(s, 'reap'), [0, 0, 1]);
    });

    it('scrape answers zeros for unknown hashes and creates nothing', () => {
      const s = make();
      assert.deepEqual(scrape(s, 'unknown'), [0, 0, 0]);
      assert.equal(s.describe(label20('unknown')), null);
    });

    it('refuses with a clear failure when a configured bound is reached', () => {
      const s = make({ maxPeersPerShard: 3, torrentMapShards: 1 });
      for (let i = 0; i < 3; i++) assert.equal(announce(s, { infoHash: 'full', peerId: `p${i}`, v4: `192.0.2.${i + 1}` }).incomplete, i + 1);
      const r = announce(s, { infoHash: 'full', peerId: 'p3', v4: '192.0.2.4' });
      assert.match(text(r['failure reason']), /tracker is full/);
      announce(s, { infoHash: 'full', peerId: 'p0', v4: '192.0.2.1', event: Event.Stopped });
      assert.equal(announce(s, { infoHash: 'full', peerId: 'p3', v4: '192.0.2.4' }).incomplete, 3, 'room again after a peer left');
    });

    it('grows its tables with the swarm and keeps every peer findable', () => {
      const s = make({ torrentMapShards: 2 });
      const rec = makeRecord({ infoHash: 'g', peerId: 'x', v6: '2001:db8::' });
      for (let i = 0; i < 30_000; i++) {
        rec.writeUInt32BE(i % 3000, 0); // 3000 torrents
        rec.writeUInt32BE(i, 20);
        rec.writeUInt32BE(i, 56); // last 4 bytes of the IPv6 address
        s.announce(rec, T0);
      }
      let total = 0;
      const counts = new Uint32Array(3);
      const ih = Buffer.from(label20('g'));
      for (let t = 0; t < 3000; t++) {
        ih.writeUInt32BE(t, 0);
        s.scrape(ih, 0, counts, 0);
        total += counts[2]!;
      }
      assert.equal(total, 30_000);
      rec.writeUInt32BE(17, 0);
      rec.writeUInt32BE(3017, 20);
      rec.writeUInt32BE(3017, 56);
      s.announce(rec, T0);
      ih.writeUInt32BE(17, 0);
      s.scrape(ih, 0, counts, 0);
      assert.equal(counts[2], 10, 're-announcing an existing peer does not add one');
    });
  });
}
