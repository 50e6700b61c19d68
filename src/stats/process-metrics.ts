// Node's default process metrics (prom-client collectDefaultMetrics: CPU, memory, heap, handles, GC,
// the main thread's event-loop lag), collected once per process: they describe the process, not one
// tracker, and collecting them twice would start a second event-loop monitor and GC observer.
import type { Registry } from 'prom-client';

let registry: Promise<Registry> | null = null;

/** Loads prom-client on first use (a process that is never scraped never loads it). */
export function processMetrics(): Promise<Registry> {
  registry ??= import('prom-client').then((prom) => {
    const r = new prom.Registry();
    prom.collectDefaultMetrics({ register: r });
    return r;
  });
  return registry;
}
