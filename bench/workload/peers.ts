// Deterministic torrent and peer identities. Torrent t of a pool is sha1("hayate-bench:<salt>:<t>"); peer g
// has a client-style peer_id (`-qB4250-`, `-TR3000-`, `-UT355W-` + 12 random characters), a distinct
// 10.x.y.z address (sent as `ip=` over HTTP, the IP field over UDP, so peers stay distinct on loopback),
// a port, and is a seeder with probability 0.3. Anything that needs peer g computes the same fields.
import { createHash } from 'node:crypto';
import { hash32, Prng } from './prng.js';

export const SEEDER_SHARE = 0.3;

export function infoHashOf(salt: string, torrent: number): Buffer {
  return createHash('sha1').update(`hayate-bench:${salt}:${torrent}`).digest();
}

export interface PeerFields {
  peerId: Buffer;       // 20 bytes
  ipv4: number;         // uint32, 10.0.0.0/8
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;         // 0 for a seeder
  key: number;          // uint32
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TORRENT_BYTES = 734_003_200; // what a leecher has `left` at most (a 700 MiB image)

function clientPrefix(g: number): string {
  const r = hash32(g * 7 + 1) % 10;
  return r < 6 ? '-qB4250-' : r < 8 ? '-TR3000-' : '-UT355W-';
}

/** Peer g (0 <= g < 2^24). */
export function peerFields(g: number): PeerFields {
  const prng = new Prng(hash32(g));
  let id = clientPrefix(g);
  for (let i = 0; i < 12; i++) id += ID_CHARS[prng.int(ID_CHARS.length)]!;
  const seeder = prng.next() < SEEDER_SHARE;
  const downloaded = seeder ? TORRENT_BYTES : prng.int(TORRENT_BYTES);
  return {
    peerId: Buffer.from(id, 'latin1'),
    ipv4: (10 << 24 | (g & 0xffffff)) >>> 0,
    port: 10_000 + (g % 50_000),
    uploaded: prng.int(4 * TORRENT_BYTES),
    downloaded,
    left: seeder ? 0 : TORRENT_BYTES - downloaded,
    key: hash32(g ^ 0x5bd1e995),
  };
}

export function ipv4Text(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}
