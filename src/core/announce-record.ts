// The announce as it crosses from a frontend to the swarm: a fixed 80-byte binary record, so it can be
// copied into a shared-memory ring without building a JS object per request. Frontends fill it (HTTP
// query parser, UDP packet parser); the swarm reads it and writes the response bytes for `replyKind`.

export const ANNOUNCE_RECORD_BYTES = 80;

// Field offsets
export const OFF_INFO_HASH = 0;      // 20 bytes
export const OFF_PEER_ID = 20;       // 20 bytes
export const OFF_IPV4 = 40;          // 4 bytes, valid when FLAG_HAS_V4
export const OFF_IPV6 = 44;          // 16 bytes, valid when FLAG_HAS_V6
export const OFF_PORT = 60;          // u16 big-endian (network order, as it goes on the wire)
export const OFF_FLAGS = 62;         // u8, FLAG_*
export const OFF_EVENT = 63;         // u8, Event
export const OFF_NUM_WANT = 64;      // u32 LE: peers wanted, already defaulted and capped; 0 = no peer list
export const OFF_REPLY_KIND = 68;    // u8, ReplyKind
export const OFF_SINK_ID = 69;       // u8: which frontend gets the reply (Dispatcher.register)
export const OFF_TRANSACTION_ID = 72; // 4 raw bytes: UDP transaction id, echoed as received
export const OFF_REQUEST_ID = 76;    // u32 LE: the frontend's handle for completing this request

export const FLAG_HAS_V4 = 1;
export const FLAG_HAS_V6 = 2;
export const FLAG_SEEDING = 4;       // left == 0
export const FLAG_V6_CAPABLE = 8;    // the announcer can reach IPv6 peers (respectAF decides v4 too)

/** BEP 15 numbering for the first four; `paused` (BEP 21) is ours. */
export const enum Event {
  None = 0,
  Completed = 1,
  Started = 2,
  Stopped = 3,
  Paused = 4,
  /**
   * Never from a client (the parsers map events to 0-4): cluster mode's change for a torrent deleted
   * through the admin API, so every instance deletes it and its peers in the order of its group's stream.
   */
  TorrentRemoved = 0xff,
}

/** Which response bytes the swarm writes. */
export const enum ReplyKind {
  HttpCompact = 0,
  HttpDict = 1,
  Udp4 = 2,          // BEP 15 announce reply with 6-byte peers
  Udp6 = 3,          // BEP 15 announce reply with 18-byte peers
}
