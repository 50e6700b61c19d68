// Malformed and forged UDP datagrams: each gets no reply within the window, or one error packet
// (action 3) no longer than the request (no amplification), never an announce or scrape reply; forged
// announces add nobody; the tracker keeps serving afterwards; /stats udpPacketsBad counts every one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { THREAD_LAYOUTS, getJson, infoHash, peerId, startTestTracker, type TestTracker } from '../helpers/tracker.js';
import {
  PROTOCOL_ID, UdpAction, UdpClient, UdpEvent, announcePacket, canBind, connectPacket, newTransactionId, scrapePacket,
  type UdpClient as UdpClientType,
} from '../helpers/udp-client.js';

const WINDOW_MS = 300;
const ERROR_TEXTS = ['bad connection ID', 'malformed packet', 'unknown action ID', 'malformed event ID'];

const altSourceAvailable = await canBind('127.0.0.2');

interface Case {
  name: string;
  /** builds the datagram; `cid` is a valid connection id of the sending client */
  build: (cid: Buffer) => Buffer | Promise<Buffer>;
  /** when set, an error reply (if any) must carry a prefix of this text */
  text?: string;
  /** true: the tracker must answer with an error (not only stay silent) */
  mustAnswer?: boolean;
}

function u32(b: Buffer, off: number, v: number): Buffer {
  b.writeUInt32BE(v >>> 0, off);
  return b;
}

