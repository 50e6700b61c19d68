// Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its hash tag (the part between the first
// `{` and the next `}` when not empty), modulo 16384. Keys with the same tag share a slot, so they can be
// used together in one command (XREAD of several streams, MULTI, a Lua script).
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  TABLE[i] = c;
}

export const CLUSTER_SLOTS = 16384;

export function keySlot(key: string): number {
  let s = key;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) s = key.slice(open + 1, close);
  }
  const bytes = Buffer.from(s);
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc % CLUSTER_SLOTS;
}
