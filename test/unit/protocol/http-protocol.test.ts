// Table-driven tests of the pure protocol layer: query decoding, bencode output, ClientID, IPs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import bencode from 'bencode';
import {
  ANNOUNCE_RECORD_BYTES, Event, FLAG_SEEDING, OFF_EVENT, OFF_FLAGS, OFF_INFO_HASH, OFF_NUM_WANT, OFF_PEER_ID, OFF_PORT,
} from '../../../src/core/announce-record.js';
import { putBInt, putUint } from '../../../src/protocol/http/bencode-writer.js';
import { clientIdOf } from '../../../src/core/client-id.js';
import { putFailure } from '../../../src/protocol/http/failure.js';
import { AnnounceQueryParser, parseScrapeQuery } from '../../../src/protocol/http/http-query.js';
import { Family, formatIPv6, parseIP } from '../../../src/protocol/ip.js';
import { percentDecodeInto } from '../../../src/protocol/http/percent.js';
import { putHttpScrape } from '../../../src/protocol/http/scrape-response.js';

const IH = '%a9J%8f%e5%cc%b1%9b%a6%1cL%08s%d3%91%e9%87%98%2f%bb%d3'; // sha1("test")
const IH_HEX = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const BASE = `info_hash=${IH}&peer_id=-QUAY00-6wfG2wk6wWLc&port=80&uploaded=0&downloaded=0&left=0`;

function parse(q: string): { ok: boolean; rec: Buffer; p: AnnounceQueryParser } {
  const rec = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  const p = new AnnounceQueryParser(rec, 50, 200);
  return { ok: p.parse(q), rec, p };
}

