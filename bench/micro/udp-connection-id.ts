// Micro-benchmark: the cost of making and checking a UDP connection ID, for the MAC choices that
// src/protocol/udp/connection-id.ts weighed. Run: npm run bench:micro -- udp-connection-id, or compiled:
//   node build/bench/micro/udp-connection-id.js
// Prints ns/op for verify (valid ID) and write, IPv4 and IPv6 sources.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConnectionIds } from '../../src/protocol/udp/connection-id.js';
import { halfSipHash64 } from '../../src/protocol/udp/halfsiphash.js';

const ITERATIONS = 1_000_000;
const ROUNDS = 5;

interface Variant {
  name: string;
  write(out: Buffer, addr: Uint8Array, nowMs: number): void;
  verify(pkt: Buffer, addr: Uint8Array, nowMs: number): boolean;
}

// --- A: node:crypto HMAC-SHA256 per packet over (u32 seconds window, ip), chihaya style ------------
function hmacVariant(): Variant {
  const key = randomBytes(32);
  const hdr = Buffer.alloc(4);
  return {
    name: 'createHmac sha256 per packet',
    write(out, addr, nowMs) {
      hdr.writeUInt32BE(Math.floor(nowMs / 60_000) >>> 0, 0);
      hdr.copy(out, 0);
      createHmac('sha256', key).update(hdr).update(addr).digest().copy(out, 2, 0, 6);
      out[0] = hdr[2]!;
      out[1] = hdr[3]!;
    },
    verify(pkt, addr, nowMs) {
      const cur = Math.floor(nowMs / 60_000);
      const age = (cur - pkt.readUInt16BE(0)) & 0xffff;
      if (age > 1) return false;
      hdr.writeUInt32BE((cur - age) >>> 0, 0);
      const d = createHmac('sha256', key).update(hdr).update(addr).digest();
      return timingSafeEqual(d.subarray(0, 6), pkt.subarray(2, 8));
    },
  };
}

// Variants B and C share the ID layout: a 16-bit window number, then 48 bits of the MAC `mac` leaves
// in `tag` for (window, ip); they differ only in the MAC.
function windowedTagVariant(name: string, mac: (window: number, addr: Uint8Array) => void, tag: Uint32Array): Variant {
  return {
    name,
    write(out, addr, nowMs) {
      const w = Math.floor(nowMs / 60_000);
      mac(w, addr);
      out[0] = w >>> 8; out[1] = w;
      out.writeUInt32LE(tag[0]!, 2);
      out.writeUInt16LE(tag[1]! & 0xffff, 6);
    },
    verify(pkt, addr, nowMs) {
      const cur = Math.floor(nowMs / 60_000);
      const age = (cur - ((pkt[0]! << 8) | pkt[1]!)) & 0xffff;
      if (age > 1) return false;
      mac(cur - age, addr);
      const g0 = pkt[2]! | (pkt[3]! << 8) | (pkt[4]! << 16) | (pkt[5]! << 24);
      const g1 = pkt[6]! | (pkt[7]! << 8);
      return ((g0 ^ tag[0]!) | ((g1 ^ tag[1]!) & 0xffff)) === 0;
    },
  };
}

// --- B: HalfSipHash-2-4-64 with one static 64-bit key over (window, ip) ------------------------------
function halfSipStaticVariant(): Variant {
  const k = randomBytes(8);
  const k0 = k.readInt32LE(0);
  const k1 = k.readInt32LE(4);
  const msg = new Uint8Array(20);
  const tag = new Uint32Array(2);
  function mac(window: number, addr: Uint8Array): void {
    msg[0] = window >>> 24; msg[1] = window >>> 16; msg[2] = window >>> 8; msg[3] = window;
    for (let i = 0; i < addr.length; i++) msg[4 + i] = addr[i]!;
    halfSipHash64(k0, k1, msg, 0, 4 + addr.length, tag);
  }
  return windowedTagVariant('HalfSipHash-2-4-64, static key', mac, tag);
}

