// One scrape rule for both protocols: at most `maxScrapeInfoHashes` info hashes (default 74, BEP 15's
// "about 74", one Ethernet MTU); more are refused as a whole with `too many info_hash values in one
// scrape`, over HTTP and over UDP alike, never answered in part. Over UDP the refusal (like any answer)
// is smaller than the request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { THREAD_LAYOUTS, decode, failureOf, get, getJson, startTestTracker, type TestTracker } from '../helpers/tracker.js';
import { UdpAction, UdpClient, parseReply, scrapePacket } from '../helpers/udp-client.js';

const TOO_MANY = 'too many info_hash values in one scrape';

/**
 * Distinct 20-byte hashes made only of URL-unreserved ASCII, so n of them fit a request line unescaped
 * (31 bytes each) and HTTP and UDP can be asked the very same hashes.
 */
function asciiHashes(n: number, tag: string): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`${tag}-${i}`.padEnd(20, '_').slice(0, 20), 'latin1'));
}

function httpScrape(t: TestTracker, hashes: Buffer[]): Promise<Buffer> {
  const q = hashes.map((h) => `info_hash=${h.toString('latin1')}`).join('&');
  return get(`${t.httpUrl}/scrape?${q}`).then((r) => {
    assert.equal(r.status, 200);
    return r.body;
  });
}

function suite(label: string, ioThreads: number, workers: number, bound: number | undefined): void {
  const max = bound ?? 74;
  describe(`scrape bound ${max}${bound === undefined ? ' (default)' : ''}, HTTP and UDP (${label})`, () => {
    let t: TestTracker;
    let c: UdpClient;
    before(async () => {
      t = await startTestTracker({ ioThreads, workers, udpListenAddr: '127.0.0.1:0', ...(bound === undefined ? {} : { maxScrapeInfoHashes: bound }) });
      c = await UdpClient.open({ host: '127.0.0.1', port: t.tracker.ports.udp! });
    });
    after(async () => {
      await c.close();
      await t.stop();
    });

    test(`${max} hashes are answered in full by both`, async () => {
      const hashes = asciiHashes(max, `ok${max}`);
      const body = await httpScrape(t, hashes);
      assert.equal(failureOf(body), null);
      assert.equal(Object.keys(decode(body).files as object).length, max);
      const r = parseReply(await c.request(scrapePacket(await c.connect(), hashes)), 6);
      assert.ok(r.action === UdpAction.Scrape, r.action === UdpAction.Error ? r.message : '');
      assert.equal(r.entries.length, max);
    });

    test(`${max + 1} hashes are refused as a whole by both, with the same text`, async () => {
      const before = await getJson(`${t.apiUrl}/stats`);
      const hashes = asciiHashes(max + 1, `no${max}`);
      assert.equal(failureOf(await httpScrape(t, hashes)), TOO_MANY);
      const pkt = scrapePacket(await c.connect(), hashes);
      const raw = await c.request(pkt);
      const r = parseReply(raw, 6);
      assert.equal(r.action === UdpAction.Error && r.message, TOO_MANY);
      assert.ok(raw.length < pkt.length, 'never larger than the request');
      const s = await getJson(`${t.apiUrl}/stats`);
      assert.equal((s.requestsBad as number) - (before.requestsBad as number), 1, 'HTTP: answered with a failure reason');
      assert.equal((s.udpPacketsBad as number) - (before.udpPacketsBad as number), 1, 'UDP: answered with an error');
      assert.equal(s.requestsErrored, before.requestsErrored);
    });
  });
}

for (const { ioThreads, workers, label } of THREAD_LAYOUTS) {
  suite(label, ioThreads, workers, 3);
  suite(label, ioThreads, workers, undefined);
}
// A bound above BEP 15's 74 holds over UDP too (a reply larger than one MTU, still smaller than its request).
suite(THREAD_LAYOUTS[0]!.label, THREAD_LAYOUTS[0]!.ioThreads, THREAD_LAYOUTS[0]!.workers, 150);
