// The seams between frontends (sockets, parsing) and the swarm (tables, decisions).
//
// Dispatcher, the data plane of one I/O thread: a frontend fills an 80-byte announce record, hands it
// over, and gets the reply bytes back through its ReplySink, synchronously (a shard this thread owns) or
// later (a shard another thread owns). Frontends never touch swarm tables.
//
// SwarmControl, the control plane of the admin API on the main thread: rare operations on one torrent,
// carried to the thread that owns it.
import type { TorrentSummary } from '../swarm/peer-store.js';

export interface ReplySink {
  /** Reply bytes for `requestId`; `bytes` is only valid during the call (copy or send it at once). */
  announceDone(requestId: number, bytes: Uint8Array): void;
  /** Scrape answer: counts[3i], counts[3i+1], counts[3i+2] = seeders, snatches, leechers of hash i. */
  scrapeDone(requestId: number, counts: Uint32Array, n: number): void;
  /** The request was accepted but cannot be answered (e.g. its owner thread died): answer an error. */
  requestFailed(requestId: number, reason: string): void;
  /**
   * UDP only (a sink without it is always answered through announceDone): writes where request
   * `requestId`'s reply goes into its AnnounceDirect message at msg[at..] (ring-messages.ts) and forgets
   * the request, whose owner will answer it from its own socket.
   */
  forward?(requestId: number, msg: Buffer, at: number): void;
  /** A forwarded request (its message at msg[at..]) its owner will never answer: answer `reason`. */
  forwardedFailed?(msg: Buffer, at: number, reason: string): void;
}

/** The owner's side of forwarded UDP announces: an I/O thread's UDP frontend. */
export interface DirectReplies {
  /** Sends reply[0, n) to where the AnnounceDirect message at msg[at..] says, and times it. */
  sendForwarded(reply: Uint8Array, n: number, msg: Buffer, at: number): void;
}

export interface Dispatcher {
  /** Resolves once the threads it sends to can take requests. */
  ready(): Promise<void>;
  /** Registers a frontend; the returned id goes into every record it sends (OFF_SINK_ID). */
  register(sink: ReplySink): number;
  /**
   * Takes an announce record (copied before returning). False when it cannot be queued (back-pressure):
   * the caller answers a failure at once; the sink is then never called for it.
   */
  announce(record: Buffer): boolean;
  /** Scrape of `n` infohashes packed in `hashes` (20 bytes each); false under back-pressure. */
  scrape(sinkId: number, requestId: number, hashes: Buffer, n: number): boolean;
  close(): Promise<void>;
}

export interface SwarmControl {
  describe(infoHash: Buffer): Promise<TorrentSummary | null>;
  /** Creates the torrent if absent; false when its shard is full. */
  create(infoHash: Buffer): Promise<boolean>;
  /** Deletes the torrent and its peers; false when it did not exist. */
  remove(infoHash: Buffer): Promise<boolean>;
}
