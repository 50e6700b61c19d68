// uniform: the zipf workload with the torrent drawn uniformly over the same --torrents N (s = 0).
import type { Scenario } from '../runner/scenario.js';
import { skewed } from './common/skewed.js';

export const uniform: Scenario = {
  name: 'uniform',
  summary: 'the zipf workload with torrents drawn uniformly (its counterpart at the same N)',
  standard: true,
  run: (ctx) => skewed('uniform', ctx),
};
