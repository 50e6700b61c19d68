// The command line as deployments use it: `node dist/main.js -config=/config.json -v=5`. Spawns the
// built entry point (npm test builds dist/ first): help, flag errors (exit 2), config errors (exit 1
// with one line naming key and value), unknown-key warnings, start-up and clean exit on SIGTERM/SIGINT.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  assertBuilt, freeListenAddrs, killAll, run, runToExit, stopCleanly, tempDir, waitUntilServing,
} from '../helpers/process.js';
import { THREAD_LAYOUTS, announce, announceParams, announceUrl, infoHash, peerId } from '../helpers/tracker.js';

function stderrLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

for (const { ioThreads, workers, label } of THREAD_LAYOUTS.filter((l) => !l.cluster)) {
  describe(`cli: dist/main.js (${label})`, () => {
    let tmp: ReturnType<typeof tempDir>;
    before(() => {
      assertBuilt();
      tmp = tempDir();
    });
    after(() => {
      killAll();
      tmp.cleanup();
    });

    let fileCount = 0;
    const writeConfig = (content: string | Record<string, unknown>): string =>
      tmp.write(`config-${++fileCount}.json`, typeof content === 'string' ? content : JSON.stringify({ ioThreads, workers, ...content }, null, 2));

    /** A config on ports that were free a moment ago. */
    const freePortsConfig = async (extra: Record<string, unknown> = {}): Promise<{ path: string; http: number; api: number }> => {
      const ports = await freeListenAddrs();
      return { path: writeConfig({ ...ports.config, ...extra }), http: ports.http, api: ports.api };
    };

    test('--help exits 0 and prints the usage', async () => {
      for (const flag of ['--help', '-help', '-h']) {
        const r = await runToExit([flag]);
        assert.equal(r.code, 0, flag);
        assert.match(r.stdout, /Usage: hayate/);
        assert.match(r.stdout, /-config/);
        assert.match(r.stdout, /-v /);
      }
    });

    test('an unknown flag exits 2 with the usage', async () => {
      const r = await runToExit(['-bogus']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /bogus/);
      assert.match(r.stderr, /Usage: hayate/);
    });

    test('-config without a value, and a bad -v, exit 2', async () => {
      assert.equal((await runToExit(['-config'])).code, 2);
      assert.equal((await runToExit(['-v=9'])).code, 2);
      assert.equal((await runToExit(['-v=x'])).code, 2);
    });

    const BAD_CONFIGS: [string, Record<string, unknown>, string, string][] = [
      ['torrentMapShards: 0', { torrentMapShards: 0 }, 'torrentMapShards', '0'],
      ['an unparsable duration', { announce: '15x' }, 'announce', '15x'],
      ['a negative duration', { minAnnounce: '-5m' }, 'minAnnounce', '-5m'],
      ['an unknown driver', { driver: 'redis' }, 'driver', 'redis'],
      ['port 70000', { httpListenAddr: '127.0.0.1:70000' }, 'httpListenAddr', '70000'],
      ['a negative count', { defaultNumWant: -5 }, 'defaultNumWant', '-5'],
      ['a string where a boolean goes', { createOnAnnounce: 'yes' }, 'createOnAnnounce', 'yes'],
    ];
    for (const [name, content, key, value] of BAD_CONFIGS) {
      test(`config with ${name} → exit 1, one stderr line naming ${key} and ${value}`, async () => {
        const r = await runToExit([`-config=${writeConfig(content)}`]);
        assert.equal(r.code, 1, r.stderr);
        const lines = stderrLines(r.stderr);
        assert.equal(lines.length, 1, `stderr: ${r.stderr}`);
        assert.ok(lines[0]!.includes(key), lines[0]);
        assert.ok(lines[0]!.includes(value), lines[0]);
      });
    }

    test('unparsable JSON → exit 1, one stderr line naming the file', async () => {
      const path = writeConfig('{ "announce": "30m",\n  "minAnnounce": }');
      const r = await runToExit(['--config', path]);
      assert.equal(r.code, 1);
      const lines = stderrLines(r.stderr);
      assert.equal(lines.length, 1, `stderr: ${r.stderr}`);
      assert.ok(lines[0]!.includes(path), lines[0]);
      assert.match(lines[0]!, /JSON/);
    });

    test('a missing config file → exit 1 naming the path', async () => {
      const path = join(tmp.dir, 'does-not-exist.json');
      const r = await runToExit([`-config=${path}`]);
      assert.equal(r.code, 1);
      assert.equal(stderrLines(r.stderr).length, 1, r.stderr);
      assert.ok(r.stderr.includes(path));
    });

    /** Starts hayate, waits for /check, optionally announces, signals it, expects exit 0 within 5 s. */
    const startAndStop = async (args: string[], ports: { http: number; api: number }, signal: NodeJS.Signals): Promise<string> => {
      const r = run(args);
      try {
        await waitUntilServing(r, ports.api);
        const a = await announce(announceUrl(`http://127.0.0.1:${ports.http}`, announceParams(infoHash('cli'), peerId('cli'), { left: 0 })));
        assert.equal(a.d['failure reason'], undefined);
        assert.equal(a.d.complete, 1);
        await stopCleanly(r, signal);
        return r.stderr();
      } finally {
        if (r.alive()) r.child.kill('SIGKILL');
      }
    };

    test('starts with -config=PATH -v=2, answers /check and announces, exits 0 on SIGTERM', async () => {
      const c = await freePortsConfig();
      await startAndStop([`-config=${c.path}`, '-v=2'], c, 'SIGTERM');
    });

    test('starts with --config PATH -logtostderr, exits 0 on SIGINT', async () => {
      const c = await freePortsConfig();
      await startAndStop(['--config', c.path, '-logtostderr'], c, 'SIGINT');
    });

    test('an unknown key (announceInterval) starts anyway and warns: did you mean "announce"', async () => {
      const c = await freePortsConfig({ announceInterval: '30m' });
      const stderr = await startAndStop([`-config=${c.path}`], c, 'SIGTERM');
      assert.ok(stderr.includes('did you mean "announce"'), stderr);
      assert.ok(stderr.includes('announceInterval'), stderr);
    });

    test('keys are matched case-insensitively (AnnounCE → interval)', async () => {
      const c = await freePortsConfig({ AnnounCE: '10m' });
      const r = run([`-config=${c.path}`]);
      try {
        await waitUntilServing(r, c.api);
        const a = await announce(announceUrl(`http://127.0.0.1:${c.http}`, announceParams(infoHash('cli-ci'), peerId('cli-ci'), { left: 0 })));
        assert.equal(a.d.interval, 600);
        assert.equal(r.stderr().includes('unknown key'), false, r.stderr());
        await stopCleanly(r);
      } finally {
        if (r.alive()) r.child.kill('SIGKILL');
      }
    });
  });
}