describe('announce query decoding', () => {
  it('decodes binary info_hash and peer_id, numbers, flags', () => {
    const { ok, rec } = parse(`${BASE}&numwant=7&event=started`);
    assert.ok(ok);
    assert.equal(rec.subarray(OFF_INFO_HASH, OFF_INFO_HASH + 20).toString('hex'), IH_HEX);
    assert.equal(rec.subarray(OFF_PEER_ID, OFF_PEER_ID + 20).toString('latin1'), '-QUAY00-6wfG2wk6wWLc');
    assert.equal(rec.readUInt16BE(OFF_PORT), 80);
    assert.equal(rec.readUInt32LE(OFF_NUM_WANT), 7);
    assert.equal(rec[OFF_EVENT], Event.Started);
    assert.equal(rec[OFF_FLAGS]! & FLAG_SEEDING, FLAG_SEEDING);
  });

  const valid: [string, string, (r: Buffer, p: AnnounceQueryParser) => void][] = [
    ['`;` separates', BASE.replaceAll('&', ';'), (r) => assert.equal(r.readUInt16BE(OFF_PORT), 80)],
    ['keys are case-insensitive', BASE.replace('port=', 'PORT=').replace('info_hash', 'Info_Hash'), (r) => assert.equal(r.readUInt16BE(OFF_PORT), 80)],
    ['an escaped key still matches', BASE.replace('port=', 'p%6frt='), (r) => assert.equal(r.readUInt16BE(OFF_PORT), 80)],
    ['numwant absent: default', BASE, (r) => assert.equal(r.readUInt32LE(OFF_NUM_WANT), 50)],
    ['numwant not a number: default', `${BASE}&numwant=abc`, (r) => assert.equal(r.readUInt32LE(OFF_NUM_WANT), 50)],
    ['numwant negative: none', `${BASE}&numwant=-1`, (r) => assert.equal(r.readUInt32LE(OFF_NUM_WANT), 0)],
    ['numwant capped', `${BASE}&numwant=100000`, (r) => assert.equal(r.readUInt32LE(OFF_NUM_WANT), 200)],
    ['left > 0: leecher', BASE.replace('left=0', 'left=12345678901234567890'), (r) => assert.equal(r[OFF_FLAGS]! & FLAG_SEEDING, 0)],
    ['compact=0', `${BASE}&compact=0`, (_r, p) => assert.equal(p.compact, false)],
    ['compact=1', `${BASE}&compact=1`, (_r, p) => assert.equal(p.compact, true)],
    ['event=empty', `${BASE}&event=empty`, (r) => assert.equal(r[OFF_EVENT], Event.None)],
    ['event=paused', `${BASE}&event=paused`, (r) => assert.equal(r[OFF_EVENT], Event.Paused)],
    ['event=completed', `${BASE}&event=completed`, (r) => assert.equal(r[OFF_EVENT], Event.Completed)],
    ['jwt kept', `${BASE}&jwt=a.b.c`, (_r, p) => assert.equal(p.jwt, 'a.b.c')],
    ['`+` is a space in peer_id', BASE.replace('-QUAY00-6wfG2wk6wWLc', '-QUAY00-6wfG2wk6w+Lc'), (r) => assert.equal(r.subarray(OFF_PEER_ID + 17, OFF_PEER_ID + 18).toString(), ' ')],
    ['ip params recorded', `${BASE}&ip=10.0.0.1&ipv6=%3a%3a1`, (_r, p) => assert.ok(p.ipStart > 0 && p.ipv6Start > 0 && p.ipv4Start < 0)],
  ];
  for (const [name, q, check] of valid) {
    it(name, () => {
      const { ok, rec, p } = parse(q);
      assert.ok(ok, p.reason);
      check(rec, p);
    });
  }

  const malformed: [string, string][] = [
    ['empty query', ''],
    ['missing info_hash', BASE.replace(`info_hash=${IH}&`, '')],
    ['short info_hash', BASE.replace(IH, IH.slice(0, -3))],
    ['long info_hash', BASE.replace(IH, `${IH}%00`)],
    ['bad escape', BASE.replace('%a9', '%zz')],
    ['truncated escape', BASE.replace(IH, `${IH.slice(0, -3)}%b`)],
    ['missing peer_id', BASE.replace('peer_id=-QUAY00-6wfG2wk6wWLc&', '')],
    ['short peer_id', BASE.replace('6wWLc', '6wWL')],
    ['missing port', BASE.replace('port=80&', '')],
    ['port not numeric', BASE.replace('port=80', 'port=eighty')],
    ['port too large', BASE.replace('port=80', 'port=65536')],
    ['negative uploaded', BASE.replace('uploaded=0', 'uploaded=-1')],
    ['missing downloaded', BASE.replace('downloaded=0&', '')],
    ['missing left', BASE.replace('&left=0', '')],
    ['unknown event', `${BASE}&event=finished`],
    ['non-latin1 char', BASE.replace('-QUAY00-', '-QUAY0\u20ac-')],
  ];
  for (const [name, q] of malformed) {
    it(`malformed: ${name}`, () => {
      const { ok, p } = parse(q);
      assert.equal(ok, false);
      assert.notEqual(p.reason, '');
    });
  }

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (q) => {
      parse(q);
      parse(`${BASE}&${q}`);
    }), { numRuns: 2000 });
  });
});

describe('scrape query', () => {
  it('collects hashes in order, bounded', () => {
    const out = Buffer.alloc(40);
    assert.equal(parseScrapeQuery(`info_hash=${IH}&info_hash=${'%00'.repeat(20)}`, out), 2);
    assert.equal(out.subarray(0, 20).toString('hex'), IH_HEX);
    assert.equal(parseScrapeQuery(`info_hash=${IH}&info_hash=${IH}&info_hash=${IH}`, out), -2);
    assert.equal(parseScrapeQuery(`info_hash=abc`, out), -1);
    assert.equal(parseScrapeQuery('', out), 0);
  });

  it('writes sorted, de-duplicated files dicts', () => {
    const hashes = Buffer.concat([Buffer.alloc(20, 0xbb), Buffer.alloc(20, 0xaa), Buffer.alloc(20, 0xbb)]);
    const out = Buffer.alloc(1024);
    const n = putHttpScrape(out, hashes, Uint32Array.from([1, 2, 3, 4, 5, 6, 1, 2, 3]), 3);
    const expected = bencode.encode({ files: {
      [Buffer.alloc(20, 0xaa).toString('latin1')]: { complete: 4, downloaded: 5, incomplete: 6 },
      [Buffer.alloc(20, 0xbb).toString('latin1')]: { complete: 1, downloaded: 2, incomplete: 3 },
    } });
    // bencode encodes latin1 keys as UTF-8; compare structure instead of bytes for the keys.
    const decoded = bencode.decode(out.subarray(0, n)) as { files: Record<string, unknown> };
    assert.equal(Object.keys(decoded.files).length, 2);
    assert.ok(expected.length > 0);
    assert.ok(out.subarray(0, n).toString('latin1').startsWith(`d5:filesd20:${'\xaa'.repeat(20)}d8:completei4e10:downloadedi5e10:incompletei6ee`));
  });
});

