// The fuzz harness's own guarantees: its checks flag what they exist to flag (a fuzzer whose checks
// never fire would pass against any tracker), and a seed reproduces the same inputs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_EXPECTATIONS } from '../../fuzz/configs.js';
import { checkHttpResponse } from '../../fuzz/http-checks.js';
import { HttpGenerator, type HttpRequestMeta } from '../../fuzz/http-generator.js';
import { parseResponse, type HttpResponse } from '../../fuzz/http-response.js';
import { INFO_HASH_POOL, PEER_ID_POOL, makeTokenBook, sameToken } from '../../fuzz/identities.js';
import { Prng } from '../../fuzz/prng.js';
import { checkUdpReply, type SentDatagram, type TrackerExpectations } from '../../fuzz/udp-checks.js';
import { UdpGenerator } from '../../fuzz/udp-generator.js';
import { announceRequest, connectRequest, scrapeRequest, urlDataChunks } from '../../fuzz/udp-packets.js';

const E: TrackerExpectations = { ...DEFAULT_EXPECTATIONS, tokens: null, whitelist: null };
const CID = Buffer.from('0102030405060708', 'hex');
const IH = INFO_HASH_POOL[0]!;

function udpFailures(req: SentDatagram, reply: Buffer, e: TrackerExpectations = E): string[] {
  const kinds: string[] = [];
  checkUdpReply(req, reply, e, (kind) => kinds.push(kind));
  return kinds;
}

function announce(numWant = -1, options: Buffer = Buffer.alloc(0)): Buffer {
  return announceRequest({
    connectionId: CID, infoHash: IH, peerId: PEER_ID_POOL[0]!, downloaded: 0n, left: 0n, uploaded: 0n, event: 2,
    ip: Buffer.alloc(4), key: 1, numWant, port: 6881, options,
  });
}

function reply(action: number, body: Uint8Array): Buffer {
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt32BE(action, 0);
  b.set(body, 8);
  return b;
}

function announceReply(peers: number, entry = 6, interval = 1800): Buffer {
  const body = Buffer.alloc(12 + peers * entry);
  body.writeUInt32BE(interval, 0);
  return reply(1, body);
}

describe('fuzz checks: UDP replies', () => {
  test('a well-formed announce reply passes (the control case)', () => {
    assert.deepEqual(udpFailures({ bytes: announce(), family: 4, cidValid: true }, announceReply(3)), []);
    assert.deepEqual(udpFailures({ bytes: announce(), family: 6, cidValid: true }, announceReply(2, 18)), []);
  });

  test('amplification: a reply larger than a request without a valid connection ID', () => {
    const req = { bytes: announce().subarray(0, 16), family: 4 as const, cidValid: false };
    assert.ok(udpFailures(req, reply(3, Buffer.from('bad connection ID'))).some((k) => k.includes('amplification')));
    assert.deepEqual(udpFailures(req, reply(3, Buffer.from('bad conn'))), []);
  });

  test('an action that does not match the request, and peers to a forged connection ID', () => {
    const scrape = { bytes: scrapeRequest(CID, [IH]), family: 4 as const, cidValid: true };
    assert.ok(udpFailures(scrape, announceReply(0)).some((k) => k.includes('another action')));
    const forged = udpFailures({ bytes: announce(), family: 4, cidValid: false }, announceReply(1));
    assert.ok(forged.some((k) => k.includes('without a valid connection ID')));
  });

  test('sizes: connect 16, announce 20 + 6n (IPv4) / 18n (IPv6), scrape 8 + 12n', () => {
    const connect = { bytes: connectRequest(), family: 4 as const, cidValid: false };
    assert.ok(udpFailures(connect, reply(0, Buffer.alloc(9))).some((k) => k.includes('not 16')));
    assert.ok(udpFailures({ bytes: announce(), family: 4, cidValid: true }, announceReply(1).subarray(0, 25)).length > 0);
    assert.ok(udpFailures({ bytes: announce(), family: 6, cidValid: true }, announceReply(1, 6)).length > 0);
    const scrape = { bytes: scrapeRequest(CID, [IH, IH]), family: 4 as const, cidValid: true };
    assert.deepEqual(udpFailures(scrape, reply(2, Buffer.alloc(24))), []);
    assert.ok(udpFailures(scrape, reply(2, Buffer.alloc(12))).some((k) => k.includes('8 + 12n')));
  });

  test('more peers than num_want, a wrong interval, an internal error text', () => {
    assert.ok(udpFailures({ bytes: announce(0), family: 4, cidValid: true }, announceReply(1)).some((k) => k.includes('num_want')));
    assert.ok(udpFailures({ bytes: announce(), family: 4, cidValid: true }, announceReply(0, 6, 60)).some((k) => k.includes('interval')));
    assert.ok(udpFailures({ bytes: announce(), family: 4, cidValid: true }, reply(3, Buffer.from('internal error'))).some((k) => k.includes('internal error')));
  });

  test('JWT on: an announce served without a token for its info_hash is flagged; with one it is not', async () => {
    const tokens = await makeTokenBook();
    const e = { ...E, tokens };
    assert.ok(udpFailures({ bytes: announce(), family: 4, cidValid: true }, announceReply(1), e).some((k) => k.includes('JWT')));
    const other = tokens.valid.get(INFO_HASH_POOL[1]!.toString('hex'))!;
    const wrong = announce(-1, urlDataChunks(Buffer.from(`/announce?jwt=${other}`), 255));
    assert.ok(udpFailures({ bytes: wrong, family: 4, cidValid: true }, announceReply(1), e).some((k) => k.includes('JWT')));
    const good = announce(-1, urlDataChunks(Buffer.from(`/announce?jwt=${tokens.valid.get(IH.toString('hex'))}`), 64));
    assert.deepEqual(udpFailures({ bytes: good, family: 4, cidValid: true }, announceReply(1), e), []);
  });
});

