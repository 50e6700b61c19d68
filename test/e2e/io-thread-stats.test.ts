// /stats `ioThreads`: each I/O thread's own counters (HTTP requests, announces, UDP datagrams) over real
// sockets, with two I/O threads sharing the ports. The per-thread figures add up to the totals, and the
// kernel gives each thread some of 40 connections and 40 UDP sockets (a thread left out of all 40 would be
// a 2^-39 accident: one that never gets any load is a bug).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { announce, announceParams, announceUrl, getJson, infoHash, peerId, startTestTracker } from '../helpers/tracker.js';
import { connectPacket, newTransactionId, parseReply, UdpAction, UdpClient } from '../helpers/udp-client.js';

interface ThreadCounters { requestsHandled: number; trackerAnnounces: number; udpPackets: number }

const N = 40;

test('per-I/O-thread counters add up to the totals and both threads get load', async () => {
  const t = await startTestTracker({ ioThreads: 2, workers: 0, udpListenAddr: '127.0.0.1:0' });
  const clients: UdpClient[] = [];
  try {
    const before = await getJson(`${t.apiUrl}/stats`);
    // HTTP: one fresh connection per announce (the helpers' requests use no agent).
    for (let i = 0; i < N; i++) {
      const { d } = await announce(announceUrl(t.httpUrl, announceParams(infoHash(`spread-${i % 4}`), peerId(`spread-${i}`))));
      assert.equal(d['failure reason'], undefined);
    }
    // UDP: one connect from each of N sockets (N source ports for the kernel's hash).
    for (let i = 0; i < N; i++) {
      const c = await UdpClient.open({ host: '127.0.0.1', port: t.tracker.ports.udp! });
      clients.push(c);
      const tx = newTransactionId();
      await c.send(connectPacket(tx));
      const reply = await c.receive();
      assert.ok(reply !== null, `socket ${i}: a connect reply`);
      const r = parseReply(reply, 6);
      assert.equal(r.action, UdpAction.Connect);
      assert.equal(r.transactionId, tx);
    }
    const after = await getJson(`${t.apiUrl}/stats`);
    const threads = after.ioThreads as Record<string, ThreadCounters>;
    const was = before.ioThreads as Record<string, ThreadCounters>;
    assert.deepEqual(Object.keys(threads), ['io-01', 'io-02']);
    const delta = (name: string, k: keyof ThreadCounters): number => threads[name]![k] - was[name]![k];
    const sum = (k: keyof ThreadCounters): number => delta('io-01', k) + delta('io-02', k);
    assert.equal(sum('requestsHandled'), (after.requestsHandled as number) - (before.requestsHandled as number));
    assert.equal(sum('requestsHandled'), N, 'the HTTP announces, each on its own connection');
    assert.equal(sum('trackerAnnounces'), N);
    assert.equal(sum('udpPackets'), N, 'every connect datagram counted once, by the thread that received it');
    for (const name of ['io-01', 'io-02']) {
      assert.ok(delta(name, 'requestsHandled') > 0, `${name} served none of ${N} connections`);
      assert.ok(delta(name, 'udpPackets') > 0, `${name} received none of ${N} sockets' datagrams`);
    }
  } finally {
    for (const c of clients) await c.close();
    await t.stop();
  }
});
