// Memory figures for /stats, refreshed every memStatsInterval (chihaya v1 sampled once at start: a bug).
import { getHeapStatistics } from 'node:v8';

export class MemStats {
  snapshot: Record<string, number> = {};
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, private readonly verbose: boolean) {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  refresh(): void {
    let m: NodeJS.MemoryUsage;
    try {
      m = process.memoryUsage();
    } catch {
      // It reads /proc/self/stat, which needs a file descriptor: with every descriptor taken (idle
      // connections up to ulimit -n) it throws EMFILE. Keep the last figures; never end the process.
      return;
    }
    const snap: Record<string, number> = {
      Alloc: m.heapUsed,
      Sys: m.rss,
      HeapAlloc: m.heapUsed,
      HeapSys: m.heapTotal,
      External: m.external,
      ArrayBuffers: m.arrayBuffers,
      RSS: m.rss,
    };
    if (this.verbose) {
      const h = getHeapStatistics();
      snap.HeapSizeLimit = h.heap_size_limit;
      snap.TotalAvailableSize = h.total_available_size;
      snap.MallocedMemory = h.malloced_memory;
      snap.NativeContexts = h.number_of_native_contexts;
    }
    this.snapshot = snap;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