function response(raw: string): HttpResponse {
  const p = parseResponse(Buffer.from(raw, 'latin1'), true);
  assert.equal(p.kind, 'response');
  return (p as { response: HttpResponse }).response;
}

function httpFailures(meta: Partial<HttpRequestMeta>, raw: string): string[] {
  const kinds: string[] = [];
  const m: HttpRequestMeta = { method: 'GET', route: 'announce', query: Buffer.from('numwant=5'), expect: 'answer', what: '', ...meta };
  checkHttpResponse(m, response(raw), E, (kind) => kinds.push(kind));
  return kinds;
}

const ok = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

test('fuzz checks: a token respelled in its unused base64url bits is the same token; a changed signature is not', async () => {
  const tokens = await makeTokenBook();
  const tok = tokens.valid.get(IH.toString('hex'))!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const v = alphabet.indexOf(tok.at(-1)!);
  // a 256-byte signature is 342 characters: the last one carries 2 bits, its low 4 bits are padding
  assert.ok(sameToken(tok.slice(0, -1) + alphabet[(v & 0x30) | ((v + 1) & 0x0f)], tok));
  assert.ok(!sameToken(tok.slice(0, -1) + alphabet[(v + 16) & 63], tok));
  assert.ok(!sameToken(tok.replace('.', '.x'), tok));
});

describe('fuzz checks: HTTP responses', () => {
  test('a well-formed announce and a failure pass (the control cases)', () => {
    assert.deepEqual(httpFailures({}, ok('d8:completei1e10:incompletei0e8:intervali1800e12:min intervali900e5:peers6:abcdefe')), []);
    assert.deepEqual(httpFailures({}, ok('d14:failure reason17:malformed requeste')), []);
  });

  test('5xx, "internal error", a 404 on /announce, a body that is not bencode or not canonical', () => {
    assert.ok(httpFailures({ route: 'other' }, 'HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n').some((k) => k.includes('503')));
    assert.ok(httpFailures({}, ok('d14:failure reason14:internal errore')).some((k) => k.includes('internal error')));
    assert.ok(httpFailures({}, 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n').some((k) => k.includes('404')));
    assert.ok(httpFailures({}, ok('<html>')).some((k) => k.includes('not bencode')));
    assert.ok(httpFailures({}, ok('d8:intervali1800e5:aaaaai1ee')).some((k) => k.includes('canonical')));
  });

  test('too many peers for numwant; a scrape naming a hash that was not asked', () => {
    const twoPeers = ok('d8:completei1e10:incompletei0e8:intervali1800e5:peers12:abcdefabcdefe');
    assert.ok(httpFailures({ query: Buffer.from('numwant=1') }, twoPeers).some((k) => k.includes('numwant')));
    assert.deepEqual(httpFailures({ query: Buffer.from('numwant=2') }, twoPeers), []);
    const scrape = `d5:filesd20:${'a'.repeat(20)}d8:completei0e10:downloadedi0e10:incompletei0eeee`;
    assert.ok(httpFailures({ route: 'scrape', query: Buffer.from(`info_hash=${'b'.repeat(20)}`) }, ok(scrape)).some((k) => k.includes('not asked')));
    assert.deepEqual(httpFailures({ route: 'scrape', query: Buffer.from(`info_hash=${'a'.repeat(20)}`) }, ok(scrape)), []);
  });
});

describe('fuzz: a seed reproduces its inputs', () => {
  test('same seed and label, same stream; another label, another stream', () => {
    const a = new Prng(42, 'udp/x');
    const b = new Prng(42, 'udp/x');
    const c = new Prng(42, 'http/x');
    const sa = Array.from({ length: 100 }, () => a.u32());
    assert.deepEqual(sa, Array.from({ length: 100 }, () => b.u32()));
    assert.notDeepEqual(sa, Array.from({ length: 100 }, () => c.u32()));
  });

  test('the generators give byte-identical sequences for one seed', () => {
    const cids = { current: (f: 4 | 6) => (f === 4 ? CID : null) };
    const u1 = new UdpGenerator(new Prng(7, 'u'), null, [4, 6]);
    const u2 = new UdpGenerator(new Prng(7, 'u'), null, [4, 6]);
    for (let i = 0; i < 2000; i++) assert.ok(u1.next(cids).bytes.equals(u2.next(cids).bytes), `udp input ${i}`);
    const h1 = new HttpGenerator(new Prng(7, 'h'), null);
    const h2 = new HttpGenerator(new Prng(7, 'h'), null);
    for (let i = 0; i < 2000; i++) assert.ok(Buffer.concat(h1.next().writes).equals(Buffer.concat(h2.next().writes)), `http input ${i}`);
  });
});
