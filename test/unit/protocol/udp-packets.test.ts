import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ANNOUNCE_RECORD_BYTES,
  FLAG_HAS_V4,
  FLAG_HAS_V6,
  FLAG_SEEDING,
  FLAG_V6_CAPABLE,
  OFF_EVENT,
  OFF_FLAGS,
  OFF_INFO_HASH,
  OFF_IPV4,
  OFF_IPV6,
  OFF_NUM_WANT,
  OFF_PEER_ID,
  OFF_PORT,
  OFF_REPLY_KIND,
  OFF_REQUEST_ID,
  OFF_TRANSACTION_ID,
  ReplyKind,
} from '../../../src/core/announce-record.js';
import { parseUrlDataQuery, readUrlData, scanOptions } from '../../../src/protocol/udp/bep41.js';
import { ConnectionIds } from '../../../src/protocol/udp/connection-id.js';
import { UdpError, udpErrorText } from '../../../src/protocol/udp/errors.js';
import {
  Action,
  isConnectRequest,
  MAX_SCRAPE_HASHES,
  parseAnnounceInto,
  PKT_SCRAPE_HASHES,
  PKT_TRANSACTION_ID,
  readAction,
  scrapeHashCount,
  type AnnounceParseOptions,
} from '../../../src/protocol/udp/packets.js';
import { SourceAddress } from '../../../src/protocol/source-address.js';
import {
  writeAnnounceReplyHeader,
  writeConnectReply,
  writeErrorReply,
  writeScrapeReply,
} from '../../../src/protocol/udp/writers.js';

// ---------------------------------------------------------------------------------------------------
// packet builders

const MAGIC = Buffer.from('0000041727101980', 'hex');
const TX = Buffer.from('cafebabe', 'hex');
const CONN_ID = Buffer.from('0102030405060708', 'hex');
const INFO_HASH = Buffer.from('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', 'hex'); // sha1("test")
const PEER_ID = Buffer.from('-QUAY00-6wfG2wk6wWLc', 'latin1');
const SRC4 = Uint8Array.of(198, 51, 100, 9);
const SRC6 = Uint8Array.from(Buffer.from('20010db8000000000000000000000042', 'hex'));
const SRC4_MAPPED = Uint8Array.from(Buffer.from('00000000000000000000ffffc6336409', 'hex'));

function header(connId: Buffer, action: number, tx: Buffer = TX): Buffer {
  const b = Buffer.alloc(16);
  connId.copy(b, 0);
  b.writeUInt32BE(action, 8);
  tx.copy(b, 12);
  return b;
}

interface AnnounceFields {
  action?: number;
  left?: bigint;
  event?: number;
  ip?: number[];
  numWant?: number;
  port?: number;
  options?: number[] | Buffer;
  length?: number; // truncate to this many bytes
}

function announce(f: AnnounceFields = {}): Buffer {
  const b = Buffer.alloc(98);
  header(CONN_ID, f.action ?? Action.Announce).copy(b, 0);
  INFO_HASH.copy(b, 16);
  PEER_ID.copy(b, 36);
  b.writeBigUInt64BE(1000n, 56);
  b.writeBigUInt64BE(f.left ?? 500n, 64);
  b.writeBigUInt64BE(2000n, 72);
  b.writeUInt32BE(f.event ?? 0, 80);
  Buffer.from(f.ip ?? [0, 0, 0, 0]).copy(b, 84);
  b.writeUInt32BE(0x12345678, 88);
  b.writeInt32BE(f.numWant ?? -1, 92);
  b.writeUInt16BE(f.port ?? 6881, 96);
  const full = Buffer.concat([b, Buffer.from(f.options ?? [])]);
  return f.length === undefined ? full : full.subarray(0, f.length);
}

function scrape(hashes: number, extraBytes = 0, action: number = Action.Scrape): Buffer {
  const b = Buffer.alloc(16 + 20 * hashes + extraBytes);
  header(CONN_ID, action).copy(b, 0);
  for (let i = 0; i < hashes; i++) b.fill(i + 1, 16 + 20 * i, Math.min(b.length, 36 + 20 * i));
  return b;
}

function opts(over: Partial<AnnounceParseOptions> = {}): AnnounceParseOptions {
  return { sourceAddr: SRC4, allowIPSpoofing: false, dualStackedPeers: true, defaultNumWant: 50, maxNumWant: 200, ...over };
}

