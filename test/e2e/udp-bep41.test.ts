// BEP 41 (UDP tracker protocol extensions) end to end: URL data after byte 98 of an announce, split over
// one or several chunks, as Quay's JWT travels over UDP. JWT checking is off (no jwkSetURI), so these
// prove the options are parsed and do not break the announce: well-formed options are served (and the
// peer joins the swarm), malformed ones get "malformed packet" and add nobody. Vectors from docs/compatibility.md.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { THREAD_LAYOUTS, infoHash, peerId, startTestTracker, type TestTracker } from '../helpers/tracker.js';
import {
  UdpAction, UdpClient, UdpEvent, announcePacket, parseReply, urlDataOptions, type UdpClient as UdpClientType,
} from '../helpers/udp-client.js';

const h = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const L = (s: string): Buffer => Buffer.from(s, 'latin1');
const opt = (...parts: (number | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : L(p))));

/** A JWT-shaped token of exactly `n` characters (base64url alphabet and dots). */
function fakeJwt(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = '';
  for (let i = 0; s.length < n; i++) s += i % 97 === 96 ? '.' : alphabet[(i * 7) % alphabet.length];
  return s;
}

interface Vector { name: string; options: Buffer; ok: boolean }

const jwtUrl = `/announce?jwt=${fakeJwt(300)}`; // 314 bytes: needs two chunks at least

const vectors: Vector[] = [
  // docs/compatibility.md
  { name: 'docs/compatibility.md: 02 05 "/?a=b"', options: opt(0x02, 0x05, '/?a=b'), ok: true },
  { name: 'docs/compatibility.md: 02 00 (empty URL data)', options: h('0200'), ok: true },
  { name: 'docs/compatibility.md: 02 02 "/?" 02 03 "a=b" (two chunks)', options: opt(0x02, 0x02, '/?', 0x02, 0x03, 'a=b'), ok: true },
  { name: 'docs/compatibility.md: 02 09 "/?a=b%20c"', options: opt(0x02, 0x09, '/?a=b%20c'), ok: true },
  { name: 'docs/compatibility.md: 02 01 (length past the end)', options: h('0201'), ok: false },
  { name: 'docs/compatibility.md: a lone 02 (no length byte)', options: h('02'), ok: false },
  // JWT over several chunks
  { name: '/announce?jwt= + 300 chars in 255-byte chunks (2 chunks) + EndOfOptions', options: urlDataOptions(jwtUrl, 255), ok: true },
  { name: '/announce?jwt= + 300 chars in 64-byte chunks (5 chunks), no EndOfOptions', options: urlDataOptions(jwtUrl, 64, false), ok: true },
  { name: '/announce?jwt= + 300 chars in 1-byte chunks (314 chunks)', options: urlDataOptions(jwtUrl, 1), ok: true },
  {
    name: 'jwt chunks interleaved with NOPs',
    options: Buffer.concat([h('01'), urlDataOptions(jwtUrl.slice(0, 100), 255, false), h('0101'), urlDataOptions(jwtUrl.slice(100), 255, false), h('01 00')]),
    ok: true,
  },
  { name: 'EndOfOptions then trailing junk (ignored after 00)', options: Buffer.concat([urlDataOptions('/announce?jwt=abc'), h('02ff')]), ok: true },
  { name: 'only NOPs', options: h('01010101'), ok: true },
  { name: 'only EndOfOptions', options: h('00'), ok: true },
  // malformed
  { name: '02 ff overrunning the packet', options: h('02ff 2f3f'), ok: false },
  { name: 'a good chunk, then one whose length overruns', options: Buffer.concat([urlDataOptions('/announce?jwt=', 255, false), h('0210 616263')]), ok: false },
  { name: 'a JWT chunk cut short by one byte', options: urlDataOptions(jwtUrl, 255, false).subarray(0, -1), ok: false },
];

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`udp BEP 41 URL data end to end (${label})`, () => {
    let t: TestTracker;
    let c: UdpClientType;
    let cid: Buffer;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0' });
      const port = t.tracker.ports.udp;
      assert.ok(typeof port === 'number' && port > 0);
      c = await UdpClient.open({ host: '127.0.0.1', port });
      cid = await c.connect();
    });
    after(async () => {
      await c?.close();
      await t?.stop();
    });

    vectors.forEach((v, i) => {
      test(`${v.name}: ${v.ok ? 'served, the peer joins' : 'error "malformed packet", nobody added'}`, async () => {
        const ih = infoHash(`bep41-${workers}-${i}`);
        const pkt = announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId(`v${i}`), left: 0, event: UdpEvent.Started, port: 9400 + i, options: v.options });
        assert.equal(pkt.length, 98 + v.options.length);
        const raw = await c.request(pkt);
        const r = parseReply(raw, 6);
        if (v.ok) {
          if (r.action === UdpAction.Error) assert.fail(`refused: "${r.message}"`);
          assert.equal(r.action, UdpAction.Announce);
          assert.ok(r.action === UdpAction.Announce);
          assert.deepEqual([r.seeders, r.leechers], [1, 0]);
          assert.deepEqual(await c.scrapeOk([ih], cid), [{ seeders: 1, completed: 0, leechers: 0 }]);
        } else {
          assert.equal(r.action, UdpAction.Error, 'a malformed option list is refused');
          assert.ok(r.action === UdpAction.Error);
          assert.equal(r.message, 'malformed packet');
          assert.ok(raw.length <= pkt.length);
          assert.deepEqual(await c.scrapeOk([ih], cid), [{ seeders: 0, completed: 0, leechers: 0 }]);
        }
      });
    });

    test('a leecher announcing with a 2-chunk JWT gets the seeder that announced with a 5-chunk one', async () => {
      const ih = infoHash(`bep41-${workers}-pair`);
      await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId('jw-seed'), left: 0, event: UdpEvent.Started, port: 9501, options: urlDataOptions(jwtUrl, 64) });
      const r = await c.announceOk({ connectionId: cid, infoHash: ih, peerId: peerId('jw-leech'), left: 9, event: UdpEvent.Started, port: 9502, options: urlDataOptions(jwtUrl, 255) });
      assert.deepEqual(r.peers, ['127.0.0.1:9501']);
      assert.deepEqual([r.seeders, r.leechers], [1, 1]);
    });
  });
}
