// Turns a PathSource into "the next request target". Rotation is shared by every connection of a thread
// (one counter), so a pool is walked in order however many connections there are.
import { FillPaths } from '../workload/paths.js';
import type { PathSource } from './types.js';

export interface PathIterator {
  /** Requests this source can give before it is exhausted (Infinity when it rotates). */
  readonly size: number;
  /** The next target, or null when a once-only source is exhausted. */
  next(): string | null;
}

export function pathIterator(source: PathSource): PathIterator {
  if (source.kind === 'list') {
    const { paths, once } = source;
    if (paths.length === 0) throw new Error('empty path list');
    let i = source.offset % paths.length;
    let served = 0;
    return {
      size: once ? paths.length : Infinity,
      next(): string | null {
        if (once && served >= paths.length) return null;
        served++;
        const p = paths[i]!;
        if (++i === paths.length) i = 0;
        return p;
      },
    };
  }
  const fill = new FillPaths(source.fill);
  let k = 0;
  return {
    size: source.count,
    next(): string | null {
      if (k >= source.count) return null;
      return fill.path(source.first + k++);
    },
  };
}