function parse(pkt: Buffer, o: AnnounceParseOptions = opts()): { rc: number; record: Buffer } {
  const record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  return { rc: parseAnnounceInto(pkt, record, o), record };
}

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

// ---------------------------------------------------------------------------------------------------
// header, action, connect

test('readAction: every action, and -1 for a packet shorter than a header', () => {
  for (const a of [Action.Connect, Action.Announce, Action.Scrape, Action.Error, 4, 0xffffffff]) {
    assert.equal(readAction(header(CONN_ID, a)), a);
  }
  assert.equal(readAction(header(CONN_ID, 1).subarray(0, 15)), -1);
  assert.equal(readAction(Buffer.alloc(0)), -1);
});

const connectCases: Array<[string, Buffer, boolean]> = [
  ['valid', header(MAGIC, Action.Connect), true],
  ['valid with trailing bytes (BEP 15: do not assume sizes)', Buffer.concat([header(MAGIC, 0), Buffer.alloc(4)]), true],
  ['short packet', header(MAGIC, Action.Connect).subarray(0, 15), false],
  ['bad magic', header(Buffer.from('0000041727101981', 'hex'), Action.Connect), false],
  ['bad magic, high half', header(Buffer.from('0100041727101980', 'hex'), Action.Connect), false],
  ['magic but announce action', header(MAGIC, Action.Announce), false],
  ['empty', Buffer.alloc(0), false],
];
for (const [label, pkt, expected] of connectCases) {
  test(`isConnectRequest: ${label}`, () => assert.equal(isConnectRequest(pkt), expected));
}

// ---------------------------------------------------------------------------------------------------
// announce: malformed inputs

const malformedAnnounces: Array<[string, Buffer, number]> = [
  ['empty', Buffer.alloc(0), UdpError.Malformed],
  ['header only', header(CONN_ID, Action.Announce), UdpError.Malformed],
  ['97 bytes (< 98)', announce({ length: 97 }), UdpError.Malformed],
  ['wrong action', announce({ action: Action.Scrape }), UdpError.Malformed],
  ['event 4', announce({ event: 4 }), UdpError.BadEvent],
  ['event 0xffffffff', announce({ event: 0xffffffff }), UdpError.BadEvent],
  ['event 0x00000102 (high bytes set)', announce({ event: 0x102 }), UdpError.BadEvent],
  ['option overruns the packet', announce({ options: [0x02, 0x05, 0x61] }), UdpError.Malformed],
  ['URLData length byte missing', announce({ options: [0x02] }), UdpError.Malformed],
  ['unknown option, length byte missing', announce({ options: [0x01, 0x07] }), UdpError.Malformed],
  ['unknown option overruns', announce({ options: [0x09, 0x03, 0, 0] }), UdpError.Malformed],
];
for (const [label, pkt, code] of malformedAnnounces) {
  test(`parseAnnounceInto malformed: ${label}`, () => assert.equal(parse(pkt).rc, code));
}

// ---------------------------------------------------------------------------------------------------
// announce: fields

test('parseAnnounceInto: fills every field of the record from an IPv4 source', () => {
  const record = Buffer.alloc(ANNOUNCE_RECORD_BYTES, 0xee);
  const rc = parseAnnounceInto(announce({ event: 2, numWant: 5, port: 0x1ae1 }), record, opts());
  assert.equal(rc, 0);
  assert.deepEqual(record.subarray(OFF_INFO_HASH, OFF_INFO_HASH + 20), INFO_HASH);
  assert.deepEqual(record.subarray(OFF_PEER_ID, OFF_PEER_ID + 20), PEER_ID);
  assert.deepEqual([...record.subarray(OFF_IPV4, OFF_IPV4 + 4)], [...SRC4]);
  assert.deepEqual([...record.subarray(OFF_IPV6, OFF_IPV6 + 16)], new Array(16).fill(0));
  assert.deepEqual([...record.subarray(OFF_PORT, OFF_PORT + 2)], [0x1a, 0xe1]); // network order
  assert.equal(record[OFF_FLAGS], FLAG_HAS_V4);
  assert.equal(record[OFF_EVENT], 2);
  assert.equal(record.readUInt32LE(OFF_NUM_WANT), 5);
  assert.equal(record[OFF_REPLY_KIND], ReplyKind.Udp4);
  assert.deepEqual(record.subarray(OFF_TRANSACTION_ID, OFF_TRANSACTION_ID + 4), TX);
  assert.equal(record.readUInt32LE(OFF_REQUEST_ID), 0xeeeeeeee); // the frontend's field, untouched
});

