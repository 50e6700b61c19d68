// The contract every swarm backend keeps (the shared-memory tables now, Redis later). One contract test
// suite (test/contract/peer-store-contract.ts) runs against each implementation.
//
// Requests in, reply bytes out:
// - `announce(record, nowMs)` applies one announce record (protocol/announce-request.ts) and writes the
//   complete reply for its ReplyKind (HTTP bencode body or BEP 15 UDP packet) into `reply`, returning
//   its length. Failures are replies too (a bencoded `failure reason` or a UDP error packet) with the
//   client texts of protocol/failure.ts: `torrent does not exist` when createOnAnnounce is off,
//   `tracker is full: ...` when a configured bound is reached (counted, nothing silently dropped).
// - Peer identity is (infohash, peer_id, IP). An announcer with an IPv4 and an IPv6 endpoint is stored
//   as two peers, one per family; families never mix: IPv4 peers are handed out as 6-byte entries,
//   IPv6 peers as 18-byte ones, and a UDP reply only carries its source's family.
// - Events: started/none register or refresh; left=0 or `completed` make a seeder; `completed` from a
//   peer that was not already seeding counts one snatch; stopped and paused remove the peer (chihaya
//   v1) and get no peer list. Counts in the reply are taken after the announce is applied.
// - Peer selection: a seeder gets leechers, a leecher gets seeders then leechers, never itself unless
//   the list would otherwise be empty (chihaya returns the announcer then), never more than numwant;
//   cost is O(numwant), not O(swarm). Successive announces rotate through a large swarm.
// - Expiry is the store's job: `reap(nowMs)` removes peers idle longer than minAnnounce x reapRatio
//   (`nowMs` is wall-clock milliseconds; records keep a 16-bit tick, see swarm/peer-clock.ts) and, with
//   purgeInactiveTorrents, empty torrents.
//   With purgeInactiveTorrents an announce that empties a torrent deletes it at once.
// - `scrape` never creates a torrent; unknown infohashes count zeros (BEP 48).
// - One thread calls a store instance; other threads may only read its counters.

export interface PeerStore {
  /** Reply bytes of the last announce; valid until the next call. */
  readonly reply: Buffer;
  announce(record: Buffer, nowMs: number): number;
  /** Seeders, snatches and leechers of infoHashes[off..off+20) into counts[at..at+3). */
  scrape(infoHashes: Uint8Array, off: number, counts: Uint32Array, at: number): void;
  /** Removes idle peers (and empty torrents); returns how many peers were removed. */
  reap(nowMs: number): number;
  describe(infoHash: Buffer): { infoHash: string; seeders: number; leechers: number; snatches: number } | null;
  create(infoHash: Buffer): boolean;
  remove(infoHash: Buffer): boolean;
}
