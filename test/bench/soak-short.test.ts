// The soak command end to end, in seconds: `node build/bench/soak/cli.js` starts hayate, preloads a small
// pool, probes capacity, soaks at half of it with report lines, stops the tracker cleanly and writes
// its series. Checks that the command works and what it reports is consistent, never speed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSoak } from '../helpers/bench-cli.js';

const SOAK_TIMEOUT_MS = 90_000;

test('soak rejects bad options with exit code 2', async () => {
  for (const args of [['--minutes', '0'], ['--no-such-option'], ['--pid', '1'], ['--udp-share', '2']]) {
    const r = await runSoak(args, 20_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^soak: /);
  }
});

test('a few seconds of soak: lines every interval, no failures, clean stop, results written', { timeout: SOAK_TIMEOUT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hayate-soak-'));
  try {
    const r = await runSoak(['--minutes', '0.1', '--interval', '2', '--torrents', '500', '--capacity-sec', '1',
      '--http-connections', '4', '--udp-sockets', '2', '--out', dir, '--name', 'short'], SOAK_TIMEOUT_MS);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
    assert.match(r.stdout, /^preload \(every peer once, unpaced\): \d+ HTTP \+ \d+ UDP answers/m);
    assert.match(r.stdout, /^capacity \(unpaced, 1 s\): .*soaking at half: \d+\/s$/m);
    assert.match(r.stdout, /^ elapsed +RSS MB +CPU/m);
    assert.match(r.stdout, /tracker stopped: \{"code":0,"signal":null,"unexpected":false,"forced":false/);
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 2, files.join(', '));
    const doc = JSON.parse(readFileSync(join(dir, files.find((f) => f.endsWith('-short.json'))!), 'utf8')) as {
      rate: number; samples: { elapsedSec: number; rssBytes: number; reqPerSec: number; httpPerSec: number; udpPerSec: number;
        failures: Record<string, number>; timeouts: number; resets: number; httpP99Ms: number; udpP99Ms: number }[];
      verdicts: { rssChangePct: number; text: string };
    };
    assert.equal(doc.samples.length, 3, '6 s of soak, a line every 2 s');
    doc.samples.forEach((s, i) => {
      assert.equal(s.elapsedSec, 2 * (i + 1));
      assert.ok(s.rssBytes > 10 << 20, `RSS read from /proc (${s.rssBytes})`);
      assert.ok(s.httpPerSec > 0 && s.udpPerSec > 0, 'HTTP and UDP both answered');
      assert.ok(Math.abs(s.reqPerSec - (s.httpPerSec + s.udpPerSec)) <= 1, 'req/s is HTTP/s + UDP/s');
      assert.deepEqual(s.failures, {}, 'peer lists only');
      assert.equal(s.timeouts + s.resets, 0);
      assert.ok(s.httpP99Ms > 0 && s.udpP99Ms > 0);
    });
    assert.ok(doc.rate > 0);
    assert.equal(typeof doc.verdicts.rssChangePct, 'number');
    assert.ok(readFileSync(join(dir, files.find((f) => f.endsWith('-short.md'))!), 'utf8').includes('| elapsed | RSS MB |'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
