// A bug in the swarm must cost one request an answer, not the process: the frontends answer
// `internal error` (HTTP) or nothing (UDP), count it, and keep serving.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { announce, announceParams, announceUrl, getJson, infoHash, peerId, startTestTracker, THREAD_LAYOUTS, type TestTracker } from '../helpers/tracker.js';

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`internal errors (${label})`, () => {
    let t: TestTracker;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0' });
    });
    after(async () => { await t.stop(); });

    test('an exception inside an announce answers `internal error`, is counted, and the tracker keeps serving', async () => {
      const threads = t.tracker.io.count;
      for (let i = 0; i < threads; i++) t.tracker.injectFault(i, 'announce-throws');
      await new Promise((r) => setTimeout(r, 50)); // the threads take the message between requests
      try {
        const before = await getJson(`${t.apiUrl}/stats`);
        const r = await announce(announceUrl(t.httpUrl, announceParams(infoHash('fault'), peerId('f1'), { ip: '10.9.9.1' })));
        assert.equal(r.d['failure reason'] !== undefined && Buffer.from(r.d['failure reason'] as Uint8Array).toString(), 'internal error');
        const s = await getJson(`${t.apiUrl}/stats`);
        assert.equal((s.requestsErrored as number) - (before.requestsErrored as number), 1);

        // UDP: a connect works (no dispatcher), an announce faults without a crash.
        const sock = createSocket('udp4');
        const reply = await new Promise<Buffer>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no UDP reply')), 2000);
          sock.once('message', (m) => { clearTimeout(timer); resolve(m); });
          const c = Buffer.alloc(16);
          c.writeUInt32BE(0x417, 0); c.writeUInt32BE(0x27101980, 4); c.writeUInt32BE(0, 8); c.writeUInt32BE(5, 12);
          sock.send(c, t.tracker.ports.udp!, '127.0.0.1');
        });
        const a = Buffer.alloc(98);
        reply.copy(a, 0, 8, 16);
        a.writeUInt32BE(1, 8); a.writeUInt32BE(6, 12); a.fill(1, 16, 56); a.writeInt32BE(-1, 92); a.writeUInt16BE(6881, 96);
        sock.send(a, t.tracker.ports.udp!, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 200));
        sock.close();
        const s2 = await getJson(`${t.apiUrl}/stats`);
        assert.equal((s2.requestsErrored as number) - (s.requestsErrored as number), 1);
      } finally {
        for (let i = 0; i < threads; i++) t.tracker.injectFault(i, 'announce-ok');
        await new Promise((r) => setTimeout(r, 50));
      }
      const ok = await announce(announceUrl(t.httpUrl, announceParams(infoHash('fault'), peerId('f2'), { ip: '10.9.9.2' })));
      assert.equal(ok.d['failure reason'], undefined);
    });

    test('a datagram from source port 0 (no reply is possible) is dropped and counted as bad, not as an internal error', async () => {
      const before = await getJson(`${t.apiUrl}/stats`);
      // No socket can send from port 0: io-01's UDP frontend is handed such a datagram (a connect) the way
      // node:dgram would.
      t.tracker.injectFault(0, 'udp-port-0');
      await new Promise((r) => setTimeout(r, 100));
      const s = await getJson(`${t.apiUrl}/stats`);
      assert.equal((s.udpPacketsBad as number) - (before.udpPacketsBad as number), 1);
      assert.equal((s.requestsErrored as number) - (before.requestsErrored as number), 0);
    });
  });
}
