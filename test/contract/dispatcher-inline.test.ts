// Shards owned by the I/O thread itself (workers: 0): every announce answered inline.
import { localSwarm } from '../helpers/local-swarm.js';
import { dispatcherContract } from './dispatcher-contract.js';

dispatcherContract('shards owned by the I/O thread (workers: 0)', async (s, shards) => localSwarm(s, shards, 0));
