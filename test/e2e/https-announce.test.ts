// Native TLS end to end: announces over HTTPS (node:https trusting only the test's own self-signed
// certificate) beside plain HTTP on the same swarm, in every thread layout; with two I/O threads both
// take TLS connections on the one port; a restarted I/O thread serves TLS again; stopping closes both
// apps (uWS would abort this very process otherwise); a bad certificate stops Tracker.start.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import type { Config } from '../../src/config/config.js';
import { parseListenAddr } from '../../src/config/listen-addr.js';
import { Log } from '../../src/util/log.js';
import { Tracker } from '../../src/tracker.js';
import { parseExposition, valueOf } from '../helpers/prometheus-text.js';
import { hasOpenssl, makeSelfSigned, NO_OPENSSL, type TestCert } from '../helpers/tls-cert.js';
import {
  THREAD_LAYOUTS, WAIT_MS, announce, announceParams, announceUrl, decode, get, infoHash, peerId, peersOf, testConfig, waitFor,
  type TestOverrides,
} from '../helpers/tracker.js';

const dir = mkdtempSync(join(tmpdir(), 'hayate-https-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cert: TestCert | null = hasOpenssl() ? makeSelfSigned(dir, 'tracker') : null;

/** One GET over a fresh TLS connection that trusts only `ca`. */
function httpsGet(url: string, ca: string): Promise<{ status: number; body: Buffer; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), fingerprint }));
      res.on('error', reject);
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error(`GET ${url}: no answer within ${WAIT_MS} ms`)));
    req.on('error', reject);
  });
}

function tlsConfig(overrides: TestOverrides, httpsAddr = '127.0.0.1:0'): Config {
  return { ...testConfig(overrides), httpsListenAddr: parseListenAddr('httpsListenAddr', httpsAddr), tlsCertPath: cert!.certPath, tlsKeyPath: cert!.keyPath };
}

for (const { ioThreads, workers, label } of THREAD_LAYOUTS) {
  describe(`HTTPS announces (${label})`, { skip: cert === null ? NO_OPENSSL : false }, () => {
    let tracker: Tracker;
    let base: string;
    let plain: string;
    before(async () => {
      tracker = await Tracker.start(tlsConfig({ ioThreads, workers }), new Log(0, () => {}), { faultInjection: true });
      base = `https://127.0.0.1:${tracker.ports.https}`;
      plain = `http://127.0.0.1:${tracker.ports.http}`;
    });
    after(() => tracker.stop());

    test('an announce over HTTPS joins the swarm plain HTTP sees, with our certificate', async () => {
      assert.ok(tracker.ports.https! > 0 && tracker.ports.https !== tracker.ports.http);
      const ih = infoHash(`https-${label}`);
      const r = await httpsGet(announceUrl(base, announceParams(ih, peerId('tls'), { left: 0, port: 7001, ip: '10.1.2.3' })), cert!.certPem);
      assert.equal(r.status, 200);
      assert.equal(r.fingerprint, new X509Certificate(cert!.certPem).fingerprint256);
      assert.equal(decode(r.body).complete, 1);
      const { d } = await announce(announceUrl(plain, announceParams(ih, peerId('plain'), { port: 7002 })));
      assert.deepEqual(peersOf(d).v4, ['10.1.2.3:7001']);
      // And the other way round: a plain peer shows up over TLS.
      const again = await httpsGet(announceUrl(base, announceParams(ih, peerId('tls2'), { ip: '10.1.2.4', port: 7003 })), cert!.certPem);
      assert.ok(peersOf(decode(again.body)).v4.includes('10.1.2.3:7001'));
      assert.equal(decode(again.body).incomplete, 2);
    });

    test('the certificate is checked by the client: an untrusted one is refused', async () => {
      await assert.rejects(new Promise((resolve, reject) => {
        https.get(`${base}/announce`, { agent: false }, resolve).on('error', reject);
      }), /self[- ]signed/i);
    });

    if (ioThreads > 1) {
      const perThread = async (): Promise<number[]> => {
        const e = parseExposition((await get(`http://127.0.0.1:${tracker.ports.api}/metrics`)).body.toString());
        return [1, 2].map((i) => valueOf(e, 'hayate_thread_requests_total', { thread: `io-0${i}`, protocol: 'http' }));
      };
      /** 40 announces on fresh connections (the kernel spreads them by address: all on one thread ~2^-39). */
      const spread = async (tag: string): Promise<{ before: number[]; now: number[] }> => {
        const before = await perThread();
        for (let i = 0; i < 40; i++) {
          const r = await httpsGet(announceUrl(base, announceParams(infoHash(`${tag}-${i}`), peerId(`s${i}`))), cert!.certPem);
          assert.equal(r.status, 200);
        }
        const now = await waitFor('40 requests counted', async () => {
          const s = await perThread();
          return s[0]! + s[1]! - before[0]! - before[1]! >= 40 ? s : undefined;
        });
        return { before, now };
      };

      test('both I/O threads take TLS connections on the one port', async () => {
        const { before, now } = await spread('spread');
        assert.ok(now[0]! > before[0]! && now[1]! > before[1]!, `per thread ${JSON.stringify(before)} → ${JSON.stringify(now)}`);
      });

      test('a restarted I/O thread serves TLS again', async () => {
        const restarts = tracker.io.restarts;
        tracker.injectFault(1, 'uncaught');
        await waitFor('io-02 restarted', () => tracker.io.restarts === restarts + 1);
        await waitFor('io-02 listening again', async () => {
          try {
            return (await httpsGet(announceUrl(base, announceParams(infoHash('probe'), peerId('probe'))), cert!.certPem)).status === 200 &&
              tracker.io.threadIds[1]!.tid !== 0;
          } catch {
            return false;
          }
        });
        // The counters outlive the thread: io-02's grow again once its new app accepts.
        const { before, now } = await spread('after');
        assert.ok(now[1]! > before[1]!, `io-02 ${before[1]} → ${now[1]}`);
      });
    }
  });
}

describe('HTTPS only, start and stop', { skip: cert === null ? NO_OPENSSL : false }, () => {
  test('httpListenAddr "" with httpsListenAddr: TLS alone; stop closes it and this process lives on', async () => {
    const tracker = await Tracker.start(tlsConfig({ ioThreads: 2, httpListenAddr: '' }), new Log(0, () => {}));
    assert.equal(tracker.ports.http, null);
    const url = announceUrl(`https://127.0.0.1:${tracker.ports.https}`, announceParams(infoHash('only'), peerId('only')));
    assert.equal((await httpsGet(url, cert!.certPem)).status, 200);
    await tracker.stop();
    await assert.rejects(httpsGet(url, cert!.certPem), /ECONNREFUSED/);
  });

  test('a configured port is used as given by every I/O thread', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = https.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const tracker = await Tracker.start(tlsConfig({ ioThreads: 2 }, `127.0.0.1:${port}`), new Log(0, () => {}));
    try {
      assert.equal(tracker.ports.https, port);
    } finally {
      await tracker.stop();
    }
  });

  test('Tracker.start refuses a certificate that is not there (ConfigError naming the key)', async () => {
    const config = { ...tlsConfig({}), tlsCertPath: join(dir, 'missing.pem') };
    await assert.rejects(Tracker.start(config, new Log(0, () => {})), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `config: tlsCertPath: ${JSON.stringify(join(dir, 'missing.pem'))}: no such file (ENOENT)`);
      return true;
    });
  });
});
