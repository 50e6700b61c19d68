// Shard.repair(): after the owner thread died mid-write, the indexes, peer lists, list counts and
// current-peer counters are rebuilt from the records themselves (which every write fills before it
// marks them live), and a torrent caught mid-deletion is finished.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peerCounter, PeerCounter } from '../../../src/swarm/counters.js';
import { Shard } from '../../../src/swarm/shard.js';
import { List } from '../../../src/swarm/torrent-table.js';

function infoHash(i: number): Buffer {
  const b = Buffer.alloc(20, 0x61);
  b.writeUInt32BE(i, 0);
  return b;
}
function peer(id: string, a: number, b: number): Buffer { // peer_id 0..20, ipv4 20..24, port 36..38
  const s = Buffer.alloc(38);
  s.write(id.padEnd(20, '.'), 0, 'latin1');
  s.set([10, 1, a, b], 20);
  s.writeUInt16BE(6881, 36);
  return s;
}

interface Snapshot { lists: number[][][]; current: number; seeds: number; find: number[] }

function snapshot(shard: Shard, torrents: number[]): Snapshot {
  const lists = torrents.map((t) => [List.Seeders4, List.Leechers4].map((l) => {
    const out: number[] = [];
    const head = shard.torrents.head(t, l);
    if (head === 0) return out;
    let s = head;
    do { out.push(s); s = shard.peers[0].next(s); } while (s !== head);
    return out.sort((x, y) => x - y);
  }));
  return {
    lists,
    current: shard.counters[peerCounter(0, PeerCounter.PeersCurrent)]!,
    seeds: shard.counters[peerCounter(0, PeerCounter.SeedsCurrent)]!,
    find: torrents.map((_, i) => shard.torrents.find(infoHash(i), 0)),
  };
}

describe('Shard.repair', () => {
  it('rebuilds lists, counts, counters and indexes of a shard whose bookkeeping was torn', () => {
    const memory = Shard.allocate(0);
    const shard = new Shard(memory);
    const torrents: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = shard.addTorrent(infoHash(i), 0);
      torrents.push(t);
      for (let p = 0; p < 1 + (i % 6); p++) shard.addPeer(t, 0, peer(`p${p}`, i, p), 0, 20, 36, p % 2 === 0, 0);
    }
    // some churn: graduate, remove
    shard.setRole(torrents[3]!, 0, shard.torrents.head(torrents[3]!, List.Leechers4), true);
    shard.removePeer(torrents[5]!, 0, shard.torrents.head(torrents[5]!, List.Seeders4), false);
    const before = snapshot(shard, torrents);
    const seedersBefore = torrents.map((t) => shard.torrents.seeders(t));
    const leechersBefore = torrents.map((t) => shard.torrents.leechers(t));

    // Tear everything a writer updates after the records themselves.
    for (const t of torrents) shard.torrents.clearLists(t);
    shard.torrents.index.table.fill(0);
    shard.peers[0].index.table.fill(0);
    shard.counters[peerCounter(0, PeerCounter.PeersCurrent)] = 12345;
    shard.counters[peerCounter(0, PeerCounter.SeedsCurrent)] = -7;

    const restarted = new Shard(memory); // the new owner thread's view of the same memory
    restarted.repair();
    assert.deepEqual(snapshot(restarted, torrents), before);
    assert.deepEqual(torrents.map((t) => restarted.torrents.seeders(t)), seedersBefore);
    assert.deepEqual(torrents.map((t) => restarted.torrents.leechers(t)), leechersBefore);
    assert.equal(restarted.peers[0].find(torrents[7]!, peer('p0', 7, 0), 0, 20), shard.peers[0].find(torrents[7]!, peer('p0', 7, 0), 0, 20));
  });

  it('drops peers whose torrent was being deleted, and a half-written record never becomes a peer', () => {
    const memory = Shard.allocate(0);
    const shard = new Shard(memory);
    const keep = shard.addTorrent(infoHash(1), 0);
    const doomed = shard.addTorrent(infoHash(2), 0);
    shard.addPeer(keep, 0, peer('k', 1, 1), 0, 20, 36, false, 0);
    for (let p = 0; p < 3; p++) shard.addPeer(doomed, 0, peer(`d${p}`, 2, p), 0, 20, 36, false, 0);
    // Killed inside deleteTorrent: the torrent record is already freed, its peers not yet.
    shard.torrents.remove(doomed);
    // Killed inside insert: a record allocated and filled, but its torrent word (the live mark) unwritten.
    const half = shard.peers[0].slots.alloc();
    shard.peers[0].u8.set(peer('half', 9, 9).subarray(0, 20), half * shard.peers[0].recordBytes + 12);

    const restarted = new Shard(memory);
    restarted.repair();
    assert.equal(restarted.peers[0].live, 1, 'only the peer of the surviving torrent');
    assert.equal(restarted.counters[peerCounter(0, PeerCounter.PeersCurrent)], 1);
    assert.equal(restarted.torrents.leechers(keep), 1);
    assert.equal(restarted.torrents.find(infoHash(2), 0), 0);
    assert.ok(restarted.addPeer(keep, 0, peer('new', 1, 2), 0, 20, 36, false, 0) > 0, 'freed records are usable again');
  });
});