test('parseAnnounceInto: events 0..3 are copied as BEP 15 numbers', () => {
  for (const event of [0, 1, 2, 3]) {
    const { rc, record } = parse(announce({ event }));
    assert.equal(rc, 0);
    assert.equal(record[OFF_EVENT], event);
  }
});

const leftCases: Array<[bigint, boolean]> = [
  [0n, true],
  [1n, false],
  [1n << 56n, false],
  [0xffffffffffffffffn, false],
];
for (const [left, seeding] of leftCases) {
  test(`parseAnnounceInto: left=${left} ${seeding ? 'is' : 'is not'} seeding`, () => {
    const { record } = parse(announce({ left }));
    assert.equal((record[OFF_FLAGS]! & FLAG_SEEDING) !== 0, seeding);
  });
}

// [label, packet num_want, event, defaultNumWant, maxNumWant, expected]
const numWantCases: Array<[string, number, number, number, number, number]> = [
  ['-1 gives the default', -1, 0, 50, 200, 50],
  ['0 gives 0', 0, 0, 50, 200, 0],
  ['5 gives 5', 5, 0, 50, 200, 5],
  ['huge is capped', 0x7fffffff, 0, 50, 200, 200],
  ['-2 gives 0', -2, 0, 50, 200, 0],
  ['most negative gives 0', -0x80000000, 0, 50, 200, 0],
  ['default above the cap is capped', -1, 0, 500, 200, 200],
  ['stopped gives 0', 30, 3, 50, 200, 0],
];
for (const [label, numWant, event, defaultNumWant, maxNumWant, expected] of numWantCases) {
  test(`parseAnnounceInto num_want: ${label}`, () => {
    const { rc, record } = parse(announce({ numWant, event }), opts({ defaultNumWant, maxNumWant }));
    assert.equal(rc, 0);
    assert.equal(record.readUInt32LE(OFF_NUM_WANT), expected);
  });
}

// [label, source, spoofing allowed, IP field, flags, IPv4 field, IPv6 field (or null), reply kind]
const endpointCases: Array<[string, Uint8Array, boolean, number[], number, number[] | null, Uint8Array | null, ReplyKind]> = [
  ['IPv4 source, spoofing off, IP field ignored', SRC4, false, [10, 0, 0, 1], FLAG_HAS_V4, [...SRC4], null, ReplyKind.Udp4],
  ['IPv4 source, spoofing on, IP field used', SRC4, true, [10, 0, 0, 1], FLAG_HAS_V4, [10, 0, 0, 1], null, ReplyKind.Udp4],
  ['IPv4 source, spoofing on, IP field 0: source', SRC4, true, [0, 0, 0, 0], FLAG_HAS_V4, [...SRC4], null, ReplyKind.Udp4],
  ['IPv4-mapped source counts as IPv4', SRC4_MAPPED, false, [0, 0, 0, 0], FLAG_HAS_V4, [...SRC4], null, ReplyKind.Udp4],
  ['IPv4-mapped source, spoofing on', SRC4_MAPPED, true, [10, 0, 0, 1], FLAG_HAS_V4, [10, 0, 0, 1], null, ReplyKind.Udp4],
  ['IPv6 source', SRC6, false, [10, 0, 0, 1], FLAG_HAS_V6 | FLAG_V6_CAPABLE, null, SRC6, ReplyKind.Udp6],
  ['IPv6 source, spoofing on: dual-stacked', SRC6, true, [10, 0, 0, 1], FLAG_HAS_V4 | FLAG_HAS_V6 | FLAG_V6_CAPABLE, [10, 0, 0, 1], SRC6, ReplyKind.Udp6],
  ['IPv6 source, spoofing on, IP field 0', SRC6, true, [0, 0, 0, 0], FLAG_HAS_V6 | FLAG_V6_CAPABLE, null, SRC6, ReplyKind.Udp6],
];
for (const [label, sourceAddr, allowIPSpoofing, ip, flags, v4, v6, kind] of endpointCases) {
  test(`parseAnnounceInto endpoint: ${label}`, () => {
    // start from a record dirty with the opposite family, as a reused record would be
    const record = Buffer.alloc(ANNOUNCE_RECORD_BYTES, 0xab);
    assert.equal(parseAnnounceInto(announce({ ip }), record, opts({ sourceAddr, allowIPSpoofing })), 0);
    assert.equal(record[OFF_FLAGS], flags);
    if (v4) assert.deepEqual([...record.subarray(OFF_IPV4, OFF_IPV4 + 4)], v4);
    else assert.deepEqual([...record.subarray(OFF_IPV4, OFF_IPV4 + 4)], [0, 0, 0, 0]);
    if (v6) assert.deepEqual([...record.subarray(OFF_IPV6, OFF_IPV6 + 16)], [...v6]);
    else assert.deepEqual([...record.subarray(OFF_IPV6, OFF_IPV6 + 16)], new Array(16).fill(0));
    assert.equal(record[OFF_REPLY_KIND], kind);
  });
}

