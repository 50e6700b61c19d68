// The messages that cross the request and reply rings between a frontend's thread and a swarm worker,
// with every field's offset named once for both sides. Offsets are from the start of a message's payload
// (what Ring.reserve/peek return); the first byte is always its type. Integers are little-endian.
import { ANNOUNCE_RECORD_BYTES } from '../core/announce-record.js';

export const enum Msg {
  /** down: the 80-byte announce record (it carries its sink and request ids). */
  Announce = 1,
  /** down: a scrape id and `count` entries of (index in the request, 20-byte infohash). */
  Scrape = 2,
  /** up: the sink and request id of an announce, then its reply bytes. */
  AnnounceReply = 3,
  /** up: the scrape id and `count` entries of (index in the request, seeders, snatches, leechers). */
  ScrapeReply = 4,
  /**
   * down: a UDP announce whose reply the owner sends itself, from its own socket on the same port (an
   * I/O thread, workers: 0): the record, then where the reply goes and when the request arrived. Nothing
   * comes back up the reply ring, and the I/O thread that forwarded it has forgotten it.
   */
  AnnounceDirect = 5,
}

export const MSG_TYPE_AT = 0;

// Announce
export const ANNOUNCE_RECORD_AT = 4;
export const ANNOUNCE_MSG_BYTES = ANNOUNCE_RECORD_AT + ANNOUNCE_RECORD_BYTES;

// AnnounceDirect: an Announce, then the reply-to
export const DIRECT_FAMILY_AT = ANNOUNCE_MSG_BYTES;       // u8: 4 or 6
export const DIRECT_KIND_AT = ANNOUNCE_MSG_BYTES + 1;     // u8: the response kind its time is recorded under
export const DIRECT_PORT_AT = ANNOUNCE_MSG_BYTES + 2;     // u16
export const DIRECT_ADDR_AT = ANNOUNCE_MSG_BYTES + 4;     // 16 bytes (the first 4 for IPv4)
export const DIRECT_STARTED_AT = ANNOUNCE_MSG_BYTES + 20; // f64: arrival, on the shared clock (util/shared-clock.ts)
export const ANNOUNCE_DIRECT_MSG_BYTES = ANNOUNCE_MSG_BYTES + 28;

// AnnounceReply
export const REPLY_SINK_ID_AT = 1;     // u8: the frontend's Dispatcher.register id
export const REPLY_REQUEST_ID_AT = 4;  // u32: the frontend's pending id
export const REPLY_BYTES_AT = 8;       // the reply bytes, to the end of the message

export function announceReplyMsgBytes(replyBytes: number): number {
  return REPLY_BYTES_AT + replyBytes;
}

// Scrape and ScrapeReply share their header
export const SCRAPE_ID_AT = 4;         // u32: the dispatcher's assembly id
export const SCRAPE_COUNT_AT = 8;      // u32: entries in this message
export const SCRAPE_ENTRIES_AT = 12;

export const SCRAPE_ENTRY_INDEX_AT = 0; // u32: position of the hash in the client's request
export const SCRAPE_ENTRY_HASH_AT = 4;  // 20 bytes
export const SCRAPE_ENTRY_BYTES = 24;

export const SCRAPE_REPLY_INDEX_AT = 0;    // u32, as in the request entry
export const SCRAPE_REPLY_SEEDERS_AT = 4;  // u32
export const SCRAPE_REPLY_SNATCHES_AT = 8; // u32
export const SCRAPE_REPLY_LEECHERS_AT = 12; // u32
export const SCRAPE_REPLY_ENTRY_BYTES = 16;

export function scrapeMsgBytes(count: number): number {
  return SCRAPE_ENTRIES_AT + count * SCRAPE_ENTRY_BYTES;
}

export function scrapeReplyMsgBytes(count: number): number {
  return SCRAPE_ENTRIES_AT + count * SCRAPE_REPLY_ENTRY_BYTES;
}
