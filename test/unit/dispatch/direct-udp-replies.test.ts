// Forwarded UDP announces with `workers: 0` (Msg.AnnounceDirect): two I/O threads' dispatchers and
// shard hosts over one real mesh of rings, run here on one thread. An announce for the other thread's
// shard is forgotten by the thread that received it (its sink's forward writes the reply-to) and
// answered by the owner's DirectReplies with the owner's reply bytes, exactly once; nothing comes back
// up the reply ring; a request ring the owner has not drained counts as in flight; and when the owner
// dies first, every unread forwarded announce is failed exactly once through forwardedFailed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OFF_INFO_HASH, OFF_REQUEST_ID, OFF_SINK_ID, OFF_TRANSACTION_ID, ReplyKind } from '../../../src/core/announce-record.js';
import type { DirectReplies, ReplySink } from '../../../src/dispatch/dispatcher.js';
import { allocateMesh, ownerOfShard } from '../../../src/dispatch/mesh.js';
import {
  ANNOUNCE_RECORD_AT, DIRECT_ADDR_AT, DIRECT_FAMILY_AT, DIRECT_KIND_AT, DIRECT_PORT_AT, DIRECT_STARTED_AT,
} from '../../../src/dispatch/ring-messages.js';
import { RoutedDispatcher } from '../../../src/dispatch/routed-dispatcher.js';
import { ShardHost } from '../../../src/dispatch/shard-host.js';
import { Shard } from '../../../src/swarm/shard.js';
import { shardOf } from '../../../src/swarm/shard-of.js';
import { baseSettings } from '../../contract/peer-store-contract.js';
import { makeRecord } from '../../helpers/records.js';

const settings = { ...baseSettings, torrentMapShards: 8 };

interface Forwarded { requestId: number; family: number; kind: number; port: number; addr: number[]; startedAt: number }

/** A UDP-like sink: remembers what it forwarded, what was answered through it and what failed. */
class UdpLikeSink implements ReplySink, DirectReplies {
  readonly forwarded: Forwarded[] = [];
  readonly answered: number[] = [];
  readonly sent: { port: number; addr: number[]; kind: number; bytes: number[] }[] = [];
  readonly failed: { port: number; reason: string; transactionId: number }[] = [];

  announceDone(requestId: number): void {
    this.answered.push(requestId);
  }

  scrapeDone(): void {}

  requestFailed(requestId: number, reason: string): void {
    this.failed.push({ port: -1, reason, transactionId: requestId });
  }

  forward(requestId: number, msg: Buffer, at: number): void {
    // What the UDP frontend writes: where the reply goes, and when the request arrived.
    const f = { requestId, family: 4, kind: 7, port: 40_000 + requestId, addr: [192, 0, 2, requestId & 0xff], startedAt: 1_234.5 };
    msg[at + DIRECT_FAMILY_AT] = f.family;
    msg[at + DIRECT_KIND_AT] = f.kind;
    msg.writeUInt16LE(f.port, at + DIRECT_PORT_AT);
    for (let k = 0; k < 16; k++) msg[at + DIRECT_ADDR_AT + k] = f.addr[k] ?? 0;
    msg.writeDoubleLE(f.startedAt, at + DIRECT_STARTED_AT);
    this.forwarded.push(f);
  }

  forwardedFailed(msg: Buffer, at: number, reason: string): void {
    this.failed.push({ port: msg.readUInt16LE(at + DIRECT_PORT_AT), reason, transactionId: msg.readUInt32BE(at + ANNOUNCE_RECORD_AT + OFF_TRANSACTION_ID) });
  }

  sendForwarded(reply: Uint8Array, n: number, msg: Buffer, at: number): void {
    assert.equal(msg.readDoubleLE(at + DIRECT_STARTED_AT), 1_234.5);
    this.sent.push({
      port: msg.readUInt16LE(at + DIRECT_PORT_AT),
      addr: [...msg.subarray(at + DIRECT_ADDR_AT, at + DIRECT_ADDR_AT + 4)],
      kind: msg[at + DIRECT_KIND_AT]!,
      bytes: [...reply.subarray(0, n)],
    });
  }
}

