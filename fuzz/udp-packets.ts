// BEP 15 / BEP 41 wire format as the fuzzer builds and reads it, written from the specs (the harness is
// a black box to hayate and shares none of its code): request builders, the option walker used to know
// whether an announce's options are well-formed, and the URL data they carry.

export const PROTOCOL_ID = Buffer.from('0000041727101980', 'hex');
export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;
export const ANNOUNCE_BYTES = 98;

export function connectRequest(): Buffer {
  const b = Buffer.alloc(16);
  PROTOCOL_ID.copy(b, 0);
  b.writeUInt32BE(ACTION_CONNECT, 8);
  return b;
}

export interface AnnounceFields {
  connectionId: Buffer;
  infoHash: Buffer;
  peerId: Buffer;
  downloaded: bigint;
  left: bigint;
  uploaded: bigint;
  event: number;
  /** 4 bytes; all zero = use the source address */
  ip: Buffer;
  key: number;
  numWant: number;
  port: number;
  options: Buffer;
}

export function announceRequest(f: AnnounceFields): Buffer {
  const b = Buffer.alloc(ANNOUNCE_BYTES + f.options.length);
  f.connectionId.copy(b, 0, 0, 8);
  b.writeUInt32BE(ACTION_ANNOUNCE, 8);
  f.infoHash.copy(b, 16, 0, 20);
  f.peerId.copy(b, 36, 0, 20);
  b.writeBigUInt64BE(f.downloaded, 56);
  b.writeBigUInt64BE(f.left, 64);
  b.writeBigUInt64BE(f.uploaded, 72);
  b.writeUInt32BE(f.event >>> 0, 80);
  f.ip.copy(b, 84, 0, 4);
  b.writeUInt32BE(f.key >>> 0, 88);
  b.writeInt32BE(f.numWant | 0, 92);
  b.writeUInt16BE(f.port & 0xffff, 96);
  f.options.copy(b, ANNOUNCE_BYTES);
  return b;
}

export function scrapeRequest(connectionId: Buffer, hashes: Buffer[]): Buffer {
  const b = Buffer.alloc(16 + 20 * hashes.length);
  connectionId.copy(b, 0, 0, 8);
  b.writeUInt32BE(ACTION_SCRAPE, 8);
  hashes.forEach((h, i) => h.copy(b, 16 + 20 * i, 0, 20));
  return b;
}

/** Any action with the given connection ID and an arbitrary body. */
export function headerOnly(connectionId: Buffer, action: number, body: Buffer): Buffer {
  const b = Buffer.alloc(16 + body.length);
  connectionId.copy(b, 0, 0, 8);
  b.writeUInt32BE(action >>> 0, 8);
  body.copy(b, 16);
  return b;
}

/** BEP 41 URLData options carrying `data` in chunks of `chunk` bytes (1..255). */
export function urlDataChunks(data: Buffer, chunk: number): Buffer {
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += chunk) {
    const piece = data.subarray(o, o + chunk);
    parts.push(Buffer.from([0x02, piece.length]), piece);
  }
  return Buffer.concat(parts);
}

/**
 * Walks BEP 41 options from `start`: 0 ends, 1 is a NOP, any other type has a length byte and that many
 * bytes (type 2 = URL data). Returns the URL data concatenated, or null when a length byte is missing
 * or runs past the end (malformed).
 */
export function readOptions(pkt: Buffer, start = ANNOUNCE_BYTES): Buffer | null {
  const parts: Buffer[] = [];
  let i = start;
  while (i < pkt.length) {
    const type = pkt[i++]!;
    if (type === 0) break;
    if (type === 1) continue;
    if (i >= pkt.length) return null;
    const len = pkt[i++]!;
    if (i + len > pkt.length) return null;
    if (type === 2) parts.push(pkt.subarray(i, i + len));
    i += len;
  }
  return Buffer.concat(parts);
}

/** A plain IPv4 text as 4 bytes. */
export function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}
