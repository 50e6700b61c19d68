import { Shard } from '../../src/swarm/shard.js';
import { SwarmEngine } from '../../src/swarm/swarm-engine.js';
import { peerStoreContract } from './peer-store-contract.js';

peerStoreContract('shared memory', (s) => new SwarmEngine(s, Array.from({ length: s.torrentMapShards }, () => Shard.allocate(s.maxPeersPerShard))));