test('parseAnnounceInto: a source address that is not 4 or 16 bytes is a caller bug (throws)', () => {
  assert.throws(() => parse(announce(), opts({ sourceAddr: new Uint8Array(5) })), RangeError);
  assert.throws(() => parseAnnounceInto(announce(), Buffer.alloc(79), opts()), RangeError);
});

// ---------------------------------------------------------------------------------------------------
// BEP 41

// docs/compatibility.md vectors, plus option-walk edge cases. null = malformed packet.
const bep41Cases: Array<[string, number[], Record<string, string> | null, string | null]> = [
  ['02 05 "/?a=b"', [0x02, 0x05, ...ascii('/?a=b')], { a: 'b' }, '/?a=b'],
  ['02 00', [0x02, 0x00], {}, ''],
  ['02 01 (overrun)', [0x02, 0x01], null, null],
  ['lone 02', [0x02], null, null],
  ['02 08 "/c/d?a=b"', [0x02, 0x08, ...ascii('/c/d?a=b')], { a: 'b' }, '/c/d?a=b'],
  ['02 02 "/?" 02 03 "a=b"', [0x02, 0x02, ...ascii('/?'), 0x02, 0x03, ...ascii('a=b')], { a: 'b' }, '/?a=b'],
  ['02 09 "/?a=b%20c"', [0x02, 0x09, ...ascii('/?a=b%20c')], { a: 'b c' }, '/?a=b%20c'],
  ['no options', [], {}, ''],
  ['end of options stops the walk', [0x00, 0x02, 0x05, ...ascii('/?a=b')], {}, ''],
  ['end of options after data, garbage ignored', [0x02, 0x05, ...ascii('/?a=b'), 0x00, 0x02], { a: 'b' }, '/?a=b'],
  ['NOPs around data', [0x01, 0x02, 0x05, ...ascii('/?a=b'), 0x01, 0x01], { a: 'b' }, '/?a=b'],
  ['chunks separated by a NOP still concatenate', [0x02, 0x02, ...ascii('/?'), 0x01, 0x02, 0x03, ...ascii('a=b')], { a: 'b' }, '/?a=b'],
  ['unknown option (type 7) is skipped', [0x07, 0x02, 0xff, 0xff, 0x02, 0x05, ...ascii('/?a=b')], { a: 'b' }, '/?a=b'],
  ['zero-length unknown option', [0x80, 0x00], {}, ''],
  ['bad escape in URL data', [0x02, 0x06, ...ascii('/?a=%z')], null, '/?a=%z'],
];
for (const [label, options, params, urlData] of bep41Cases) {
  test(`BEP 41: ${label}`, () => {
    const pkt = announce({ options });
    assert.equal(readUrlData(pkt), urlData);
    assert.equal(scanOptions(pkt) < 0, urlData === null);
    // the announce itself is malformed exactly when the option walk is
    assert.equal(parse(pkt).rc, urlData === null ? UdpError.Malformed : 0);
    if (urlData !== null) {
      const q = parseUrlDataQuery(urlData);
      assert.deepEqual(q === null ? null : Object.fromEntries(q), params);
    }
  });
}

test('BEP 41: a JWT split over several 255-byte chunks is reassembled', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.' + 'x'.repeat(600) + '.sig-_';
  const url = Buffer.from(`/announce?jwt=${jwt}`, 'latin1');
  const options: number[] = [];
  for (let i = 0; i < url.length; i += 255) {
    const chunk = url.subarray(i, i + 255);
    options.push(0x02, chunk.length, ...chunk);
  }
  options.push(0x00);
  const pkt = announce({ options });
  assert.equal(parse(pkt).rc, 0);
  assert.equal(scanOptions(pkt), url.length);
  assert.equal(parseUrlDataQuery(readUrlData(pkt)!)!.get('jwt'), jwt);
});

