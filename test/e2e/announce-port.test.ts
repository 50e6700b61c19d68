// Port 0 (HTTP `port=0`, the UDP port field 0): nobody could connect to such a peer, so the announce is
// refused with `invalid port: 0` and the peer is never handed to others. Over UDP the check comes after
// the connection ID (an unverified source gets `bad connection ID`, never more than it sent).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  THREAD_LAYOUTS, announce, announceParams, announceUrl, failureOf, get, getJson, infoHash, peerId, peersOf, startTestTracker,
  type TestTracker,
} from '../helpers/tracker.js';
import { UdpAction, UdpClient, UdpEvent, announcePacket, parseReply } from '../helpers/udp-client.js';

const INVALID_PORT = 'invalid port: 0';

for (const { ioThreads, workers, label } of THREAD_LAYOUTS) {
  describe(`announce with port 0 (${label})`, () => {
    let t: TestTracker;
    let c: UdpClient;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, udpListenAddr: '127.0.0.1:0' });
      c = await UdpClient.open({ host: '127.0.0.1', port: t.tracker.ports.udp! });
    });
    after(async () => {
      await c.close();
      await t.stop();
    });

    test('HTTP: port=0 is refused with its own text, whatever the event; the peer is not handed to others', async () => {
      const ih = infoHash(`port0-http-${label}`);
      for (const event of [undefined, 'started', 'completed', 'stopped']) {
        const res = await get(announceUrl(t.httpUrl, announceParams(ih, peerId('p0'), { port: 0, ip: '10.0.0.1', event })));
        assert.equal(res.status, 200);
        assert.equal(failureOf(res.body), INVALID_PORT, `event ${String(event)}`);
      }
      // Leading zeros are still the number 0.
      const zeros = await get(announceUrl(t.httpUrl, announceParams(ih, peerId('p0'), { port: '00000', ip: '10.0.0.1' })));
      assert.equal(failureOf(zeros.body), INVALID_PORT);
      // A port past 65535 stays malformed, as before.
      const big = await get(announceUrl(t.httpUrl, announceParams(ih, peerId('p0'), { port: 65536, ip: '10.0.0.1' })));
      assert.equal(failureOf(big.body), 'malformed request');
      // Another peer of the torrent gets itself (the announcer-itself fallback), never the port-0 peer.
      const other = await announce(announceUrl(t.httpUrl, announceParams(ih, peerId('p1'), { port: 1, ip: '10.0.0.2', left: 0 })));
      assert.equal(other.d['failure reason'], undefined);
      assert.deepEqual(peersOf(other.d).v4, ['10.0.0.2:1']);
      assert.equal(other.d.complete, 1);
      assert.equal(other.d.incomplete, 0);
    });

    test('UDP: port field 0 gets a BEP 15 error after the connection ID is verified; nothing is stored', async () => {
      const ih = infoHash(`port0-udp-${label}`);
      const before = await getJson(`${t.apiUrl}/stats`);
      const cid = await c.connect();
      for (const event of [UdpEvent.None, UdpEvent.Started, UdpEvent.Completed, UdpEvent.Stopped]) {
        const pkt = announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('u0'), event, left: 5, port: 0 });
        const raw = await c.request(pkt);
        const r = parseReply(raw, 6);
        assert.equal(r.action, UdpAction.Error, `event ${event}`);
        assert.equal(r.action === UdpAction.Error && r.message, INVALID_PORT);
        assert.ok(raw.length <= pkt.length);
      }
      // An unverified source learns only that its connection ID is bad, in no more bytes than it sent.
      const forged = announcePacket({ connectionId: Buffer.alloc(8, 7), infoHash: ih, peerId: peerId('u0'), port: 0 });
      const raw = await c.request(forged);
      const bad = parseReply(raw, 6);
      assert.equal(bad.action === UdpAction.Error && bad.message, 'bad connection ID');
      assert.ok(raw.length <= forged.length);

      const ok = await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId('u1'), left: 0, port: 7001 });
      assert.deepEqual(ok.peers, [`127.0.0.1:7001`], 'only the announcer itself: the port-0 peer was never stored');
      assert.equal(ok.seeders, 1);
      assert.equal(ok.leechers, 0);
      const after = await getJson(`${t.apiUrl}/stats`);
      assert.equal((after.udpPacketsBad as number) - (before.udpPacketsBad as number), 5, 'four refusals and the bad connection ID');
      assert.equal(after.requestsErrored, before.requestsErrored);
    });
  });
}
