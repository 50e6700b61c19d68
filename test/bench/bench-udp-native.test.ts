// The native UDP generator (bench/load/native/udp-load.c via bench/load/udp-native.ts): compiles, loads the
// trivial responder for connect and announce, counts like the node:dgram generator (error replies,
// handshakes, timeouts, once-only lists), sends the very request bodies the node generator sends, and
// speaks IPv6. Seconds-long loads on loopback only. Skipped when no C compiler is found.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { startResponder } from '../../bench/env/responders.js';
import { runUdpLoad, type UdpLoad } from '../../bench/load/generators.js';
import { findCompiler } from '../../bench/load/native-build.js';
import type { LoadResult } from '../../bench/load/types.js';
import { nativeUdpBuild, runNativeUdp } from '../../bench/load/udp-native.js';

const compiler = findCompiler();
const build = compiler === null ? null : nativeUdpBuild();
const skip = compiler === null ? 'no C compiler (cc or gcc) found: the native UDP generator cannot be built' : false;

function binary(): string {
  assert.ok(build !== null && build.ok, `native generator did not build: ${build !== null && !build.ok ? build.reason : ''}`);
  return build.binary;
}

function baseLoad(port: number, over: Partial<UdpLoad> = {}): UdpLoad {
  return {
    host: '127.0.0.1', port, threads: 1, sockets: 2, window: 16, durationSec: 1.5, timeoutMs: 1000, action: 'announce',
    fill: { salt: 'native-test', torrents: 50, peersPerTorrent: 10, numwant: 50 }, count: 500, once: false, hashesPerScrape: 1,
    ...over,
  };
}

function assertClean(r: LoadResult, label: string): void {
  assert.ok(r.requests > 0, `${label}: requests ${r.requests}`);
  assert.equal(r.timeouts, 0, `${label}: timeouts`);
  assert.equal(r.errors, 0, `${label}: socket errors`);
  assert.equal(r.failures, 0, `${label}: failures`);
  assert.ok(!r.notes.some((n) => /unexpected action/.test(n)), `${label}: bad replies: ${r.notes.join('; ')}`);
  assert.equal(r.histogram.totalCount, r.requests, `${label}: one latency per answer`);
  const p50 = r.histogram.getValueAtPercentile(50);
  assert.ok(p50 >= 1 && p50 < 1_000_000, `${label}: p50 ${p50} us`);
  assert.ok(r.histogram.maxValue < 1_100_000, `${label}: max ${r.histogram.maxValue} us (timeout 1 s)`);
  assert.ok(r.elapsedSec > 0 && r.elapsedSec < 3, `${label}: elapsed ${r.elapsedSec}`);
  assert.ok(r.reqPerSec > 0);
}

/** A loopback BEP 15 responder in this process, answering with `reply` (null: drop). */
async function responder(type: 'udp4' | 'udp6', reply: (msg: Buffer) => Buffer | null): Promise<{ port: number; close: () => Promise<void> }> {
  const sock = dgram.createSocket(type);
  sock.on('message', (msg, rinfo) => {
    const out = reply(msg);
    if (out !== null) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => resolve());
  });
  return { port: sock.address().port, close: () => new Promise((resolve) => sock.close(() => resolve())) };
}

function connectReply(msg: Buffer): Buffer {
  const out = Buffer.alloc(16);
  msg.copy(out, 4, 12, 16);
  out.write('nativeID', 8, 'latin1');
  return out;
}

function errorReply(msg: Buffer, text: string): Buffer {
  const out = Buffer.concat([Buffer.alloc(8), Buffer.from(text, 'latin1')]);
  out.writeUInt32BE(3, 0);
  msg.copy(out, 4, 12, 16);
  return out;
}

test('native UDP generator: connect and announce against the trivial responder', { skip, timeout: 60_000 }, async () => {
  const resp = await startResponder('udp', null);
  try {
    const connect = await runNativeUdp(binary(), baseLoad(resp.port, { action: 'connect' }), null);
    assertClean(connect, 'connect');
    assert.match(connect.generator, /^native udp-load \(sendmmsg\/recvmmsg, 1 thread x 2 sockets x 16 in flight\)$/);
    assert.ok(!connect.notes.some((n) => /handshakes/.test(n)), 'connects are the load, not handshakes');

    const announce = await runNativeUdp(binary(), baseLoad(resp.port, { threads: 2 }), null);
    assertClean(announce, 'announce');
    const hs = /^(\d+) connect handshakes \(not counted\)$/.exec(announce.notes.find((n) => /handshakes/.test(n)) ?? '');
    assert.ok(hs !== null && Number(hs[1]) >= 4, `one handshake per socket at least: ${announce.notes.join('; ')}`);
  } finally {
    await resp.child.stop();
  }
});

