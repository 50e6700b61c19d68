// Shards owned by swarm worker threads, reached over the rings.
import { localSwarm } from '../helpers/local-swarm.js';
import { dispatcherContract } from './dispatcher-contract.js';

for (const workers of [1, 4]) {
  dispatcherContract(`${workers} worker thread(s)`, async (s, shards) => localSwarm(s, shards, workers));
}