/** Two I/O threads that own the shards between them (workers: 0), with direct UDP replies. */
function twoThreads() {
  const shards = Shard.allocateAll(settings);
  const mesh = allocateMesh(2, 0);
  const hosts = [0, 1].map((i) => new ShardHost(settings, shards, mesh, i, false));
  const dispatchers = [0, 1].map((i) => new RoutedDispatcher(mesh, i, shards.length, hosts[i]!, { refusedBusy: 0, failedOwnerDied: 0 }, true));
  const sinks = [0, 1].map(() => new UdpLikeSink());
  const sinkIds = [0, 1].map((i) => dispatchers[i]!.register(sinks[i]!));
  hosts.forEach((h, i) => { h.direct = sinks[i]!; });
  return { hosts, dispatchers, sinks, sinkIds, close: () => hosts.forEach((h) => h.close()) };
}

/** A UDP announce record (BEP 15 reply, IPv4) for a torrent whose shard `owner` owns. */
function recordOwnedBy(owner: number, n: number, sinkId: number, requestId: number): Buffer {
  for (let i = 0; ; i++) {
    const rec = makeRecord({ infoHash: `t${n}-${i}`, peerId: `p${requestId}`, v4: `10.0.0.${requestId & 0xff}`,
      kind: ReplyKind.Udp4, transactionId: 0xabc00000 + requestId });
    if (ownerOfShard(shardOf(rec, OFF_INFO_HASH, settings.torrentMapShards), 2) !== owner) continue;
    rec[OFF_SINK_ID] = sinkId;
    rec.writeUInt32LE(requestId, OFF_REQUEST_ID);
    return rec;
  }
}

describe('forwarded UDP announces (workers: 0, direct replies)', () => {
  it('the owner answers each forwarded announce once, to its reply-to; nothing comes back up the ring', () => {
    const t = twoThreads();
    try {
      for (let r = 1; r <= 20; r++) assert.equal(t.dispatchers[0]!.announce(recordOwnedBy(1, r, t.sinkIds[0]!, r)), true);
      assert.equal(t.sinks[0]!.forwarded.length, 20, 'every announce for the other thread was forwarded');
      assert.equal(t.dispatchers[0]!.ringsWithUnread(), 1, 'in flight until the owner drains its ring');
      t.hosts[1]!.drain();
      assert.equal(t.dispatchers[0]!.ringsWithUnread(), 0);
      const sent = t.sinks[1]!.sent;
      assert.equal(sent.length, 20, 'the owner sent one reply per forwarded announce');
      for (let r = 1; r <= 20; r++) {
        const s = sent[r - 1]!;
        assert.equal(s.port, 40_000 + r);
        assert.deepEqual(s.addr, [192, 0, 2, r]);
        assert.equal(s.kind, 7);
        assert.equal(Buffer.from(s.bytes).readUInt32BE(0), 1, 'a BEP 15 announce reply');
        assert.equal(Buffer.from(s.bytes).readUInt32BE(4), 0xabc00000 + r, 'with the request\'s transaction id');
      }
      t.dispatchers[0]!.drain();
      assert.deepEqual(t.sinks[0]!.answered, [], 'no reply message came back to the forwarding thread');
      assert.deepEqual(t.sinks[0]!.failed, []);
    } finally {
      t.close();
    }
  });

  it('an announce for a thread\'s own shard is answered inline, not forwarded', () => {
    const t = twoThreads();
    try {
      assert.equal(t.dispatchers[0]!.announce(recordOwnedBy(0, 1, t.sinkIds[0]!, 1)), true);
      assert.deepEqual(t.sinks[0]!.answered, [1]);
      assert.equal(t.sinks[0]!.forwarded.length, 0);
    } finally {
      t.close();
    }
  });

  it('when the owner dies before draining, each unread forwarded announce fails once with busy', () => {
    const t = twoThreads();
    try {
      for (let r = 1; r <= 5; r++) t.dispatchers[0]!.announce(recordOwnedBy(1, r, t.sinkIds[0]!, r));
      assert.equal(t.dispatchers[0]!.ownerDied(1), 5);
      assert.deepEqual(t.sinks[0]!.failed.map((f) => [f.port, f.transactionId]),
        [1, 2, 3, 4, 5].map((r) => [40_000 + r, 0xabc00000 + r]));
      assert.ok(t.sinks[0]!.failed.every((f) => f.reason === 'tracker busy, retry later'));
      assert.equal(t.sinks[1]!.sent.length, 0);
    } finally {
      t.close();
    }
  });
});