test('native UDP generator: once-only list stops when every request was answered', { skip, timeout: 60_000 }, async () => {
  const resp = await startResponder('udp', null);
  try {
    const r = await runNativeUdp(binary(), baseLoad(resp.port, { count: 300, once: true, durationSec: 10, threads: 2 }), null);
    assert.equal(r.requests, 300);
    assert.equal(r.timeouts, 0);
    assert.ok(r.elapsedSec < 5, `stopped early: ${r.elapsedSec} s`);
  } finally {
    await resp.child.stop();
  }
});

test('native UDP generator sends the same announce bodies as the node generator', { skip, timeout: 60_000 }, async () => {
  const seen = { native: new Map<string, number>(), node: new Map<string, number>() };
  let into = seen.native;
  const resp = await responder('udp4', (msg) => {
    if (msg.readUInt32BE(8) === 0) return connectReply(msg);
    const body = Buffer.concat([msg.subarray(8, 12), msg.subarray(16)]).toString('hex'); // no connection ID, no tid
    into.set(body, (into.get(body) ?? 0) + 1);
    const out = Buffer.alloc(20);
    out.writeUInt32BE(1, 0);
    msg.copy(out, 4, 12, 16);
    return out;
  });
  try {
    const load = baseLoad(resp.port, { count: 200, once: true, durationSec: 10 });
    const a = await runNativeUdp(binary(), load, null);
    into = seen.node;
    const b = await runUdpLoad({ udp: 'node' }, load, null);
    assert.equal(a.requests, 200);
    assert.equal(b.requests, 200);
    assert.equal(seen.native.size, 200, 'distinct bodies');
    assert.deepEqual([...seen.native.entries()].sort(), [...seen.node.entries()].sort());
  } finally {
    await resp.close();
  }
});

test('native UDP generator counts error replies and shakes hands again, as the node generator does', { skip, timeout: 60_000 }, async () => {
  const resp = await responder('udp4', (msg) => (msg.readUInt32BE(8) === 0 ? connectReply(msg) : errorReply(msg, 'boom \u00e9')));
  try {
    const load = baseLoad(resp.port, { durationSec: 1, window: 4 });
    for (const r of [await runNativeUdp(binary(), load, null), await runUdpLoad({ udp: 'node' }, load, null)]) {
      assert.ok(r.requests > 0, `${r.generator}: requests`);
      assert.equal(r.failures, r.requests, `${r.generator}: every answer a failure`);
      assert.ok(r.notes.some((n) => /^error reply x\d+: boom \u00e9$/.test(n)), `${r.generator}: ${r.notes.join('; ')}`);
      const hs = Number(/^(\d+) connect handshakes/.exec(r.notes.find((n) => /handshakes/.test(n)) ?? '')?.[1] ?? 0);
      assert.ok(hs > 2, `${r.generator}: handshakes again after error replies (${hs})`);
    }
  } finally {
    await resp.close();
  }
});

test('native UDP generator: timeouts and failed handshakes when nothing answers', { skip, timeout: 60_000 }, async () => {
  const resp = await responder('udp4', () => null);
  try {
    const connect = await runNativeUdp(binary(), baseLoad(resp.port, { action: 'connect', durationSec: 0.6, timeoutMs: 100, window: 2 }), null);
    assert.equal(connect.requests, 0);
    assert.ok(connect.timeouts >= 4, `connect timeouts ${connect.timeouts}`);
    const announce = await runNativeUdp(binary(), baseLoad(resp.port, { durationSec: 0.6, timeoutMs: 100 }), null);
    assert.equal(announce.requests, 0);
    assert.equal(announce.timeouts, 0, 'handshakes that time out are not request timeouts');
    assert.ok(announce.notes.some((n) => /connect handshakes failed or timed out/.test(n)), announce.notes.join('; '));
  } finally {
    await resp.close();
  }
});

test('native UDP generator speaks IPv6', { skip, timeout: 60_000 }, async (t) => {
  let resp: Awaited<ReturnType<typeof responder>>;
  try {
    resp = await responder('udp6', (msg) => (msg.readUInt32BE(8) === 0 ? connectReply(msg) : null));
  } catch (err) {
    t.skip(`no IPv6 loopback here: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  try {
    const r = await runNativeUdp(binary(), baseLoad(resp.port, { host: '::1', action: 'connect', durationSec: 0.5 }), null);
    assertClean(r, 'connect over ::1');
  } finally {
    await resp.close();
  }
});
