// HTTP announce replies written from constant byte prefixes into a reused buffer: compact or the
// list-of-dicts form, keys in BEP 3 sorted order. (UDP replies: protocol/udp/writers.ts.)
import { ascii, putBInt, putBStringHeader, putBText, putBytes, putUint } from './bencode-writer.js';
import { formatIPv4, formatIPv6 } from '../ip.js';
import type { PeerSelection } from '../../core/peer-selection.js';

const D_COMPLETE = ascii('d8:completei');
const E_INCOMPLETE = ascii('e10:incompletei');
const PEERS = ascii('5:peers');
const PEERS6 = ascii('6:peers6');
const PEERS_LIST = ascii('5:peersl');
const D_IP = ascii('d2:ip');
const PEER_ID = ascii('7:peer id20:');
const PORT = ascii('4:porti');

/** Largest HTTP announce body for `maxPeers` peers (non-compact IPv6 entries are the longest). */
export function maxAnnounceBodyBytes(maxPeers: number): number {
  return 200 + (maxPeers + 2) * 120;
}

/** The constant middle of every HTTP announce reply: `e8:intervali<s>e12:min intervali<s>e`. */
export function intervalsTail(intervalSec: number, minIntervalSec: number): Buffer {
  return ascii(`e8:intervali${intervalSec}e12:min intervali${minIntervalSec}e`);
}

/**
 * `d8:complete..10:incomplete..8:interval..12:min interval..[5:peers..[6:peers6..]]e`. `peers` is null
 * when the reply carries no peer list (stopped, paused, numwant 0).
 */
export function putHttpAnnounce(out: Buffer, complete: number, incomplete: number, tail: Buffer,
  peers: PeerSelection | null, compact: boolean): number {
  let o = putBytes(out, 0, D_COMPLETE);
  o = putUint(out, o, complete);
  o = putBytes(out, o, E_INCOMPLETE);
  o = putUint(out, o, incomplete);
  o = putBytes(out, o, tail); // closes `incomplete` with its leading 'e'
  if (peers !== null) o = compact ? putCompactPeers(out, o, peers) : putPeerDicts(out, o, peers);
  out[o] = 0x65; // e
  return o + 1;
}

function putCompactPeers(out: Buffer, o: number, peers: PeerSelection): number {
  o = putBytes(out, o, PEERS);
  o = putBStringHeader(out, o, peers.n4 * 6);
  o += peers.compact4.copy(out, o, 0, peers.n4 * 6);
  if (peers.n6 > 0) {
    o = putBytes(out, o, PEERS6);
    o = putBStringHeader(out, o, peers.n6 * 18);
    o += peers.compact6.copy(out, o, 0, peers.n6 * 18);
  }
  return o;
}

// The non-compact form is rare (BEP 23 made compact the norm): it may format IP text per peer.
function putPeerDicts(out: Buffer, o: number, peers: PeerSelection): number {
  o = putBytes(out, o, PEERS_LIST);
  for (let i = 0; i < peers.n4; i++) {
    o = putPeerDict(out, o, formatIPv4(peers.compact4, i * 6), peers.ids4, i * 20, peers.compact4.readUInt16BE(i * 6 + 4));
  }
  for (let i = 0; i < peers.n6; i++) {
    o = putPeerDict(out, o, formatIPv6(peers.compact6, i * 18), peers.ids6, i * 20, peers.compact6.readUInt16BE(i * 18 + 16));
  }
  out[o] = 0x65; // e (end of list)
  return o + 1;
}

function putPeerDict(out: Buffer, o: number, ip: string, ids: Buffer, idOff: number, port: number): number {
  o = putBytes(out, o, D_IP);
  o = putBText(out, o, ip);
  o = putBytes(out, o, PEER_ID);
  o += ids.copy(out, o, idOff, idOff + 20);
  o = putBytes(out, o, PORT);
  o = putBInt(out, o - 1, port) - 1; // PORT already wrote the 'i'
  out[o] = 0x65; // e (end of the port integer)
  out[o + 1] = 0x65; // e (end of dict)
  return o + 2;
}