describe('bencode output', () => {
  it('writes the failure vector of chihaya', () => {
    const out = Buffer.alloc(64);
    assert.equal(out.toString('latin1', 0, putFailure(out, 0, 'hello world')), 'd14:failure reason11:hello worlde');
  });
  it('writes integers like JSON numbers', () => {
    const b = Buffer.alloc(32);
    for (const v of [0, 7, 10, 99, 1234567890, 2 ** 40]) {
      assert.equal(b.subarray(0, putUint(b, 0, v)).toString(), String(v));
      assert.equal(b.subarray(0, putBInt(b, 0, v)).toString(), `i${v}e`);
    }
  });
});

describe('ClientID', () => {
  const vectors: [string, string][] = [
    ['-AZ3034-6wfG2wk6wWLc', 'AZ3034'], ['-UT2300-MNu93JKnm930', 'UT2300'], ['T03A0----f089kjsdf6e', 'T03A0-'],
    ['S58B-----nKl34GoNb75', 'S58B--'], ['AZ2500BTeYUzyabAfo6U', 'AZ2500'], ['OP1011affbecbfabeefb', 'OP1011'],
    ['-ML2.7.2-kgjjfkd9762', 'ML2.7.'], ['-A~0010-abcdefghijkl', 'A~0010'], ['346------SDFknl33408', '346---'],
  ];
  for (const [peerId, id] of vectors) it(`${peerId} → ${id}`, () => assert.equal(clientIdOf(Buffer.from(peerId, 'latin1')), id));
});

describe('IP addresses', () => {
  const out = new Uint8Array(16);
  const cases: [string, Family, string][] = [
    ['10.0.0.1', Family.V4, '0a000001'],
    ['::1', Family.V6, '00000000000000000000000000000001'],
    ['2001:db8::8:800:200c:417a', Family.V6, '20010db8000000000008080020 0c417a'.replace(' ', '')],
    ['::ffff:192.0.2.1', Family.V4, 'c0000201'],
    ['1.2.3', Family.None, ''],
    ['256.1.1.1', Family.None, ''],
    ['fe80::1%eth0', Family.V6, 'fe800000000000000000000000000001'],
    ['example.com', Family.None, ''],
  ];
  for (const [textIn, fam, hex] of cases) {
    it(textIn, () => {
      const f = parseIP(textIn, out);
      assert.equal(f, fam);
      if (fam !== Family.None) assert.equal(Buffer.from(out.subarray(0, fam === Family.V4 ? 4 : 16)).toString('hex'), hex);
    });
  }
  it('formats RFC 5952 text', () => {
    parseIP('2001:db8:0:0:1:0:0:1', out);
    assert.equal(formatIPv6(out, 0), '2001:db8::1:0:0:1');
  });
});

describe('percent decoding', () => {
  it('rejects overflow and bad escapes, keeps raw bytes', () => {
    const out = new Uint8Array(4);
    assert.equal(percentDecodeInto('%ff%00ab', 0, 8, out, 0), 4);
    assert.deepEqual([...out], [0xff, 0, 0x61, 0x62]);
    assert.equal(percentDecodeInto('abcde', 0, 5, out, 0), -1);
    assert.equal(percentDecodeInto('%g0', 0, 3, out, 0), -1);
    assert.equal(percentDecodeInto('%0', 0, 2, out, 0), -1);
  });
});
