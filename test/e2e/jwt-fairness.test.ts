// Forged tokens must not deny new clients: four attacker addresses (127.0.0.2..5) flood the tracker with
// announces whose tokens have the right kid, audience and infohash and a random signature (each one RSA
// verification, none cacheable), over many keep-alive connections each, while new clients arrive, each
// from its own address (127.1.x.y) with a valid token for a torrent of its own. Every new client must be
// accepted: the flood is refused as `tracker busy` only for the flooding addresses (the broker's fair
// queue, and each I/O thread's share per source). The HTTP listener is dual-stack when the host allows
// it, as with `httpListenAddr: ":6881"`: IPv4 clients then arrive as IPv4-mapped IPv6 addresses and must
// still each be a source of their own. The generators are the jwt-flood bench scenario's.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { attackTotals, runAttack } from '../../bench/load/jwt-flood/attack.js';
import { runNewClients, type NewClient } from '../../bench/load/jwt-flood/new-clients.js';
import { Log } from '../../src/util/log.js';
import { Tracker } from '../../src/tracker.js';
import { AUDIENCE, hexOf, JwksServer, makeKey, mintQuay, type TestKey } from '../helpers/jwt-fixtures.js';
import { getJson, testConfig, THREAD_LAYOUTS } from '../helpers/tracker.js';
import { canBind } from '../helpers/udp-client.js';

const dualStack = await canBind('::');
const ATTACKERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const attackersAvailable = (await Promise.all([...ATTACKERS, '127.1.0.1'].map(canBind))).every((ok) => ok);
const NEW_CLIENTS = 40;

THREAD_LAYOUTS.forEach(({ ioThreads, workers, label }, layout) => {
  describe(`JWT flood from ${ATTACKERS.length} addresses vs new clients (${label}; HTTP listener ${dualStack ? 'dual-stack [::]' : '127.0.0.1'})`,
    { skip: attackersAvailable ? false : 'cannot bind 127.0.0.2..5 and 127.1.0.1 (loopback is not 127.0.0.0/8)' }, () => {
      let key: TestKey;
      let jwks: JwksServer;
      let tracker: Tracker;
      let port: number;
      let api: string;
      before(async () => {
        key = await makeKey('quay-flood');
        jwks = await new JwksServer().listen();
        jwks.keys = [key.jwk];
        const config = {
          ...testConfig({ httpListenAddr: dualStack ? '[::]:0' : '127.0.0.1:0' }),
          ioThreads, workers, torrentMapShards: 4, jwkSetURI: jwks.url, jwtAudience: AUDIENCE,
        };
        tracker = await Tracker.start(config, new Log(0, () => {}));
        port = tracker.ports.http!;
        api = `http://127.0.0.1:${tracker.ports.api}`;
      });
      after(async () => {
        await tracker.stop();
        await jwks.close();
      });

      test('every new client is accepted; the flood is refused as busy for its own addresses only', async () => {
        const clients: NewClient[] = [];
        for (let i = 0; i < NEW_CLIENTS; i++) {
          const infoHash = randomBytes(20);
          clients.push({ infoHash, token: await mintQuay(key, { infohash: hexOf(infoHash) }) });
        }
        const s0 = await getJson(`${api}/stats`);
        const attack = runAttack({
          protocol: 'http', host: '127.0.0.1', port, addresses: ATTACKERS, concurrency: 300, durationSec: 3, maxRequests: 200_000,
          kid: key.kid, issuer: 'quay', audience: AUDIENCE, infoHashHex: randomBytes(20).toString('hex'),
        });
        await new Promise((r) => setTimeout(r, 300));
        const legit = await runNewClients('127.0.0.1', port, clients, 20, layout * NEW_CLIENTS, 10_000);
        const a = attackTotals(await attack);
        const s1 = await getJson(`${api}/stats`);
        const d = (k: string): number => {
          const v = (path: Record<string, unknown>): number => k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], path) as number;
          return v(s1) - v(s0);
        };
        const what = `new clients: ${legit.accepted} accepted, refused ${JSON.stringify(legit.refused)}, ${legit.timeouts} timeouts, ` +
          `${legit.errors} errors; attackers: ${JSON.stringify(a.byText)}`;
        assert.ok((a.byText['tracker busy, retry later'] ?? 0) > 0, `the flood exceeds its share (${what})`);
        assert.ok((a.byText['unapproved request: invalid jwt'] ?? 0) > 0, `forged tokens are verified and refused (${what})`);
        assert.deepEqual(legit.refused, {}, what);
        assert.equal(legit.accepted, NEW_CLIENTS, what);
        assert.equal(d('jwt.accepted'), NEW_CLIENTS);
        assert.equal(d('requestsErrored'), 0);
        assert.equal(d('jwt.busy'), d('requestsRefusedBusy'));
      });
    });
});

describe('JWT flood behind a proxy: the fairness key is the realIPHeader address',
  { skip: attackersAvailable ? false : 'cannot bind 127.0.0.2..5 and 127.1.0.1 (loopback is not 127.0.0.0/8)' }, () => {
    let key: TestKey;
    let jwks: JwksServer;
    before(async () => {
      key = await makeKey('quay-proxy');
      jwks = await new JwksServer().listen();
      jwks.keys = [key.jwk];
    });
    after(() => jwks.close());

    /** Every connection from 127.0.0.1 (the proxy), each client named in X-Forwarded-For. */
    async function flood(realIPHeader: string, firstAddress: number): Promise<{ accepted: number; refused: Record<string, number> }> {
      const tracker = await Tracker.start({ ...testConfig(), ioThreads: 2, workers: 0, realIPHeader, jwkSetURI: jwks.url, jwtAudience: AUDIENCE },
        new Log(0, () => {}));
      try {
        const clients: NewClient[] = [];
        for (let i = 0; i < NEW_CLIENTS; i++) {
          const infoHash = randomBytes(20);
          clients.push({ infoHash, token: await mintQuay(key, { infohash: hexOf(infoHash) }) });
        }
        const port = tracker.ports.http!;
        const attack = runAttack({
          protocol: 'http', host: '127.0.0.1', port, addresses: ATTACKERS, concurrency: 300, durationSec: 3, maxRequests: 200_000,
          kid: key.kid, issuer: 'quay', audience: AUDIENCE, infoHashHex: randomBytes(20).toString('hex'), forwardedFor: true,
        });
        await new Promise((r) => setTimeout(r, 300));
        const legit = await runNewClients('127.0.0.1', port, clients, 20, firstAddress, 10_000, 2000, true);
        const a = attackTotals(await attack);
        assert.ok((a.byText['tracker busy, retry later'] ?? 0) > 0, `the flood exceeds its share: ${JSON.stringify(a.byText)}`);
        return legit;
      } finally {
        await tracker.stop();
      }
    }

    test('with realIPHeader: every new client is accepted', async () => {
      const legit = await flood('X-Forwarded-For', 10 * NEW_CLIENTS);
      assert.deepEqual(legit.refused, {});
      assert.equal(legit.accepted, NEW_CLIENTS);
    });

    test('without it, every client is the proxy and shares one share (why the docs say to set it)', async () => {
      const legit = await flood('', 11 * NEW_CLIENTS);
      assert.ok((legit.refused['tracker busy, retry later'] ?? 0) > 0, `expected busy refusals, got ${JSON.stringify(legit)}`);
    });
  });
