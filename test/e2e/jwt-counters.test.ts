// With JWT on, every refused announce is counted where docs/compatibility.md says, and answered with its
// contract text, over HTTP and over UDP (the token in BEP 41 URL data): a flood of forged tokens (right
// kid, audience and infohash, random signatures: each one RSA verification) and of invalid ones (refused
// by the screen) moves `jwt.refused` / `jwt.screened` / `jwt.busy` and `requestsRefusedBusy`, never
// `requestsErrored`. The /stats `jwt` object is checked against what the clients were answered.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { Log } from '../../src/util/log.js';
import { Tracker } from '../../src/tracker.js';
import { AUDIENCE, hashOf, hexOf, JwksServer, makeKey, mintQuay, type TestKey } from '../helpers/jwt-fixtures.js';
import { announceUrl, failureOf, getJson, testConfig, THREAD_LAYOUTS, WAIT_MS } from '../helpers/tracker.js';
import { connectPacket, announcePacket, newTransactionId, urlDataOptions } from '../helpers/udp-client.js';

const MISSING = 'unapproved request: missing jwt';
const INVALID = 'unapproved request: invalid jwt';
const UNAVAILABLE = 'unapproved request: jwt keys unavailable';
const BUSY = 'tracker busy, retry later';
const PEER_ID = Buffer.from('-QU0100-jwtcounters1');

interface Running { tracker: Tracker; http: string; api: string; udpPort: number }

async function start(jwks: JwksServer, over: Partial<Config>): Promise<Running> {
  const config: Config = { ...testConfig({ udpListenAddr: '127.0.0.1:0' }), jwkSetURI: jwks.url, jwtAudience: AUDIENCE, ...over };
  const tracker = await Tracker.start(config, new Log(0, () => {}));
  return { tracker, http: `http://127.0.0.1:${tracker.ports.http}`, api: `http://127.0.0.1:${tracker.ports.api}`, udpPort: tracker.ports.udp! };
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Right kid, audience and infohash, a random 256-byte signature: passes the screen, fails RSA. */
function forgedToken(kid: string, infoHash: Uint8Array): string {
  return `${b64({ alg: 'RS256', kid, typ: 'JWT' })}.${b64({ iss: 'quay', aud: AUDIENCE, infohash: hexOf(infoHash) })}.${randomBytes(256).toString('base64url')}`;
}

/** Refused before any RSA work: not a JWS, another audience, another torrent's infohash. */
function screenedToken(kid: string, infoHash: Uint8Array, i: number): string {
  const sig = randomBytes(256).toString('base64url');
  switch (i % 3) {
    case 0: return `not-a-jws-${i}`;
    case 1: return `${b64({ alg: 'RS256', kid })}.${b64({ aud: 'http://elsewhere/announce', infohash: hexOf(infoHash) })}.${sig}`;
    default: return `${b64({ alg: 'RS256', kid })}.${b64({ aud: AUDIENCE, infohash: hexOf(hashOf(`other-${i}`)) })}.${sig}`;
  }
}

function announcePath(r: Running, infoHash: Uint8Array, token: string | undefined): string {
  return announceUrl(r.http, {
    info_hash: Buffer.from(infoHash), peer_id: PEER_ID, port: 6881, uploaded: 0, downloaded: 0, left: 0, numwant: 0, jwt: token,
  });
}

/** Texts answered (null: a success) for `urls`, over `concurrency` keep-alive connections. */
async function httpFlood(urls: string[], concurrency: number): Promise<Map<string | null, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out = new Map<string | null, number>();
  let next = 0;
  const one = (url: string): Promise<Buffer> => new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
  });
  try {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < urls.length) {
        const text = failureOf(await one(urls[next++]!));
        out.set(text, (out.get(text) ?? 0) + 1);
      }
    }));
  } finally {
    agent.destroy();
  }
  return out;
}

/** A UDP client that sends bursts of announces and counts the answers by text. */
class UdpBurst {
  private readonly sock: Socket = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  private readonly waiting = new Map<number, (msg: Buffer) => void>();
  private cid = Buffer.alloc(8);

