// HalfSipHash-2-4 with a 64-bit tag (Aumasson & Bernstein; the reference is veorq/SipHash's
// halfsiphash.c). It is SipHash shrunk to 32-bit words, so JavaScript runs it on native int32 ops:
// no BigInt, no 64-bit emulation, no allocation. Used as the per-packet MAC of UDP connection IDs
// (see connection-id.ts for why this and not node:crypto). Checked against the reference vectors in
// test/udp-connection-id.test.ts.

/**
 * HalfSipHash-2-4-64 of `msg[start, start + len)` under the 64-bit key (k0, k1) given as two
 * little-endian 32-bit words. Writes the tag as two words into `out[0]` (tag bytes 0..3, LE) and
 * `out[1]` (tag bytes 4..7, LE). The caller keeps the range inside `msg`.
 */
export function halfSipHash64(
  k0: number,
  k1: number,
  msg: Uint8Array,
  start: number,
  len: number,
  out: Uint32Array,
): void {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = (0x6c796765 ^ k0) | 0;
  let v3 = (0x74656462 ^ k1) | 0;
  v1 ^= 0xee; // 64-bit output variant

  const whole = start + (len & ~3);
  let i = start;
  for (; i < whole; i += 4) {
    const m = msg[i]! | (msg[i + 1]! << 8) | (msg[i + 2]! << 16) | (msg[i + 3]! << 24);
    v3 ^= m;
    // two compression rounds (the "2" of 2-4), SIPROUND unrolled
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
  }

  // last block: the 0..3 trailing bytes plus the message length in the top byte
  let b = (len & 0xff) << 24;
  const left = len & 3;
  if (left >= 3) b |= msg[i + 2]! << 16;
  if (left >= 2) b |= msg[i + 1]! << 8;
  if (left >= 1) b |= msg[i]!;
  v3 ^= b;
  for (let r = 0; r < 2; r++) {
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
  }
  v0 ^= b;

  // finalization: four rounds per output word
  v2 ^= 0xee;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
  }
  out[0] = v1 ^ v3;
  v1 ^= 0xdd;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
  }
  out[1] = v1 ^ v3;
}
