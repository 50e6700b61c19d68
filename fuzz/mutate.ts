// Byte-level mutations shared by both fuzzers: bit flips, interesting values, truncation, extension,
// span deletion/duplication/insertion and random resizing. Each returns a new buffer (inputs are kept
// for the report) and a short name, so a report says which mutations produced an offending input.
import type { Prng } from './prng.js';

export const INTERESTING_U8 = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xfe, 0xff, 0x25, 0x3f, 0x26, 0x3d] as const;
export const INTERESTING_U32 = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff] as const;

export interface Mutation {
  name: string;
  apply: (rng: Prng, b: Buffer, maxLen: number) => Buffer;
}

function flipBits(rng: Prng, b: Buffer): Buffer {
  if (b.length === 0) return b;
  const out = Buffer.from(b);
  const n = rng.int(1, 8);
  for (let i = 0; i < n; i++) {
    const bit = rng.below(out.length * 8);
    out[bit >> 3]! ^= 1 << (bit & 7);
  }
  return out;
}

function interestingByte(rng: Prng, b: Buffer): Buffer {
  if (b.length === 0) return b;
  const out = Buffer.from(b);
  out[rng.below(out.length)] = rng.pick(INTERESTING_U8);
  return out;
}

function interestingWord(rng: Prng, b: Buffer): Buffer {
  if (b.length < 4) return b;
  const out = Buffer.from(b);
  // aligned on 4 most of the time: BEP 15 fields are
  const at = rng.chance(0.7) ? rng.below(out.length >> 2) * 4 : rng.below(out.length - 3);
  out.writeUInt32BE(rng.pick(INTERESTING_U32), at);
  return out;
}

function randomByte(rng: Prng, b: Buffer): Buffer {
  if (b.length === 0) return b;
  const out = Buffer.from(b);
  out[rng.below(out.length)] = rng.below(256);
  return out;
}

function truncate(rng: Prng, b: Buffer): Buffer {
  return b.subarray(0, rng.below(b.length + 1));
}

function truncateByOne(_rng: Prng, b: Buffer): Buffer {
  return b.length === 0 ? b : b.subarray(0, b.length - 1);
}

function extend(rng: Prng, b: Buffer, maxLen: number): Buffer {
  const room = maxLen - b.length;
  if (room <= 0) return b;
  return Buffer.concat([b, rng.bytes(rng.int(1, Math.min(room, rng.chance(0.8) ? 32 : room)))]);
}

function deleteSpan(rng: Prng, b: Buffer): Buffer {
  if (b.length < 2) return b;
  const at = rng.below(b.length);
  const n = rng.int(1, Math.min(b.length - at, 64));
  return Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
}

function duplicateSpan(rng: Prng, b: Buffer, maxLen: number): Buffer {
  if (b.length === 0) return b;
  const at = rng.below(b.length);
  const n = Math.min(rng.int(1, Math.min(b.length - at, 64)), Math.max(0, maxLen - b.length));
  if (n === 0) return b;
  return Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
}

function insertRandom(rng: Prng, b: Buffer, maxLen: number): Buffer {
  const n = Math.min(rng.int(1, 16), maxLen - b.length);
  if (n <= 0) return b;
  const at = rng.below(b.length + 1);
  return Buffer.concat([b.subarray(0, at), rng.bytes(n), b.subarray(at)]);
}

/** A random length in 0..maxLen: cut, or padded with random bytes. */
function resize(rng: Prng, b: Buffer, maxLen: number): Buffer {
  const n = rng.below(maxLen + 1);
  if (n <= b.length) return b.subarray(0, n);
  return Buffer.concat([b, rng.bytes(n - b.length)]);
}

export const MUTATIONS: readonly Mutation[] = [
  { name: 'flip', apply: flipBits },
  { name: 'byte', apply: interestingByte },
  { name: 'word', apply: interestingWord },
  { name: 'rand', apply: randomByte },
  { name: 'trunc', apply: truncate },
  { name: 'trunc1', apply: truncateByOne },
  { name: 'extend', apply: extend },
  { name: 'del', apply: deleteSpan },
  { name: 'dup', apply: duplicateSpan },
  { name: 'ins', apply: insertRandom },
  { name: 'resize', apply: resize },
];

/** Applies 1..maxCount random mutations; returns the result and the names applied. */
export function mutate(rng: Prng, b: Buffer, maxLen: number, maxCount = 4): { bytes: Buffer; names: string[] } {
  const names: string[] = [];
  let out = b;
  const n = rng.int(1, maxCount);
  for (let i = 0; i < n; i++) {
    const m = rng.pick(MUTATIONS);
    out = m.apply(rng, out, maxLen);
    names.push(m.name);
  }
  return { bytes: out, names };
}