  constructor(private readonly port: number) {
    this.sock.on('message', (m) => {
      const w = m.length >= 8 ? this.waiting.get(m.readUInt32BE(4)) : undefined;
      if (w !== undefined) { this.waiting.delete(m.readUInt32BE(4)); w(m); }
    });
  }

  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.sock.bind(0, '127.0.0.1', resolve));
    const tx = newTransactionId();
    const reply = await this.exchange([connectPacket(tx)]);
    this.cid = Buffer.from(reply[0]!.subarray(8, 16));
    return this;
  }

  /** Sends every packet at once; resolves with each reply (null when none came within WAIT_MS). */
  private async exchange(pkts: Buffer[]): Promise<(Buffer | null)[]> {
    const replies = pkts.map((p) => new Promise<Buffer | null>((resolve) => {
      const tx = p.readUInt32BE(12);
      const timer = setTimeout(() => { this.waiting.delete(tx); resolve(null); }, WAIT_MS);
      this.waiting.set(tx, (m) => { clearTimeout(timer); resolve(m); });
    }));
    for (const p of pkts) this.sock.send(p, this.port, '127.0.0.1');
    return Promise.all(replies);
  }

  /** Texts answered (null: an announce reply; 'no reply' when none came) to announces carrying `urlData`. */
  async announce(infoHash: Uint8Array, urlData: (string | null)[]): Promise<Map<string | null, number>> {
    const pkts = urlData.map((u) => announcePacket({
      connectionId: this.cid, transactionId: newTransactionId(), infoHash: Buffer.from(infoHash), peerId: PEER_ID, port: 6881,
      left: 0, numWant: 0, options: u === null ? undefined : urlDataOptions(u, 200),
    }));
    const out = new Map<string | null, number>();
    for (const m of await this.exchange(pkts)) {
      const text = m === null ? 'no reply' : m.readUInt32BE(0) === 3 ? m.toString('latin1', 8) : null;
      out.set(text, (out.get(text) ?? 0) + 1);
    }
    return out;
  }

  close(): void {
    this.sock.close();
  }
}

type Stats = Record<string, unknown>;
const num = (s: Stats, path: string): number => {
  let v: unknown = s;
  for (const k of path.split('.')) v = (v as Record<string, unknown>)[k];
  assert.equal(typeof v, 'number', `/stats ${path}`);
  return v as number;
};
const delta = (a: Stats, b: Stats, path: string): number => num(b, path) - num(a, path);
const count = (m: Map<string | null, number>, text: string | null): number => m.get(text) ?? 0;
const sum = (m: Map<string | null, number>): number => [...m.values()].reduce((x, y) => x + y, 0);

/** Every answer is one of `texts`. */
function assertTexts(m: Map<string | null, number>, texts: (string | null)[], what: string): void {
  for (const k of m.keys()) assert.ok(texts.includes(k), `${what}: unexpected answer ${JSON.stringify(k)} (${JSON.stringify([...m])})`);
}

