// BEP 15 connection IDs: proof that the sender of an announce/scrape received our connect reply at
// its source address, so a spoofed source cannot make us send peers (or anything larger than the
// request) to a victim. Stateless: the ID is a MAC of (time window, source IP) under a per-process
// secret, in the manner of chihaya (HMAC-SHA256 of unix time + IP) and aquatic (keyed BLAKE3).
// The port is not part of it: BEP 15 ties the ID to the address, and NATs may change source ports.
//
// Layout of the 8 bytes:
//   [0..2)  low 16 bits of the window number w = floor(nowMs / windowMs) (big-endian), so verify
//           knows which window key to use
//   [2..8)  48-bit tag: the first 6 bytes of HalfSipHash-2-4-64(windowKey(w), ip)
// windowKey(w) = first 8 bytes of HMAC-SHA256(secret, "hayate/udp-cid/v1" || u64be(w)), computed once
// per window and cached. Lifetime: BEP 15 says trackers should accept an ID until two minutes after
// sending it, so an ID of window w is accepted in windows w .. w + ceil(lifetimeMs / windowMs); with the
// defaults (60 s, 120 s) that is at least 120 s and less than 180 s after issue. IDs of a future window
// are rejected. The 16 window bits only select the window: the tag is computed under the key of the
// full window number, so an ID from 2^16 windows ago (45 days) fails the MAC instead of aliasing.
//
// Security: forging needs the 48-bit tag (1 in 2.8e14 per guess), and the HalfSipHash key (64-bit)
// changes every window and is derived through HMAC from a 256-bit secret, so even a key recovered by
// brute force is worth one window. The tag is compared without data-dependent branches.
//
// Why not createHmac per packet: measured with bench/micro/udp-connection-id.ts (node 20.20.2,
// AMD EPYC VM, 2 vCPU shared with other jobs, load ~3: absolute figures are noisy, ratios are not).
// ns/op, best of 5 x 1e6 calls, "v4 / v6" = IPv4 / IPv6 source:   verify v4 / v6     write v4 / v6
//   createHmac('sha256') per packet + timingSafeEqual           2500-3500 (both)   2600-3600 (both)
//   SipHash-2-4-64 in JS, 64-bit ops emulated on int32 pairs    74-81 / 108-121    90-100 / 127-130
//   HalfSipHash-2-4-64 in JS, static key over (window, ip)      49-75 / 78-83      62-73 / 95-140
//   HalfSipHash-2-4-64, per-window derived key over ip (ours)   39-45 / 53-54      35-36 / 50-51
// The per-window key also drops the window from the hashed message (4 or 16 bytes instead of 8 or 20).
// A float modulo to pick the key slot cost ~25 ns, hence the linear scan in slotOf().
//
// IPv4-mapped IPv6 sources (::ffff:a.b.c.d) are MAC'd as their 4 IPv4 bytes, so a dual-stack socket
// and an IPv4 socket agree on the same client.

import { createHmac, randomBytes } from 'node:crypto';
import { halfSipHash64 } from './halfsiphash.js';
import { isV4Mapped } from '../source-address.js';

/** Size of a connection ID on the wire. */
export const CONNECTION_ID_BYTES = 8;

const DOMAIN = Buffer.from('hayate/udp-cid/v1', 'latin1');

export class ConnectionIds {
  readonly windowMs: number;
  private readonly secret: Buffer;
  /** An ID is accepted while (current window - its window) <= maxAge. */
  readonly maxAge: number;
  // cached window keys, one slot per acceptable age (windows w - maxAge .. w)
  private readonly slotWindow: Float64Array;
  private readonly slotKey: Int32Array; // slot s: [2s] = k0, [2s + 1] = k1
  private readonly tag = new Uint32Array(2);
  private readonly deriveInput = Buffer.alloc(DOMAIN.length + 8);

