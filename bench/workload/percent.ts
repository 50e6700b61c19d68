// Percent-encoding of raw bytes the way BitTorrent clients do it: RFC 3986 unreserved characters stay
// literal, every other byte becomes %XX (upper-case hex). info_hash and peer_id are binary.
const HEX = '0123456789ABCDEF';

function unreserved(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
    b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
}

export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += unreserved(b) ? String.fromCharCode(b) : '%' + HEX[b >>> 4]! + HEX[b & 15]!;
  }
  return out;
}