for (const { ioThreads, workers, label } of THREAD_LAYOUTS) {
  describe(`JWT refusals: texts and counters (${label})`, () => {
    let jwks: JwksServer;
    let key: TestKey;
    let r: Running;
    let udp: UdpBurst;
    before(async () => {
      key = await makeKey('quay-counters');
      jwks = await new JwksServer().listen();
      jwks.keys = [key.jwk];
      r = await start(jwks, { ioThreads, workers, torrentMapShards: 4 });
      udp = await new UdpBurst(r.udpPort).open();
    });
    after(async () => {
      udp.close();
      await r.tracker.stop();
      await jwks.close();
    });

    test('missing and valid tokens: their texts, `missing`, `accepted`, `cacheHits` and one verification', async () => {
      const ih = hashOf(`counters-ok-${label}`);
      const s0 = await getJson(`${r.api}/stats`);
      const http1 = await httpFlood([announcePath(r, ih, undefined), announcePath(r, ih, '')], 2);
      assert.deepEqual([...http1], [[MISSING, 2]]);
      const udp1 = await udp.announce(ih, [null, '/announce?x=1', '/announce?jwt=']);
      assert.deepEqual([...udp1], [[MISSING, 3]]);
      const token = await mintQuay(key, { infohash: hexOf(ih) });
      assert.deepEqual([...await httpFlood([announcePath(r, ih, token)], 1)], [[null, 1]]);
      assert.deepEqual([...await udp.announce(ih, [`/announce?jwt=${token}`])], [[null, 1]]);
      assert.deepEqual([...await httpFlood([announcePath(r, ih, token)], 1)], [[null, 1]]);
      const s1 = await getJson(`${r.api}/stats`);
      assert.equal(delta(s0, s1, 'jwt.missing'), 5);
      assert.equal(delta(s0, s1, 'jwt.accepted'), 3);
      assert.equal(delta(s0, s1, 'jwt.verifications'), 1, 'a token is verified once');
      assert.equal(delta(s0, s1, 'jwt.cacheHits'), 2, 'and then answered from every thread\'s cache');
      assert.equal(delta(s0, s1, 'announcesRefusedJwt'), 5);
      for (const k of ['jwt.refused', 'jwt.busy', 'jwt.unavailable', 'jwt.screened', 'requestsErrored', 'requestsRefusedBusy']) {
        assert.equal(delta(s0, s1, k), 0, k);
      }
    });

    test('a flood of forged and screened tokens over HTTP and UDP: each answer counted once, where documented', async () => {
      const ih = hashOf(`counters-flood-${label}`);
      const s0 = await getJson(`${r.api}/stats`);
      // Screened tokens (no RSA work), then forged ones (one RSA verification each) from one source:
      // more than its share of the verification queue, so some are refused as busy.
      const screened = 60;
      const httpScreened = await httpFlood(Array.from({ length: screened }, (_, i) => announcePath(r, ih, screenedToken(key.kid, ih, i))), 16);
      const udpScreened = await udp.announce(ih, Array.from({ length: screened }, (_, i) => `/announce?jwt=${screenedToken(key.kid, ih, i)}`));
      assert.deepEqual([...httpScreened], [[INVALID, screened]]);
      assert.deepEqual([...udpScreened], [[INVALID, screened]]);
      const s1 = await getJson(`${r.api}/stats`);
      assert.equal(delta(s0, s1, 'jwt.screened'), 2 * screened);
      assert.equal(delta(s0, s1, 'jwt.refused'), 2 * screened);
      assert.equal(delta(s0, s1, 'jwt.verifications'), 0, 'screened tokens cost no RSA work');

      const forged = 400;
      const httpForged = await httpFlood(Array.from({ length: forged }, () => announcePath(r, ih, forgedToken(key.kid, ih))), 64);
      const udpForged = new Map<string | null, number>();
      for (let burst = 0; burst < 2; burst++) {
        const m = await udp.announce(ih, Array.from({ length: forged / 2 }, () => `/announce?jwt=${forgedToken(key.kid, ih)}`));
        for (const [k, v] of m) udpForged.set(k, (udpForged.get(k) ?? 0) + v);
      }
      assertTexts(httpForged, [INVALID, BUSY], 'http');
      assertTexts(udpForged, [INVALID, BUSY], 'udp');
      assert.equal(sum(httpForged), forged);
      assert.equal(sum(udpForged), forged, 'every datagram answered');
      const s2 = await getJson(`${r.api}/stats`);
      const invalid = count(httpForged, INVALID) + count(udpForged, INVALID);
      const busy = count(httpForged, BUSY) + count(udpForged, BUSY);
      // One address sending far more distinct tokens than its share of the verification queue (16)
      // gets `tracker busy` for the rest, over both protocols (runs here: 80..160 of 400 over HTTP,
      // 190..290 over UDP).
      const answers = `answers: http ${JSON.stringify([...httpForged])}, udp ${JSON.stringify([...udpForged])}`;
      assert.ok(count(httpForged, BUSY) > 0, `HTTP: no busy refusal (${answers})`);
      assert.ok(count(udpForged, BUSY) > 0, `UDP: no busy refusal (${answers})`);
      assert.equal(delta(s1, s2, 'jwt.refused'), invalid);
      assert.equal(delta(s1, s2, 'jwt.busy'), busy);
      assert.equal(delta(s1, s2, 'requestsRefusedBusy'), busy, 'a busy token is a busy request');
      assert.equal(delta(s1, s2, 'jwt.verifications'), invalid, 'each forged token refused cost one verification; busy ones none');
      assert.equal(delta(s1, s2, 'jwt.screened'), 0);
      assert.equal(delta(s1, s2, 'announcesRefusedJwt'), invalid);
      assert.equal(delta(s1, s2, 'requestsBad'), forged, 'HTTP: each refusal answered with a failure reason');
      assert.equal(delta(s1, s2, 'udpPacketsBad'), forged, 'UDP: each refusal answered with an error');
      for (const k of ['jwt.accepted', 'jwt.missing', 'jwt.unavailable', 'requestsErrored']) assert.equal(delta(s0, s2, k), 0, k);
      assert.equal(delta(s0, s2, 'trackerAnnounces'), 2 * screened + 2 * forged);
    });

    test('the same forged token again: refused from the negative cache or shared, never verified twice at once', async () => {
      const ih = hashOf(`counters-again-${label}`);
      const token = forgedToken(key.kid, ih);
      const s0 = await getJson(`${r.api}/stats`);
      const first = await httpFlood(Array.from({ length: 8 }, () => announcePath(r, ih, token)), 8);
      const again = await udp.announce(ih, Array.from({ length: 4 }, () => `/announce?jwt=${token}`));
      assert.deepEqual([...first], [[INVALID, 8]]);
      assert.deepEqual([...again], [[INVALID, 4]]);
      const s1 = await getJson(`${r.api}/stats`);
      assert.equal(delta(s0, s1, 'jwt.refused'), 12);
      const verifications = delta(s0, s1, 'jwt.verifications');
      assert.ok(verifications >= 1 && verifications <= 2 * ioThreads, `verifications ${verifications}`);
      assert.equal(verifications + delta(s0, s1, 'jwt.coalesced') + delta(s0, s1, 'jwt.cacheHits'), 12,
        'each request was verified, joined a verification, or hit the cache');
      assert.equal(delta(s0, s1, 'requestsErrored'), 0);
    });
  });
}

