// Node's default process metrics (prom-client collectDefaultMetrics: CPU, memory, heap, handles, GC,
// the main thread's event-loop lag), collected once per process: they describe the process, not one
// tracker, and collecting them twice would start a second event-loop monitor and GC observer.
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | null = null;

export function processMetrics(): Registry {
  if (registry === null) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