for (const { ioThreads, workers, cluster, label } of THREAD_LAYOUTS) {
  describe(`udp abuse: malformed and forged datagrams (${label})`, () => {
    let t: TestTracker;
    let c: UdpClientType;
    let port: number;
    const ih = infoHash(`udp-abuse-${workers}`);
    const forged = (cid: Buffer, tag: string): Buffer =>
      announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId(tag), left: 0, event: UdpEvent.Started, port: 9001, numWant: 50 });

    before(async () => {
      t = await startTestTracker({ ioThreads, workers, cluster, udpListenAddr: '127.0.0.1:0', apiListenAddr: '127.0.0.1:0' });
      port = t.tracker.ports.udp ?? 0;
      assert.ok(port > 0);
      c = await UdpClient.open({ host: '127.0.0.1', port });
    });
    after(async () => {
      await c?.close();
      await t?.stop();
    });

    const cases: Case[] = [
      { name: '0-byte datagram', build: () => Buffer.alloc(0) },
      { name: '15-byte datagram (a connect request minus one byte)', build: () => connectPacket(newTransactionId()).subarray(0, 15) },
      {
        name: 'connect with a bad protocol id',
        build: () => {
          const b = connectPacket(newTransactionId());
          b[7] ^= 0x01;
          return b;
        },
      },
      { name: 'connect with a zero protocol id', build: () => u32(Buffer.alloc(16), 12, newTransactionId()) },
      {
        name: '16-byte announce (valid connection id, no body)',
        build: (cid) => announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('short'), port: 9002 }).subarray(0, 16),
        text: 'malformed packet', mustAnswer: true,
      },
      {
        name: '97-byte announce (one byte short)',
        build: (cid) => announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('short97'), left: 0, event: UdpEvent.Started, port: 9003 }).subarray(0, 97),
        text: 'malformed packet', mustAnswer: true,
      },
      { name: 'announce with an all-zero connection id', build: () => forged(Buffer.alloc(8), 'zero-cid'), text: 'bad connection ID' },
      { name: 'announce with a random connection id', build: () => forged(randomBytes(8), 'rand-cid'), text: 'bad connection ID' },
      {
        name: 'announce with a valid connection id whose window bits are moved one window ahead',
        build: (cid) => {
          const f = Buffer.from(cid);
          f.writeUInt16BE((f.readUInt16BE(0) + 1) & 0xffff, 0);
          return forged(f, 'future-cid');
        },
        text: 'bad connection ID',
      },
      {
        name: 'announce with a valid connection id with one tag bit flipped',
        build: (cid) => {
          const f = Buffer.from(cid);
          f[7] ^= 0x80;
          return forged(f, 'flip-cid');
        },
        text: 'bad connection ID',
      },
      {
        name: 'scrape with an all-zero connection id',
        build: () => scrapePacket(Buffer.alloc(8), [ih]),
        text: 'bad connection ID',
      },
      {
        name: 'unknown action 7 (valid connection id, 98 bytes)',
        build: (cid) => u32(forged(cid, 'action7'), 8, 7),
        text: 'unknown action ID', mustAnswer: true,
      },
      {
        name: 'action 3 (error) sent to the tracker',
        build: (cid) => u32(forged(cid, 'action3'), 8, 3),
        text: 'unknown action ID', mustAnswer: true,
      },
      {
        name: 'announce with event 9',
        build: (cid) => announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('event9'), left: 0, event: 9, port: 9004 }),
        text: 'malformed event ID', mustAnswer: true,
      },
      {
        name: 'announce with event 0x00000102 (high bytes set)',
        build: (cid) => announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('event258'), left: 0, event: 0x102, port: 9005 }),
        text: 'malformed event ID', mustAnswer: true,
      },
      {
        name: 'announce with BEP 41 option 02 ff overrunning the packet',
        build: (cid) => announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('overrun'), left: 0, event: UdpEvent.Started, port: 9006, options: Buffer.from([0x02, 0xff, 0x2f, 0x3f]) }),
        text: 'malformed packet', mustAnswer: true,
      },
      {
        name: 'announce with a lone BEP 41 URLData type byte (02, no length)',
        build: (cid) => announcePacket({ connectionId: cid, infoHash: ih, peerId: peerId('lone02'), left: 0, event: UdpEvent.Started, port: 9007, options: Buffer.from([0x02]) }),
        text: 'malformed packet', mustAnswer: true,
      },
      {
        name: 'scrape with a partial hash (16 + 30 bytes)',
        build: (cid) => scrapePacket(cid, [ih, ih]).subarray(0, 16 + 30),
        text: 'malformed packet', mustAnswer: true,
      },
      {
        name: 'scrape with no hash (16 bytes)',
        build: (cid) => scrapePacket(cid, []),
        text: 'malformed packet', mustAnswer: true,
      },
      { name: '2000 bytes of random garbage', build: () => randomBytes(2000) },
      {
        name: '2000 bytes of garbage that start like a connect request with a bad protocol id',
        build: () => {
          const b = randomBytes(2000);
          Buffer.from('0000041727101981', 'hex').copy(b, 0);
          return u32(b, 8, 0);
        },
      },
    ];

    test(`${cases.length} malformed datagrams: silence or one short error each, never peers; udpPacketsBad counts them; the tracker keeps serving`, async (ctx) => {
      const before = await getJson(`${t.apiUrl}/stats`);
      const bad0 = Number(before.udpPacketsBad);
      assert.ok(Number.isFinite(bad0), '/stats has udpPacketsBad');
      const cid = await c.connect();
      const outcomes: string[] = [];
      for (const k of cases) {
        const pkt = await k.build(cid);
        const got = await c.collect(pkt, WINDOW_MS);
        assert.ok(got.length <= 1, `${k.name}: at most one reply (got ${got.length})`);
        if (k.mustAnswer === true) assert.equal(got.length, 1, `${k.name}: an error reply is expected`);
        for (const m of got) {
          assert.ok(m.length <= pkt.length, `${k.name}: reply of ${m.length} bytes to a ${pkt.length}-byte request (amplification)`);
          assert.ok(m.length >= 8, `${k.name}: reply of ${m.length} bytes is not even a header`);
          assert.equal(m.readUInt32BE(0), UdpAction.Error, `${k.name}: only an error (action 3) may answer`);
          if (pkt.length >= 16) assert.equal(m.readUInt32BE(4), pkt.readUInt32BE(12), `${k.name}: transaction id echoed`);
          const text = m.toString('latin1', 8);
          if (k.text !== undefined) assert.ok(k.text.startsWith(text), `${k.name}: "${text}" is a prefix of "${k.text}"`);
          else assert.ok(ERROR_TEXTS.some((e) => e.startsWith(text)), `${k.name}: unexpected error text "${text}"`);
          if (k.text !== undefined && pkt.length >= 8 + k.text.length) assert.equal(text, k.text, `${k.name}: the whole text when it fits`);
        }
        outcomes.push(`${k.name}: ${got.length === 0 ? 'silence' : `error "${got[0]!.toString('latin1', 8)}" (${got[0]!.length} <= ${pkt.length} bytes)`}`);
      }
      // late or unmatched datagrams: none may be an announce or scrape reply
      await new Promise((r) => setTimeout(r, 50));
      for (const m of c.stray) {
        assert.ok(!(m.length >= 4 && (m.readUInt32BE(0) === UdpAction.Announce || m.readUInt32BE(0) === UdpAction.Scrape)),
          `a stray announce/scrape reply arrived: ${m.toString('hex').slice(0, 80)}`);
      }

      // nothing the malformed announces carried reached the swarm
      assert.deepEqual(await c.scrapeOk([ih]), [{ seeders: 0, completed: 0, leechers: 0 }], `no peer was added:\n${outcomes.join('\n')}`);
      // a valid announce still works
      const ok = await c.announceOk({ infoHash: ih, peerId: peerId('after'), left: 10, event: UdpEvent.Started, port: 9100 });
      assert.deepEqual([ok.seeders, ok.leechers], [0, 1]);

      for (const o of outcomes) ctx.diagnostic(o);
      const after = await getJson(`${t.apiUrl}/stats`);
      assert.equal(Number(after.udpPacketsBad) - bad0, cases.length, `udpPacketsBad counted each malformed datagram once:\n${outcomes.join('\n')}`);
    });

    test(`a connection id issued to 127.0.0.2, used from 127.0.0.1: refused${altSourceAvailable ? '' : ' (SKIPPED: cannot bind 127.0.0.2)'}`,
      { skip: altSourceAvailable ? false : 'cannot bind 127.0.0.2' }, async () => {
        const alt = await UdpClient.open({ host: '127.0.0.1', port, bindAddress: '127.0.0.2' });
        try {
          const bad0 = Number((await getJson(`${t.apiUrl}/stats`)).udpPacketsBad);
          const altCid = await alt.connect();
          const ih2 = infoHash(`udp-abuse-alt-${workers}`);
          const pkts = [
            announcePacket({ connectionId: altCid, infoHash: ih2, peerId: peerId('stolen'), left: 0, event: UdpEvent.Started, port: 9201, numWant: 50 }),
            scrapePacket(altCid, [ih2]),
          ];
          for (const pkt of pkts) {
            const got = await c.collect(pkt, WINDOW_MS);
            assert.ok(got.length <= 1);
            for (const m of got) {
              assert.ok(m.length <= pkt.length, 'no amplification');
              assert.equal(m.readUInt32BE(0), UdpAction.Error);
              assert.ok('bad connection ID'.startsWith(m.toString('latin1', 8)));
            }
          }
          assert.deepEqual(await alt.scrapeOk([ih2], altCid), [{ seeders: 0, completed: 0, leechers: 0 }], 'the stolen id added nobody');
          const bad1 = Number((await getJson(`${t.apiUrl}/stats`)).udpPacketsBad);
          assert.equal(bad1 - bad0, 2);
        } finally {
          await alt.close();
        }
      });

    test('a flood of 500 garbage datagrams and 100 forged announces: the tracker still answers a valid announce', async () => {
      for (let i = 0; i < 500; i++) await c.send(randomBytes(1 + (i % 120)));
      for (let i = 0; i < 100; i++) await c.send(forged(randomBytes(8), `flood${i}`));
      await new Promise((r) => setTimeout(r, 200));
      const ok = await c.announceOk({ infoHash: ih, peerId: peerId('after-flood'), left: 0, event: UdpEvent.Started, port: 9300 });
      assert.deepEqual([ok.seeders, ok.leechers], [1, 1]);
      for (const m of c.stray) assert.equal(m.readUInt32BE(0), UdpAction.Error, 'only errors came back for the flood');
      // PROTOCOL_ID is a constant of the protocol, not a connection id the tracker accepts
      const got = await c.collect(forged(PROTOCOL_ID, 'magic-as-cid'), WINDOW_MS);
      for (const m of got) assert.equal(m.readUInt32BE(0), UdpAction.Error);
    });
  });
}
