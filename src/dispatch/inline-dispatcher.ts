// workers: 0 — the swarm runs on the main thread, each request completes synchronously inside the
// frontend's call. The simplest and, on one core, the fastest dispatcher.
import { OFF_REQUEST_ID, OFF_SINK_ID } from '../core/announce-record.js';
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';
import type { TorrentSummary } from '../swarm/peer-store.js';
import { SwarmEngine } from '../swarm/swarm-engine.js';
import { AnnounceHandler } from './announce-handler.js';
import type { Dispatcher, ReplySink } from './dispatcher.js';

export class InlineDispatcher implements Dispatcher {
  readonly refusedCount = 0;
  readonly failedInFlight = 0;
  readonly restarts = 0;
  private readonly engine: SwarmEngine;
  private readonly handler: AnnounceHandler;
  private readonly sinks: ReplySink[] = [];
  private counts = new Uint32Array(3 * 128);
  private readonly reaper: NodeJS.Timeout;

  constructor(settings: SwarmSettings, memories: readonly ShardMemory[]) {
    this.engine = new SwarmEngine(settings, memories);
    this.handler = new AnnounceHandler(this.engine, settings);
    this.reaper = setInterval(() => this.engine.reap(Date.now()), settings.reapIntervalMs);
    this.reaper.unref();
  }

  async ready(): Promise<void> {}

  register(sink: ReplySink): number {
    this.sinks.push(sink);
    return this.sinks.length - 1;
  }

  announce(record: Buffer): boolean {
    const n = this.handler.handle(record, Date.now());
    this.sinks[record[OFF_SINK_ID]!]!.announceDone(record.readUInt32LE(OFF_REQUEST_ID), this.handler.reply.subarray(0, n));
    return true;
  }

  scrape(sinkId: number, requestId: number, hashes: Buffer, n: number): boolean {
    if (this.counts.length < 3 * n) this.counts = new Uint32Array(3 * n);
    for (let i = 0; i < n; i++) this.engine.scrape(hashes, i * 20, this.counts, 3 * i);
    this.sinks[sinkId]!.scrapeDone(requestId, this.counts, n);
    return true;
  }

  async describe(infoHash: Buffer): Promise<TorrentSummary | null> {
    return this.engine.describe(infoHash);
  }

  async create(infoHash: Buffer): Promise<boolean> {
    return this.engine.create(infoHash);
  }

  async remove(infoHash: Buffer): Promise<boolean> {
    return this.engine.remove(infoHash);
  }

  async close(): Promise<void> {
    clearInterval(this.reaper);
  }
}
