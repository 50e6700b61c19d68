// 32-bit hashing of infohashes and peer keys for the open-addressing indexes. Murmur3's mixing steps,
// keyed by a random per-table seed kept in shared memory (so a restarted worker hashes the same way):
// a client cannot precompute which infohashes collide in a table it cannot see the seed of.
// Murmur3 is not a PRF; SipHash would resist seed-independent multicollisions too, at ~5x the cost in JS.

export function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Little-endian 32-bit word of `b` at `o` (any alignment). */
export function wordAt(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

/** Hash of `len` bytes (a multiple of 4) of `b` from `o`. */
export function hashWords(b: Uint8Array, o: number, len: number, seed: number): number {
  let h = seed;
  for (let i = 0; i < len; i += 4) h = mixWord(h, wordAt(b, o + i));
  return finalize(h, len);
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}
