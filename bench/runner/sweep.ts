// --sweep workers=0,1,2 shards=1,16,64: one scenario (default http-announce) per cell of the grid of
// hayate settings, hayate restarted per cell. `workers` and `shards` are short for the config keys
// `workers` and `torrentMapShards`; any other config key may be swept by its own name.
import type { TrackerConfig } from '../env/targets.js';
import type { SweepCell } from './report.js';
import type { ScenarioResult } from './result.js';

const ALIASES: Record<string, string> = { shards: 'torrentMapShards', workers: 'workers' };

export function configKey(dimension: string): string {
  return ALIASES[dimension] ?? dimension;
}

export function configValue(v: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

/** Every combination of the dimensions' values, first dimension slowest. */
export function cells(dimensions: Record<string, string[]>): Record<string, string>[] {
  let out: Record<string, string>[] = [{}];
  for (const [k, values] of Object.entries(dimensions)) {
    const next: Record<string, string>[] = [];
    for (const c of out) for (const v of values) next.push({ ...c, [k]: v });
    out = next;
  }
  return out;
}

export function cellConfig(cell: Record<string, string>): TrackerConfig {
  const out: TrackerConfig = {};
  for (const [k, v] of Object.entries(cell)) out[configKey(k)] = configValue(v);
  return out;
}

export function cellLabel(cell: Record<string, string>): string {
  return Object.entries(cell).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The sweep table's entry for one cell, from its scenario result (`key`: its entry in `scenarios`). */
export function sweepCell(cell: Record<string, string>, scenario: string, key: string, r: ScenarioResult): SweepCell {
  const shares = r.ioThreads == null ? null : Object.fromEntries(Object.entries(r.ioThreads.threads).map(([n, t]) => [n, t.share]));
  return {
    settings: cell, config: cellConfig(cell), scenario, key, status: r.status, reqPerSec: r.reqPerSec, p99Us: r.latencyUs.p99,
    cpuPerRequestUs: r.cpuPerRequestUs ?? null, ioShares: shares,
  };
}

/**
 * Whether the tracker ran the thread layout the cell asked for (from its /stats `ioThreads` and the
 * threads' names): a note when not, e.g. a build that ignores `ioThreads`.
 */
export function layoutNote(cell: Record<string, string>, r: ScenarioResult): string | null {
  const wrong: string[] = [];
  const asked = (k: string): number | null => (cell[k] === undefined || !/^\d+$/.test(cell[k]!) ? null : Number(cell[k]));
  const io = asked('ioThreads');
  if (io !== null && io > 0 && r.extra.ioThreads !== undefined && r.extra.ioThreads !== io) wrong.push(`${String(r.extra.ioThreads)} I/O threads, not ${io}`);
  if (io !== null && io > 0 && r.extra.ioThreads === undefined) wrong.push('no /stats ioThreads section: ioThreads not applied or not reported');
  const workers = asked('workers');
  if (workers !== null && r.extra.swarmWorkers !== undefined && r.extra.swarmWorkers !== workers) wrong.push(`${String(r.extra.swarmWorkers)} swarm workers, not ${workers}`);
  return wrong.length === 0 ? null : `the tracker ran ${wrong.join(', ')} (cell ${cellLabel(cell)})`;
}
