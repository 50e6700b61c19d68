// A Prometheus stand-in for the metrics duel: GET /metrics on a hayate's admin API every `everyMs`
// while a duel side is loaded, each scrape timed from request to last byte (node:http, a kept-alive
// connection as Prometheus keeps one). Bounded: one scrape in flight, stops with the load.
import http from 'node:http';
import type { DuelSide } from '../../runner/duel/duel.js';

export interface ScrapeFigures {
  scrapes: number;
  failed: number;
  /** Milliseconds per scrape, as measured by the client. */
  ms: number[];
  lastBytes: number;
}

/** `side` with its load() accompanied by scrapes of `apiBase`/metrics every `everyMs`. */
export function withScrapes(side: DuelSide, apiBase: string, everyMs: number): { side: DuelSide; figures: ScrapeFigures } {
  const figures: ScrapeFigures = { scrapes: 0, failed: 0, ms: [], lastBytes: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const scrapeOnce = (): Promise<void> => new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get(`${apiBase}/metrics`, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => {
        if (res.statusCode === 200) {
          figures.scrapes++;
          figures.ms.push(performance.now() - t0);
          figures.lastBytes = bytes;
        } else {
          figures.failed++;
        }
        resolve();
      });
      res.on('error', () => { figures.failed++; resolve(); });
    });
    req.setTimeout(5_000, () => req.destroy(new Error('scrape timed out')));
    req.on('error', () => { figures.failed++; resolve(); });
  });
  const scraped: DuelSide = {
    ...side,
    load: async (durationSec) => {
      let running = true;
      let wake: (() => void) | null = null; // ends the wait between scrapes when the load ends
      const loop = (async (): Promise<void> => {
        while (running) {
          const next = performance.now() + everyMs;
          await scrapeOnce();
          const wait = next - performance.now();
          if (running && wait > 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, wait);
              wake = () => { clearTimeout(timer); resolve(); };
            });
            wake = null;
          }
        }
      })();
      try {
        return await side.load(durationSec);
      } finally {
        running = false;
        (wake as (() => void) | null)?.();
        await loop;
      }
    },
  };
  return { side: scraped, figures };
}
