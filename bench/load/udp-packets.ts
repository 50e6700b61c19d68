// BEP 15 request writers and reply header reading for the UDP generator (bench side; the tracker has its
// own in src/protocol/udp). Requests are written into caller-owned buffers, no allocation per packet.
import type { PeerFields } from '../workload/peers.js';

export const PROTOCOL_ID_HI = 0x417;
export const PROTOCOL_ID_LO = 0x27101980;
export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;

export const CONNECT_BYTES = 16;
export const ANNOUNCE_BYTES = 98;

export function writeConnect(buf: Buffer, tid: number): void {
  buf.writeUInt32BE(PROTOCOL_ID_HI, 0);
  buf.writeUInt32BE(PROTOCOL_ID_LO, 4);
  buf.writeUInt32BE(ACTION_CONNECT, 8);
  buf.writeUInt32BE(tid >>> 0, 12);
}

/** The 98-byte announce without connection ID and transaction ID (bytes 0..7 and 12..15 left to the sender). */
export function writeAnnounceBody(buf: Buffer, at: number, infoHash: Uint8Array, p: PeerFields, numWant: number): void {
  buf.writeUInt32BE(ACTION_ANNOUNCE, at + 8);
  buf.set(infoHash, at + 16);
  buf.set(p.peerId, at + 36);
  buf.writeBigUInt64BE(BigInt(p.downloaded), at + 56);
  buf.writeBigUInt64BE(BigInt(p.left), at + 64);
  buf.writeBigUInt64BE(BigInt(p.uploaded), at + 72);
  buf.writeUInt32BE(0, at + 80);            // event: none (a regular re-announce)
  buf.writeUInt32BE(p.ipv4, at + 84);       // IP field: honoured with allowIPSpoofing
  buf.writeUInt32BE(p.key, at + 88);
  buf.writeInt32BE(numWant, at + 92);
  buf.writeUInt16BE(p.port, at + 96);
}

export function scrapeBytes(hashes: number): number {
  return 16 + 20 * hashes;
}

/** Scrape without connection ID and transaction ID. */
export function writeScrapeBody(buf: Buffer, at: number, infoHashes: readonly Uint8Array[]): void {
  buf.writeUInt32BE(ACTION_SCRAPE, at + 8);
  for (let i = 0; i < infoHashes.length; i++) buf.set(infoHashes[i]!, at + 16 + 20 * i);
}

/** Connection ID and transaction ID into a request already holding its body. */
export function stampRequest(buf: Buffer, connId: Buffer, tid: number): void {
  connId.copy(buf, 0, 0, 8);
  buf.writeUInt32BE(tid >>> 0, 12);
}