const queryCases: Array<[string, Record<string, string> | null]> = [
  ['', {}],
  ['/announce', {}],
  ['/announce?', {}],
  ['/announce?jwt=a.b.c', { jwt: 'a.b.c' }],
  ['/announce?jwt=a.b.c&x=1', { jwt: 'a.b.c', x: '1' }],
  ['/announce?a=1;b=2', { a: '1', b: '2' }],
  ['/announce?&&a=1&&', { a: '1' }],
  ['/announce?flag', { flag: '' }],
  ['/announce?a=x=y', { a: 'x=y' }],
  ['/announce?JWT=v', { jwt: 'v' }],
  ['/announce?a=1&a=2', { a: '2' }],
  ['/announce?a=b+c', { a: 'b c' }],
  ['/announce?%6Aw%74=%41', { jwt: 'A' }],
  ['/announce?a=%ff', { a: '\xff' }],
  ['/announce?q?=1', { 'q?': '1' }],
  ['/announce?a=%', null],
  ['/announce?a=%4', null],
  ['/announce?%zz=1', null],
];
for (const [input, expected] of queryCases) {
  test(`parseUrlDataQuery(${JSON.stringify(input)})`, () => {
    const q = parseUrlDataQuery(input);
    assert.deepEqual(q === null ? null : Object.fromEntries(q), expected);
  });
}

// ---------------------------------------------------------------------------------------------------
// scrape

const scrapeCases: Array<[string, Buffer, number]> = [
  ['one hash', scrape(1), 1],
  ['three hashes', scrape(3), 3],
  ['0 hashes', scrape(0), UdpError.Malformed],
  ['trailing partial hash', scrape(1, 19), UdpError.Malformed],
  ['one byte short of a hash', scrape(2, -1), UdpError.Malformed],
  ['shorter than a header', scrape(0).subarray(0, 10), UdpError.Malformed],
  ['not a scrape', scrape(1, 0, Action.Announce), UdpError.Malformed],
  [`${MAX_SCRAPE_HASHES} hashes`, scrape(MAX_SCRAPE_HASHES), MAX_SCRAPE_HASHES],
  ['one more than the bound: refused as a whole', scrape(MAX_SCRAPE_HASHES + 1), UdpError.TooManyInfoHashes],
  ['far more than the bound: refused as a whole', scrape(300), UdpError.TooManyInfoHashes],
];
for (const [label, pkt, expected] of scrapeCases) {
  test(`scrapeHashCount: ${label}`, () => assert.equal(scrapeHashCount(pkt), expected));
}

test('scrape hashes follow the header in request order', () => {
  const pkt = scrape(3);
  for (let i = 0; i < 3; i++) {
    const at = PKT_SCRAPE_HASHES + 20 * i;
    assert.deepEqual(pkt.subarray(at, at + 20), Buffer.alloc(20, i + 1));
  }
  assert.equal(scrapeHashCount(scrape(2), 2), 2);
  assert.equal(scrapeHashCount(scrape(5), 2), UdpError.TooManyInfoHashes);
  assert.equal(scrapeHashCount(scrape(300), 300), 300, 'the bound is the caller\'s (config maxScrapeInfoHashes)');
});

// ---------------------------------------------------------------------------------------------------
// writers

test('writeConnectReply: action 0, transaction id, a connection id that verifies', () => {
  const ids = new ConnectionIds(Buffer.alloc(32, 1));
  const req = header(MAGIC, Action.Connect);
  const out = Buffer.alloc(64, 0xff);
  const now = 1_700_000_000_000;
  assert.equal(writeConnectReply(out, 4, req, ids, SRC4, now), 16);
  assert.equal(out.readUInt32BE(4), Action.Connect);
  assert.deepEqual(out.subarray(8, 12), TX);
  assert.equal(ids.verify(out, 12, SRC4, now + 90_000), true);
  assert.equal(out[3], 0xff);
  assert.equal(out[20], 0xff);
});

