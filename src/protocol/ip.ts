// Textual IP addresses to bytes and back. Peers are stored as raw bytes (4 or 16); an IPv4-mapped IPv6
// address (::ffff:a.b.c.d, what a dual-stack socket reports for IPv4 clients) is treated as IPv4.
import { SourceAddress } from './source-address.js';

export const enum Family {
  None = 0,
  V4 = 4,
  V6 = 6,
}

const parser = new SourceAddress();

/**
 * Parses an IPv4 or IPv6 address text into `out` (16 bytes at least). Returns Family.V4 with the 4 bytes
 * at out[0..4), Family.V6 with 16 bytes, or Family.None when the text is not an address. An
 * IPv4-mapped IPv6 address is IPv4; an IPv6 zone ("%eth0") is ignored.
 */
export function parseIP(text: string, out: Uint8Array): Family {
  const bytes = parser.parse(text);
  if (bytes === null) return Family.None;
  out.set(bytes);
  return bytes.length === 4 ? Family.V4 : Family.V6;
}

/** The text of bytes[offset..] as family 4 (4 bytes) or 6 (16 bytes). */
export function formatIP(bytes: Uint8Array, offset: number, family: number): string {
  return family === 4 ? formatIPv4(bytes, offset) : formatIPv6(bytes, offset);
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
