// Textual IP addresses to bytes and back. Peers are stored as raw bytes (4 or 16); an IPv4-mapped IPv6
// address (::ffff:a.b.c.d, what a dual-stack socket reports for IPv4 clients) is treated as IPv4.
import { isIPv4, isIPv6 } from 'node:net';

export const enum Family {
  None = 0,
  V4 = 4,
  V6 = 6,
}

function parseV4(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || part > 3) return false;
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** True when bytes [offset, offset+12) are the IPv4-mapped prefix ::ffff:0:0/96. */
export function isV4Mapped(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false;
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
}

/**
 * Parses an IPv4 or IPv6 address text into `out` (16 bytes at least). Returns Family.V4 with the 4 bytes
 * at out[0..4), Family.V6 with 16 bytes, or Family.None when the text is not an address.
 */
export function parseIP(text: string, out: Uint8Array): Family {
  if (isIPv4(text)) return parseV4(text, 0, text.length, out, 0) ? Family.V4 : Family.None;
  if (!isIPv6(text) || text.includes('%')) return Family.None;
  const groups = new Uint16Array(8);
  let head = 0;
  let tailStart = -1;
  const tail: number[] = [];
  const double = text.indexOf('::');
  const parts = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = double >= 0 ? parts(text.slice(0, double)) : parts(text);
  const right = double >= 0 ? parts(text.slice(double + 2)) : [];
  const v4bytes = new Uint8Array(4);
  const take = (list: string[], sink: (v: number) => void): boolean => {
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.includes('.')) {
        if (i !== list.length - 1 || !parseV4(p, 0, p.length, v4bytes, 0)) return false;
        sink((v4bytes[0]! << 8) | v4bytes[1]!);
        sink((v4bytes[2]! << 8) | v4bytes[3]!);
      } else {
        sink(parseInt(p, 16));
      }
    }
    return true;
  };
  if (!take(left, (v) => { groups[head++] = v; })) return Family.None;
  if (!take(right, (v) => { tail.push(v); })) return Family.None;
  tailStart = 8 - tail.length;
  for (let i = 0; i < tail.length; i++) groups[tailStart + i] = tail[i]!;
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >>> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  if (isV4Mapped(out, 0)) {
    out.copyWithin(0, 12, 16);
    return Family.V4;
  }
  return Family.V6;
}

/** Dotted quad of bytes[offset..offset+4). */
export function formatIPv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text (lowercase, longest zero run compressed) of bytes[offset..offset+16). */
export function formatIPv6(bytes: Uint8Array, offset: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return g.map((v) => v.toString(16)).join(':');
  const before = g.slice(0, bestStart).map((v) => v.toString(16)).join(':');
  const after = g.slice(bestStart + bestLen).map((v) => v.toString(16)).join(':');
  return `${before}::${after}`;
}
