// The seam between frontends (sockets, parsing) and the swarm (tables, reply bytes). A frontend fills an
// 80-byte announce record, hands it over, and gets the reply bytes back through its ReplySink, possibly
// synchronously (inline) or later (worker threads). Frontends never touch swarm tables.
import type { TorrentSummary } from '../swarm/peer-store.js';

export interface ReplySink {
  /** Reply bytes for `requestId`; `bytes` is only valid during the call (copy or send it at once). */
  announceDone(requestId: number, bytes: Uint8Array): void;
  /** Scrape answer: counts[3i], counts[3i+1], counts[3i+2] = seeders, snatches, leechers of hash i. */
  scrapeDone(requestId: number, counts: Uint32Array, n: number): void;
  /** The request was accepted but cannot be answered (e.g. its worker died): answer an error. */
  requestFailed(requestId: number, reason: string): void;
}

export interface Dispatcher {
  /** Resolves once every swarm thread has started and can take requests. */
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

  /** Control plane for the admin API: rare, allocation is fine. */
  describe(infoHash: Buffer): Promise<TorrentSummary | null>;
  create(infoHash: Buffer): Promise<boolean>;
  remove(infoHash: Buffer): Promise<boolean>;

  /** Requests refused for back-pressure, for /stats. */
  readonly refusedCount: number;
  /** Requests accepted but failed because their worker died, and worker restarts, for /stats. */
  readonly failedInFlight: number;
  readonly restarts: number;

  close(): Promise<void>;
}
