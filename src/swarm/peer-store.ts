// The contract every swarm backend keeps. One contract test suite (test/contract/peer-store-contract.ts)
// runs against each implementation; a new backend adds one line of test.
//
// Records in, decisions out; no wire format:
// - `announce(record, nowMs)` applies one announce record (core/announce-record.ts) and returns its
//   AnnounceOutcome (core/announce-outcome.ts): the seeder and leecher counts after the announce, the
//   peers chosen for the announcer (endpoint records, not reply bytes), or a refusal code:
//   TorrentDoesNotExist when createOnAnnounce is off, SwarmFull when a configured bound is reached
//   (counted, nothing silently dropped). The store never writes bencode or BEP 15 bytes: the announce
//   handler (dispatch/announce-handler.ts) encodes the outcome for the record's ReplyKind, on the thread
//   that ran the store (a swarm worker when workers >= 1), so encoding stays off the socket thread.
// - Peer identity is (infohash, peer_id, IP). An announcer with an IPv4 and an IPv6 endpoint is stored
//   as two peers, one per family; families never mix: IPv4 peers are handed out as 6-byte entries,
//   IPv6 peers as 18-byte ones, and a UDP announce is only given peers of its source's family.
// - Events: started/none register or refresh; left=0 or `completed` make a seeder; `completed` from a
//   peer that was not already seeding counts one snatch; stopped and paused remove the peer (chihaya
//   v1) and get no peer list. Counts in the outcome are taken after the announce is applied.
// - Peer selection: a seeder gets leechers, a leecher gets seeders then leechers, never itself unless
//   the list would otherwise be empty (chihaya returns the announcer then), never more than numwant;
//   cost is O(numwant), not O(swarm). Successive announces rotate through a large swarm.
// - Expiry is the store's job: `reap(nowMs)` removes peers idle longer than minAnnounce x reapRatio
//   (`nowMs` is wall-clock milliseconds; records keep a 16-bit tick, see swarm/peer-clock.ts) and, with
//   purgeInactiveTorrents, empty torrents. With purgeInactiveTorrents an announce that empties a torrent
//   deletes it at once.
// - `scrape` never creates a torrent; unknown infohashes count zeros (BEP 48).
// - One thread calls a store instance; other threads may only read its counters.
import type { AnnounceOutcome } from '../core/announce-outcome.js';

export interface TorrentSummary {
  infoHash: string;            // hex
  seeders: number;
  leechers: number;
  snatches: number;
}

export interface PeerStore {
  /** Applies one announce; the outcome object is reused and valid until the next call. */
  announce(record: Buffer, nowMs: number): AnnounceOutcome;
  /** Seeders, snatches and leechers of infoHashes[off..off+20) into counts[at..at+3). */
  scrape(infoHashes: Uint8Array, off: number, counts: Uint32Array, at: number): void;
  /** Removes idle peers (and empty torrents); returns how many peers were removed. */
  reap(nowMs: number): number;
  describe(infoHash: Buffer): TorrentSummary | null;
  create(infoHash: Buffer): boolean;
  remove(infoHash: Buffer): boolean;
}