// --- C: SipHash-2-4-64 (128-bit key) with 64-bit words emulated as (hi, lo) int32 pairs ------------
// Checked against the reference vector of the SipHash paper before timing (see main()).
function sipHash24(key: Uint8Array, msg: Uint8Array, len: number, out: Uint32Array): void {
  const k0l = key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24);
  const k0h = key[4]! | (key[5]! << 8) | (key[6]! << 16) | (key[7]! << 24);
  const k1l = key[8]! | (key[9]! << 8) | (key[10]! << 16) | (key[11]! << 24);
  const k1h = key[12]! | (key[13]! << 8) | (key[14]! << 16) | (key[15]! << 24);
  let v0h = 0x736f6d65 ^ k0h, v0l = 0x70736575 ^ k0l;
  let v1h = 0x646f7261 ^ k1h, v1l = 0x6e646f6d ^ k1l;
  let v2h = 0x6c796765 ^ k0h, v2l = 0x6e657261 ^ k0l;
  let v3h = 0x74656462 ^ k1h, v3l = 0x79746573 ^ k1l;
  let t = 0, lo = 0;
  const whole = len & ~7;
  // blocks: the message words, then the length/tail word, then 4 finalization rounds
  const blocks = (whole >> 3) + 1;
  for (let blk = 0; blk <= blocks; blk++) {
    let ml = 0, mh = 0, rounds = 2;
    if (blk < blocks - 1) {
      const i = blk * 8;
      ml = msg[i]! | (msg[i + 1]! << 8) | (msg[i + 2]! << 16) | (msg[i + 3]! << 24);
      mh = msg[i + 4]! | (msg[i + 5]! << 8) | (msg[i + 6]! << 16) | (msg[i + 7]! << 24);
    } else if (blk === blocks - 1) {
      mh = (len & 0xff) << 24;
      for (let j = len - 1; j >= whole; j--) {
        const sh = (j - whole) * 8;
        if (sh < 32) ml |= msg[j]! << sh;
        else mh |= msg[j]! << (sh - 32);
      }
    } else {
      v2l ^= 0xff;
      rounds = 4;
    }
    v3l ^= ml; v3h ^= mh;
    for (let r = 0; r < rounds; r++) {
      // v0 += v1; v1 = rotl(v1,13); v1 ^= v0; v0 = rotl(v0,32)
      lo = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (lo < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo | 0;
      t = (v1h << 13) | (v1l >>> 19); v1l = (v1l << 13) | (v1h >>> 19); v1h = t;
      v1h ^= v0h; v1l ^= v0l; t = v0h; v0h = v0l; v0l = t;
      // v2 += v3; v3 = rotl(v3,16); v3 ^= v2
      lo = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (lo < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo | 0;
      t = (v3h << 16) | (v3l >>> 16); v3l = (v3l << 16) | (v3h >>> 16); v3h = t;
      v3h ^= v2h; v3l ^= v2l;
      // v0 += v3; v3 = rotl(v3,21); v3 ^= v0
      lo = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (lo < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo | 0;
      t = (v3h << 21) | (v3l >>> 11); v3l = (v3l << 21) | (v3h >>> 11); v3h = t;
      v3h ^= v0h; v3l ^= v0l;
      // v2 += v1; v1 = rotl(v1,17); v1 ^= v2; v2 = rotl(v2,32)
      lo = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (lo < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo | 0;
      t = (v1h << 17) | (v1l >>> 15); v1l = (v1l << 17) | (v1h >>> 15); v1h = t;
      v1h ^= v2h; v1l ^= v2l; t = v2h; v2h = v2l; v2l = t;
    }
    v0l ^= ml; v0h ^= mh;
  }
  out[0] = v0l ^ v1l ^ v2l ^ v3l;
  out[1] = v0h ^ v1h ^ v2h ^ v3h;
}

function sipHashVariant(): Variant {
  const key = randomBytes(16);
  const msg = new Uint8Array(24);
  const tag = new Uint32Array(2);
  function mac(window: number, addr: Uint8Array): void {
    msg[0] = window >>> 24; msg[1] = window >>> 16; msg[2] = window >>> 8; msg[3] = window;
    for (let i = 0; i < addr.length; i++) msg[4 + i] = addr[i]!;
    sipHash24(key, msg, 4 + addr.length, tag);
  }
  return windowedTagVariant('SipHash-2-4-64 (emulated 64-bit)', mac, tag);
}

// --- D: what connection-id.ts ships --------------------------------------------------------------
function shippedVariant(): Variant {
  const ids = new ConnectionIds();
  return {
    name: 'ConnectionIds (HalfSipHash, per-window key)',
    write: (out, addr, nowMs) => ids.write(out, 0, addr, nowMs),
    verify: (pkt, addr, nowMs) => ids.verify(pkt, 0, addr, nowMs),
  };
}

function checkSipHash(): void {
  // SipHash paper, appendix A: key 00..0f, message 00..0e -> a129ca6149be45e5
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const msg = Uint8Array.from({ length: 15 }, (_, i) => i);
  const out = new Uint32Array(2);
  sipHash24(key, msg, 15, out);
  if (out[1] !== 0xa129ca61 || out[0] !== 0x49be45e5) throw new Error('SipHash-2-4 emulation is wrong');
}

function time(label: string, fn: () => number): void {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    const ns = Number(process.hrtime.bigint() - t0) / ITERATIONS;
    if (ns < best) best = ns;
  }
  console.log(`${label.padEnd(62)} ${best.toFixed(1).padStart(8)} ns/op  (sink ${sink})`);
}

function main(): void {
  checkSipHash();
  const v4 = Uint8Array.of(203, 0, 113, 7);
  const v6 = Uint8Array.from(Buffer.from('20010db8000000000000000000000001', 'hex'));
  const now = Date.now();
  console.log(`node ${process.version}, ${ITERATIONS} ops, best of ${ROUNDS}`);
  for (const v of [hmacVariant(), sipHashVariant(), halfSipStaticVariant(), shippedVariant()]) {
    for (const [fam, addr] of [['v4', v4], ['v6', v6]] as const) {
      const id = Buffer.alloc(8);
      v.write(id, addr, now);
      if (!v.verify(id, addr, now + 1_000)) throw new Error(`${v.name}: own id rejected`);
      time(`${v.name} verify ${fam}`, () => {
        let ok = 0;
        for (let i = 0; i < ITERATIONS; i++) if (v.verify(id, addr, now)) ok++;
        return ok;
      });
      time(`${v.name} write  ${fam}`, () => {
        for (let i = 0; i < ITERATIONS; i++) v.write(id, addr, now);
        return id[7]!;
      });
    }
  }
}

main();
