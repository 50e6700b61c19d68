// PeerTable: fixed-size peer records keyed by (torrent, peer_id, IP), circular seeder/leecher lists
// threaded through them, a bound, growth, and repair from the records alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerTable } from '../../../src/swarm/peer-table.js';

const KEY_BYTES = 20 + 16 + 2; // peer_id, ip (16 for IPv6), port: a source buffer laid out for the table
function source(peerId: string, ip: number[], port: number): Uint8Array {
  const b = Buffer.alloc(KEY_BYTES);
  b.write(peerId.padEnd(20, '.'), 0, 'latin1');
  b.set(ip, 20);
  b.writeUInt16BE(port, 36);
  return b;
}
const PEER_ID = 0;
const IP = 20;
const PORT = 36;

function table(ipBytes: 4 | 16, max = 100_000): PeerTable {
  return new PeerTable(PeerTable.allocate(ipBytes, max, 7), ipBytes);
}

describe('PeerTable', () => {
  it('finds a peer by torrent, peer_id and IP, and by nothing less', () => {
    const t = table(4);
    const a = source('a', [10, 0, 0, 1], 1000);
    const slot = t.insert(5, a, PEER_ID, IP, PORT, 123, false);
    assert.ok(slot > 0);
    assert.equal(t.find(5, a, PEER_ID, IP), slot);
    assert.equal(t.find(6, a, PEER_ID, IP), 0, 'another torrent');
    assert.equal(t.find(5, source('b', [10, 0, 0, 1], 1000), PEER_ID, IP), 0, 'another peer_id');
    assert.equal(t.find(5, source('a', [10, 0, 0, 2], 1000), PEER_ID, IP), 0, 'another address');
    assert.equal(t.find(5, source('a', [10, 0, 0, 1], 2000), PEER_ID, IP), slot, 'the port is not identity');
    assert.equal(t.torrentOf(slot), 5);
    assert.equal(t.lastSeen(slot), 123);
    assert.equal(t.isSeeder(slot), false);
  });

  it('keeps the role flag apart from the torrent slot, and touch refreshes port and clock', () => {
    const t = table(16);
    const a = source('six', [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 1000);
    const slot = t.insert(0xff_fffe, a, PEER_ID, IP, PORT, 1, true);
    assert.equal(t.isSeeder(slot), true);
    assert.equal(t.torrentOf(slot), 0xff_fffe);
    t.setSeeder(slot, false);
    assert.equal(t.isSeeder(slot), false);
    assert.equal(t.torrentOf(slot), 0xff_fffe);
    t.touch(slot, source('six', [], 4321), PORT, 999);
    assert.equal(t.lastSeen(slot), 999);
    const base = slot * t.recordBytes;
    assert.equal((t.u8[base + 32]! << 8) | t.u8[base + 33]!, 4321);
    assert.equal(t.recordBytes, 52);
    assert.equal(table(4).recordBytes, 40);
  });

  it('threads circular lists: link at the tail, unlink moves the head on, the last one empties it', () => {
    const t = table(4);
    const slots = [1, 2, 3].map((i) => t.insert(1, source(`p${i}`, [10, 0, 0, i], 1), PEER_ID, IP, PORT, 0, false));
    let head = 0;
    for (const s of slots) head = t.link(head, s);
    const walk = (h: number): number[] => {
      const out: number[] = [];
      if (h === 0) return out;
      let s = h;
      do { out.push(s); s = t.next(s); } while (s !== h && out.length < 10);
      return out;
    };
    assert.deepEqual(walk(head), slots);
    head = t.unlink(head, slots[0]!);
    assert.deepEqual(walk(head), [slots[1], slots[2]]);
    head = t.unlink(head, slots[2]!);
    assert.deepEqual(walk(head), [slots[1]]);
    head = t.unlink(head, slots[1]!);
    assert.equal(head, 0);
  });

  it('refuses past its bound, and reuses removed records', () => {
    const t = table(4, 3);
    const s = [1, 2, 3].map((i) => t.insert(1, source(`b${i}`, [10, 0, 0, i], 1), PEER_ID, IP, PORT, 0, false));
    assert.ok(s.every((x) => x > 0));
    assert.equal(t.insert(1, source('b4', [10, 0, 0, 4], 1), PEER_ID, IP, PORT, 0, false), 0);
    t.remove(s[1]!);
    assert.equal(t.find(1, source('b2', [10, 0, 0, 2], 1), PEER_ID, IP), 0);
    assert.ok(t.insert(1, source('b4', [10, 0, 0, 4], 1), PEER_ID, IP, PORT, 0, false) > 0);
    assert.equal(t.live, 3);
  });

  it('grows records and index past their first allocation, every peer still found', () => {
    const t = table(4);
    const n = 20_000;
    for (let i = 0; i < n; i++) assert.ok(t.insert(1 + (i % 50), source(`g${i}`, [10, (i >> 16) & 255, (i >> 8) & 255, i & 255], 1), PEER_ID, IP, PORT, 0, false) > 0);
    for (let i = 0; i < n; i++) assert.ok(t.find(1 + (i % 50), source(`g${i}`, [10, (i >> 16) & 255, (i >> 8) & 255, i & 255], 1), PEER_ID, IP) > 0, `peer ${i}`);
    assert.equal(t.live, n);
  });

  it('repair rebuilds the index and free list from the records alone', () => {
    const t = table(4);
    const keys = Array.from({ length: 300 }, (_, i) => source(`r${i}`, [192, 0, 2, i & 255], 1));
    const slots = keys.map((k, i) => t.insert(1 + (i % 3), k, PEER_ID, IP, PORT, 0, false));
    for (let i = 0; i < 300; i += 3) t.remove(slots[i]!);
    t.index.table.fill(0); // as if the writer died mid-rebuild
    t.slots.header.fill(0, 1, 3);
    t.repair();
    assert.equal(t.live, 200);
    keys.forEach((k, i) => assert.equal(t.find(1 + (i % 3), k, PEER_ID, IP), i % 3 === 0 ? 0 : slots[i], `peer ${i}`));
  });
});