test('writeAnnounceReplyHeader: action 1, tx from the record, interval, leechers, seeders', () => {
  const { record } = parse(announce());
  const out = Buffer.alloc(20);
  assert.equal(writeAnnounceReplyHeader(out, 0, record, OFF_TRANSACTION_ID, 1800, 7, 3), 20);
  assert.equal(out.toString('hex'), '00000001' + 'cafebabe' + '00000708' + '00000007' + '00000003');
  assert.throws(() => writeAnnounceReplyHeader(Buffer.alloc(19), 0, record, OFF_TRANSACTION_ID, 1, 1, 1), RangeError);
});

test('writeScrapeReply: seeders, completed, leechers per hash in request order', () => {
  const req = scrape(2);
  const out = Buffer.alloc(64);
  const counts = Uint32Array.of(5, 9, 2, 0, 0, 0);
  assert.equal(writeScrapeReply(out, 0, req, PKT_TRANSACTION_ID, counts, 2), 8 + 24);
  assert.equal(
    out.subarray(0, 32).toString('hex'),
    '00000002' + 'cafebabe' + '00000005' + '00000009' + '00000002' + '00000000' + '00000000' + '00000000',
  );
  assert.throws(() => writeScrapeReply(out, 0, req, PKT_TRANSACTION_ID, counts, 3), RangeError);
  assert.throws(() => writeScrapeReply(Buffer.alloc(31), 0, req, PKT_TRANSACTION_ID, counts, 2), RangeError);
});

test('scrape reply (answer or error) is never larger than its request, whatever the bound', () => {
  for (const max of [1, MAX_SCRAPE_HASHES, 500]) {
    for (let n = 1; n <= 500; n++) {
      const count = scrapeHashCount(scrape(n), max);
      const reply = count > 0 ? 8 + 12 * count : 8 + udpErrorText(count).length;
      assert.ok(reply <= 16 + 20 * n, `${n} hashes, bound ${max}`);
    }
  }
});

// [label, message, maxLength, expected length]
const errorCases: Array<[string, string, number, number]> = [
  ['fits', 'bad connection ID', 100, 8 + 17],
  ['cut to the 16-byte request it answers', 'bad connection ID', 16, 16],
  ['exactly the header', 'malformed packet', 8, 8],
  ['header does not fit: nothing', 'malformed packet', 7, 0],
  ['empty message', '', 16, 8],
];
for (const [label, message, maxLength, expected] of errorCases) {
  test(`writeErrorReply: ${label}`, () => {
    const req = header(CONN_ID, Action.Announce);
    const out = Buffer.alloc(128, 0xee);
    const n = writeErrorReply(out, 0, req, PKT_TRANSACTION_ID, message, maxLength);
    assert.equal(n, expected);
    assert.ok(n <= maxLength);
    if (n > 0) {
      assert.equal(out.readUInt32BE(0), Action.Error);
      assert.deepEqual(out.subarray(4, 8), TX);
      assert.equal(out.toString('latin1', 8, n), message.slice(0, n - 8));
    }
    assert.equal(out[n], 0xee); // nothing written past the returned length
  });
}

test('error codes have stable texts', () => {
  assert.equal(udpErrorText(UdpError.Malformed), 'malformed packet');
  assert.equal(udpErrorText(UdpError.UnknownAction), 'unknown action ID');
  assert.equal(udpErrorText(UdpError.BadConnectionId), 'bad connection ID');
  assert.equal(udpErrorText(UdpError.BadEvent), 'malformed event ID');
  assert.equal(udpErrorText(-99), 'malformed packet');
  assert.equal(udpErrorText(0), 'malformed packet');
});

// ---------------------------------------------------------------------------------------------------
// source address

const addressCases: Array<[string, string | null]> = [
  ['203.0.113.7', 'cb007107'],
  ['0.0.0.0', '00000000'],
  ['255.255.255.255', 'ffffffff'],
  ['::ffff:203.0.113.7', 'cb007107'],
  ['::FFFF:cb00:7107', 'cb007107'],
  ['2001:db8::1', '20010db8000000000000000000000001'],
  ['2001:db8::1%eth0', '20010db8000000000000000000000001'],
  ['fe80::1:2', 'fe800000000000000000000000010002'],
  ['::', '00000000000000000000000000000000'],
  ['::1', '00000000000000000000000000000001'],
  ['1::', '00010000000000000000000000000000'],
  ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
  ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ['256.0.0.1', null],
  ['1.2.3', null],
  ['1.2.3.4.5', null],
  ['01.2.3.4', null],
  ['1..2.3', null],
  ['', null],
  [':', null],
  [':::', null],
  ['1:2:3:4:5:6:7:8:9', null],
  ['1::2::3', null],
  ['12345::', null],
  ['1:2:3:4:5:6:7:1.2.3.4', null],
  ['g::1', null],
  ['1:', null],
  [':1::', null],
];
for (const [text, hex] of addressCases) {
  test(`SourceAddress.parse(${JSON.stringify(text)})`, () => {
    const got = new SourceAddress().parse(text);
    assert.equal(got === null ? null : Buffer.from(got).toString('hex'), hex);
  });
}