  /**
   * @param key the secret (>= 16 bytes). Default: 32 random bytes, fine for one process. When several
   *   sockets or workers answer the same port, create the key once and pass it to every instance, or
   *   an ID issued by one is rejected by the others.
   * @param windowMs granularity of time in the ID.
   * @param lifetimeMs an ID is accepted for at least this long after issue, and less than
   *   lifetimeMs + windowMs. BEP 15: two minutes.
   */
  constructor(key?: Uint8Array, windowMs = 60_000, lifetimeMs = 120_000) {
    if (key !== undefined && key.length < 16) throw new RangeError('connection id key must be at least 16 bytes');
    if (!(windowMs >= 1000) || !Number.isFinite(windowMs)) throw new RangeError('windowMs must be >= 1000');
    const maxAge = Math.ceil(lifetimeMs / windowMs);
    if (!(maxAge >= 1 && maxAge <= 16)) throw new RangeError('lifetimeMs must be in (0, 16 * windowMs]');
    this.secret = key === undefined ? randomBytes(32) : Buffer.from(key);
    this.windowMs = windowMs;
    this.maxAge = maxAge;
    this.slotWindow = new Float64Array(maxAge + 1).fill(-Infinity);
    this.slotKey = new Int32Array(2 * (maxAge + 1));
    DOMAIN.copy(this.deriveInput, 0);
  }

  /** Writes the 8-byte connection ID for source address `addr` (4 or 16 bytes) at `out[offset]`. */
  write(out: Buffer, offset: number, addr: Uint8Array, nowMs: number): void {
    const window = Math.floor(nowMs / this.windowMs);
    this.mac(window, addr);
    const t0 = this.tag[0]!;
    const t1 = this.tag[1]!;
    out[offset] = (window >>> 8) & 0xff;
    out[offset + 1] = window & 0xff;
    out[offset + 2] = t0 & 0xff;
    out[offset + 3] = (t0 >>> 8) & 0xff;
    out[offset + 4] = (t0 >>> 16) & 0xff;
    out[offset + 5] = t0 >>> 24;
    out[offset + 6] = t1 & 0xff;
    out[offset + 7] = (t1 >>> 8) & 0xff;
  }

  /**
   * True when `pkt[offset, offset + 8)` is an ID this instance (or one sharing its key) issued to
   * `addr` no more than maxAge windows ago. False for older or future windows, other addresses, and
   * when the packet is too short. The tag comparison has no early exit.
   */
  verify(pkt: Buffer, offset: number, addr: Uint8Array, nowMs: number): boolean {
    if (!(offset >= 0 && offset + CONNECTION_ID_BYTES <= pkt.length)) return false;
    const current = Math.floor(nowMs / this.windowMs);
    // The window bits are public (they are not the secret part), so branching on them leaks nothing.
    const age = (current - ((pkt[offset]! << 8) | pkt[offset + 1]!)) & 0xffff;
    if (age > this.maxAge) return false; // expired, or a future window (age wraps to 0xffff...)
    this.mac(current - age, addr);
    const got0 = pkt[offset + 2]! | (pkt[offset + 3]! << 8) | (pkt[offset + 4]! << 16) | (pkt[offset + 5]! << 24);
    const got1 = pkt[offset + 6]! | (pkt[offset + 7]! << 8);
    const diff = (got0 ^ this.tag[0]!) | ((got1 ^ this.tag[1]!) & 0xffff);
    return diff === 0;
  }

  /** tag <- HalfSipHash-2-4-64(windowKey(window), ip bytes). */
  private mac(window: number, addr: Uint8Array): void {
    const slot = this.slotOf(window);
    let start = 0;
    let len = addr.length;
    if (len === 16 && isV4Mapped(addr)) {
      start = 12;
      len = 4;
    }
    halfSipHash64(this.slotKey[2 * slot]!, this.slotKey[2 * slot + 1]!, addr, start, len, this.tag);
  }

  /** The cache slot holding window's key, deriving it into the oldest slot on a miss. */
  private slotOf(window: number): number {
    const sw = this.slotWindow;
    // a scan of maxAge + 1 (3 by default) entries: cheaper than a float modulo
    for (let s = 0; s < sw.length; s++) if (sw[s] === window) return s;
    let oldest = 0;
    for (let s = 1; s < sw.length; s++) if (sw[s]! < sw[oldest]!) oldest = s;
    this.deriveKey(window, oldest);
    return oldest;
  }

  /** Once per window: the only allocation of this class after construction. */
  private deriveKey(window: number, slot: number): void {
    const input = this.deriveInput;
    // window as u64 big-endian; a negative or huge clock still gives a well-defined input
    input.writeUInt32BE(Math.floor(window / 0x1_0000_0000) >>> 0, DOMAIN.length);
    input.writeUInt32BE(window >>> 0, DOMAIN.length + 4);
    const digest = createHmac('sha256', this.secret).update(input).digest();
    this.slotKey[2 * slot] = digest.readInt32LE(0);
    this.slotKey[2 * slot + 1] = digest.readInt32LE(4);
    this.slotWindow[slot] = window;
  }
}
