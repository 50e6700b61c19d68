// Micro-benchmark: the per-packet cost of the UDP protocol layer (parsers and writers), no sockets.
// Run: npm run bench:micro -- udp-packets (or, compiled: node build/bench/micro/udp-packets.js)

import { ANNOUNCE_RECORD_BYTES, OFF_TRANSACTION_ID } from '../../src/core/announce-record.js';
import { parseUrlDataQuery, readUrlData } from '../../src/protocol/udp/bep41.js';
import { ConnectionIds } from '../../src/protocol/udp/connection-id.js';
import { Action, isConnectRequest, parseAnnounceInto, PKT_TRANSACTION_ID, scrapeHashCount } from '../../src/protocol/udp/packets.js';
import { SourceAddress } from '../../src/protocol/source-address.js';
import {
  writeAnnounceReplyHeader,
  writeConnectReply,
  writeErrorReply,
  writeScrapeReply,
} from '../../src/protocol/udp/writers.js';

const ITERATIONS = 1_000_000;
const ROUNDS = 5;

function time(label: string, fn: () => number): void {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    const ns = Number(process.hrtime.bigint() - t0) / ITERATIONS;
    if (ns < best) best = ns;
  }
  console.log(`${label.padEnd(52)} ${best.toFixed(1).padStart(8)} ns/op  (sink ${sink})`);
}

function announcePacket(options: Buffer): Buffer {
  const b = Buffer.alloc(98);
  b.writeUInt32BE(Action.Announce, 8);
  b.fill(0xab, 16, 56);
  b.writeInt32BE(-1, 92);
  b.writeUInt16BE(6881, 96);
  return Buffer.concat([b, options]);
}

function main(): void {
  const src4 = Uint8Array.of(198, 51, 100, 9);
  const src6 = Uint8Array.from(Buffer.from('20010db8000000000000000000000042', 'hex'));
  const record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  const o4 = { sourceAddr: src4, allowIPSpoofing: true, dualStackedPeers: true, defaultNumWant: 50, maxNumWant: 200 };
  const o6 = { ...o4, sourceAddr: src6 };
  const plain = announcePacket(Buffer.alloc(0));
  const url = Buffer.from('/announce?jwt=' + 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.' + 'x'.repeat(300) + '.sig', 'latin1');
  const opts: number[] = [];
  for (let i = 0; i < url.length; i += 255) {
    const c = url.subarray(i, i + 255);
    opts.push(2, c.length, ...c);
  }
  const withJwt = announcePacket(Buffer.from(opts));
  const connect = Buffer.from('00000417271019800000000012345678', 'hex');
  const scrape = Buffer.alloc(16 + 20 * 10);
  scrape.writeUInt32BE(Action.Scrape, 8);
  const out = Buffer.alloc(2048);
  const counts = new Uint32Array(30).fill(7);
  const ids = new ConnectionIds();
  const now = Date.now();
  const addr = new SourceAddress();

  console.log(`node ${process.version}, ${ITERATIONS} ops, best of ${ROUNDS}`);
  time('parseAnnounceInto, IPv4, no options', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += parseAnnounceInto(plain, record, o4);
    return s + record[0]!;
  });
  time('parseAnnounceInto, IPv6, no options', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += parseAnnounceInto(plain, record, o6);
    return s + record[0]!;
  });
  time(`parseAnnounceInto, ${url.length}-byte URLData in 2 chunks`, () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += parseAnnounceInto(withJwt, record, o4);
    return s + record[0]!;
  });
  time('readUrlData (2 chunks, builds the string)', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += readUrlData(withJwt)!.length;
    return s;
  });
  const urlData = readUrlData(withJwt)!;
  time('parseUrlDataQuery (jwt=...)', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += parseUrlDataQuery(urlData)!.size;
    return s;
  });
  time('isConnectRequest + writeConnectReply', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) if (isConnectRequest(connect)) s += writeConnectReply(out, 0, connect, ids, src4, now);
    return s;
  });
  time('writeAnnounceReplyHeader', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += writeAnnounceReplyHeader(out, 0, record, OFF_TRANSACTION_ID, 1800, i, 3);
    return s;
  });
  time('scrapeHashCount + writeScrapeReply (10 hashes)', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += writeScrapeReply(out, 0, scrape, PKT_TRANSACTION_ID, counts, scrapeHashCount(scrape));
    return s;
  });
  time('writeErrorReply ("bad connection ID", cap 16)', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += writeErrorReply(out, 0, scrape, PKT_TRANSACTION_ID, 'bad connection ID', 16);
    return s;
  });
  time('SourceAddress.parse("198.51.100.9")', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += addr.parse('198.51.100.9')!.length;
    return s;
  });
  time('SourceAddress.parse("2001:db8::42")', () => {
    let s = 0;
    for (let i = 0; i < ITERATIONS; i++) s += addr.parse('2001:db8::42')!.length;
    return s;
  });
}

main();
