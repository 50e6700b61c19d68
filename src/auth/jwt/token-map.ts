// A bounded map keyed by token strings, built so a lookup never hashes the whole token.
//
// Why not Map<string, V>: every announce brings a fresh string (the query decoder makes a new one per
// request), and V8 hashes a fresh string over all its characters before Map.get can look it up:
// ~1.2 µs for a Quay-sized (~650 char) token on the dev VM, more than the rest of the announce path.
// Here the bucket is chosen by a seeded hash of the last 32 characters (the RSA signature's tail:
// random for real tokens) and the token is then compared in full with `===` (a memcmp), so a hit costs
// ~30 chars of hashing, one integer-keyed Map lookup and one compare.
//
// Attacker-chosen tokens can share a tail on purpose; chains are therefore capped (the oldest token in
// a full chain is dropped), so a lookup never compares more than `maxChain` tokens. Capacity is bounded
// with FIFO eviction through a ring of insertion slots (no per-hit bookkeeping).
import { randomBytes } from 'node:crypto';

interface Slot<V> {
  readonly token: string;
  readonly key: number;
  value: V;
  next: Slot<V> | null;
  live: boolean;
}

const SEED = randomBytes(4).readUInt32LE(0);
const TAIL = 32;

/**
 * Seeded multiplicative hash of the length and the last TAIL chars, four chars per step (a char above
 * 0xff just mixes less well); a Smi (30 bits) so Map keys stay unboxed.
 */
export function tokenHash(token: string): number {
  const len = token.length;
  let h = (SEED ^ len) >>> 0;
  let i = len > TAIL ? len - TAIL : 0;
  for (; i + 4 <= len; i += 4) {
    const w = token.charCodeAt(i) | (token.charCodeAt(i + 1) << 8) | (token.charCodeAt(i + 2) << 16) | (token.charCodeAt(i + 3) << 24);
    h = Math.imul(h ^ w, 0x5bd1e995);
    h ^= h >>> 15;
  }
  for (; i < len; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x5bd1e995);
  return (h ^ (h >>> 13)) & 0x3fffffff;
}

export class TokenMap<V> {
  private readonly index = new Map<number, Slot<V>>();
  private readonly ring: Array<Slot<V> | undefined>;
  private pos = 0;
  private count = 0;

  constructor(private readonly capacity: number, private readonly maxChain = 8) {
    if (!(capacity >= 1) || !(maxChain >= 1)) throw new RangeError('TokenMap capacity and maxChain must be >= 1');
    this.ring = new Array<Slot<V> | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  get(token: string): V | undefined {
    for (let s = this.index.get(tokenHash(token)) ?? null; s !== null; s = s.next) {
      if (s.token === token) return s.value;
    }
    return undefined;
  }

  set(token: string, value: V): void {
    const key = tokenHash(token);
    const head = this.index.get(key);
    let len = 0;
    let last: Slot<V> | null = null;
    for (let s = head ?? null; s !== null; s = s.next) {
      if (s.token === token) {
        s.value = value;
        return;
      }
      len++;
      last = s;
    }
    if (len >= this.maxChain && last !== null) this.unlink(last); // new slots go first: last is oldest
    const old = this.ring[this.pos];
    if (old !== undefined && old.live) this.unlink(old);
    const slot: Slot<V> = { token, key, value, next: this.index.get(key) ?? null, live: true };
    this.index.set(key, slot);
    this.ring[this.pos] = slot;
    this.pos = this.pos + 1 === this.capacity ? 0 : this.pos + 1;
    this.count++;
  }

  delete(token: string): boolean {
    for (let s = this.index.get(tokenHash(token)) ?? null; s !== null; s = s.next) {
      if (s.token === token) {
        this.unlink(s);
        return true;
      }
    }
    return false;
  }

  clear(): void {
    this.index.clear();
    this.ring.fill(undefined);
    this.pos = 0;
    this.count = 0;
  }

  private unlink(slot: Slot<V>): void {
    const head = this.index.get(slot.key);
    if (head === slot) {
      if (slot.next === null) this.index.delete(slot.key);
      else this.index.set(slot.key, slot.next);
    } else {
      let prev = head ?? null;
      while (prev !== null && prev.next !== slot) prev = prev.next;
      if (prev === null) return; // not linked (already removed)
      prev.next = slot.next;
    }
    slot.live = false;
    slot.next = null;
    this.count--;
  }
}
