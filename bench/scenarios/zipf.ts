// zipf: announces whose torrent is drawn from Zipf(--zipf-s) over --torrents N: swarm sizes follow
// popularity (the top torrent gets ~10% of announces at s = 1).
import type { Scenario } from '../runner/scenario.js';
import { skewed } from './common/skewed.js';

export const zipf: Scenario = {
  name: 'zipf',
  summary: 'announces over --torrents N torrents drawn from Zipf(--zipf-s), swarm sizes follow popularity',
  standard: true,
  run: (ctx) => skewed('zipf', ctx),
};