describe('JWT: keys unavailable, over HTTP and UDP', () => {
  let jwks: JwksServer;
  let key: TestKey;
  let r: Running;
  let udp: UdpBurst;
  before(async () => {
    key = await makeKey('quay-down');
    jwks = await new JwksServer().listen();
    jwks.mode = 'status500'; // never fetched: fail closed
    r = await start(jwks, { ioThreads: 2 });
    udp = await new UdpBurst(r.udpPort).open();
  });
  after(async () => {
    udp.close();
    await r.tracker.stop();
    await jwks.close();
  });

  test('a valid token is refused with `jwt keys unavailable` and counted in `unavailable`; a missing one is still `missing`', async () => {
    const ih = hashOf('counters-down');
    const token = await mintQuay(key, { infohash: hexOf(ih) });
    const s0 = await getJson(`${r.api}/stats`);
    assert.deepEqual([...await httpFlood([announcePath(r, ih, token), announcePath(r, ih, token)], 2)], [[UNAVAILABLE, 2]]);
    assert.deepEqual([...await udp.announce(ih, [`/announce?jwt=${token}`, `/announce?jwt=${forgedToken(key.kid, ih)}`])], [[UNAVAILABLE, 2]]);
    assert.deepEqual([...await httpFlood([announcePath(r, ih, undefined)], 1)], [[MISSING, 1]]);
    const s1 = await getJson(`${r.api}/stats`);
    assert.equal(delta(s0, s1, 'jwt.unavailable'), 4);
    assert.equal(delta(s0, s1, 'jwt.missing'), 1);
    assert.equal(delta(s0, s1, 'announcesRefusedJwt'), 5);
    assert.equal(delta(s0, s1, 'jwt.verifications'), 0);
    assert.equal(delta(s0, s1, 'requestsErrored'), 0);
    assert.equal(delta(s0, s1, 'requestsRefusedBusy'), 0);
  });
});