test('SourceAddress.parse returns its own reused arrays', () => {
  const s = new SourceAddress();
  assert.equal(s.parse('1.2.3.4'), s.v4);
  assert.equal(s.parse('::ffff:1.2.3.4'), s.v4);
  assert.equal(s.parse('2001:db8::1'), s.v6);
});

// ---------------------------------------------------------------------------------------------------
// properties

// Random bytes, and random bytes behind a plausible header (so the deeper parser paths run too).
const packets = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.tuple(fc.constantFrom(0, 1, 2, 3, 4), fc.uint8Array({ minLength: 82, maxLength: 400 })).map(([action, rest]) => {
    const b = Buffer.concat([header(CONN_ID, action), rest]);
    if (action === 1) b.writeUInt32BE(rest[0]! & 3, 80); // valid event: reach the option walk
    return b;
  }),
  fc.uint8Array({ maxLength: 300 }).map((o) => announce({ options: Buffer.from(o), numWant: o[0] ?? -1 })),
);

test('property: no parser throws on any packet', () => {
  const record = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  const sources = [SRC4, SRC6, SRC4_MAPPED];
  fc.assert(
    fc.property(packets, fc.boolean(), fc.nat(2), (bytes, allowIPSpoofing, s) => {
      const pkt = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      readAction(pkt);
      isConnectRequest(pkt);
      const rc = parseAnnounceInto(pkt, record, opts({ allowIPSpoofing, sourceAddr: sources[s]! }));
      assert.ok(rc === 0 || rc === UdpError.Malformed || rc === UdpError.BadEvent);
      const n = scrapeHashCount(pkt);
      assert.ok(n === UdpError.Malformed || n === UdpError.TooManyInfoHashes || (n >= 1 && n <= MAX_SCRAPE_HASHES));
      const total = scanOptions(pkt);
      const url = readUrlData(pkt);
      assert.equal(url === null, total < 0);
      if (url !== null) {
        assert.equal(url.length, total);
        parseUrlDataQuery(url);
      }
      if (rc === 0) assert.ok(record.readUInt32LE(OFF_NUM_WANT) <= 200);
    }),
    { numRuns: 3000 },
  );
});

test('property: parseUrlDataQuery and SourceAddress.parse never throw on any string', () => {
  const s = new SourceAddress();
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.stringOf(fc.constantFrom('1', 'f', ':', '.', '%', '?', '&', '=', ';', '+'))), (str) => {
      parseUrlDataQuery(str);
      const a = s.parse(str);
      assert.ok(a === null || a.length === 4 || a.length === 16);
    }),
    { numRuns: 3000 },
  );
});

test('property: announce fields round-trip through the record', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 3 }),
      fc.bigUintN(64),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      (ih, pid, port, event, left, tx) => {
        const pkt = announce({ port, event, left });
        pkt.set(ih, 16);
        pkt.set(pid, 36);
        pkt.set(tx, 12);
        const { rc, record } = parse(pkt);
        assert.equal(rc, 0);
        assert.deepEqual([...record.subarray(OFF_INFO_HASH, OFF_INFO_HASH + 20)], [...ih]);
        assert.deepEqual([...record.subarray(OFF_PEER_ID, OFF_PEER_ID + 20)], [...pid]);
        assert.equal(record.readUInt16BE(OFF_PORT), port);
        assert.equal(record[OFF_EVENT], event);
        assert.equal((record[OFF_FLAGS]! & FLAG_SEEDING) !== 0, left === 0n);
        assert.deepEqual([...record.subarray(OFF_TRANSACTION_ID, OFF_TRANSACTION_ID + 4)], [...tx]);
      },
    ),
    { numRuns: 500 },
  );
});
