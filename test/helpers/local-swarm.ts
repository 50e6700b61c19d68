// The swarm as one I/O thread sees it, built in the test's own thread the way an I/O thread and the main
// thread build it: a RoutedDispatcher on mesh index 0 with its ConsumerLoop, and either a ShardHost in
// this thread (workers: 0) or a SwarmPool of worker threads whose deaths this thread settles.
import type { Dispatcher, SwarmControl } from '../../src/dispatch/dispatcher.js';
import { ConsumerLoop } from '../../src/dispatch/consumer-loop.js';
import { allocateMesh, ownerOfShard } from '../../src/dispatch/mesh.js';
import { type DispatchCounters, RoutedDispatcher } from '../../src/dispatch/routed-dispatcher.js';
import { ShardHost } from '../../src/dispatch/shard-host.js';
import { SwarmPool } from '../../src/dispatch/swarm-pool.js';
import type { TorrentSummary } from '../../src/swarm/peer-store.js';
import type { SwarmSettings } from '../../src/swarm/settings.js';
import { shardOf } from '../../src/swarm/shard-of.js';
import type { ShardMemory } from '../../src/swarm/shard.js';
import { Log } from '../../src/util/log.js';

export interface LocalSwarm {
  dispatcher: Dispatcher & { ownerDied(owner: number): number };
  control: SwarmControl;
  counters: DispatchCounters;
  pool: SwarmPool | null;
  close(): Promise<void>;
}

export async function localSwarm(settings: SwarmSettings, shards: readonly ShardMemory[], workers: number,
  onFatal: (err: Error) => void = (err) => { throw err; }): Promise<LocalSwarm> {
  const mesh = allocateMesh(1, workers);
  const counters: DispatchCounters = { refusedBusy: 0, failedOwnerDied: 0 };
  const host = workers === 0 ? new ShardHost(settings, shards, mesh, 0, false) : null;
  const dispatcher = new RoutedDispatcher(mesh, 0, shards.length, host, counters);
  const loop = new ConsumerLoop(mesh.ioDoorbells[0]!, host === null ? [dispatcher] : [host, dispatcher]);
  loop.start();
  const pool = workers === 0 ? null : new SwarmPool(settings, shards, mesh, new Log(0), {
    ownerDied: async (owner) => dispatcher.ownerDied(owner),
    onFatal,
  });
  await pool?.ready();
  const run = async (op: 'describe' | 'create' | 'remove', ih: Buffer): Promise<unknown> => {
    if (host !== null) return host.control(op, ih);
    return pool!.control(ownerOfShard(shardOf(ih, 0, shards.length), mesh.owners), op, ih);
  };
  const control: SwarmControl = {
    describe: async (ih) => (await run('describe', ih)) as TorrentSummary | null,
    create: async (ih) => (await run('create', ih)) as boolean,
    remove: async (ih) => (await run('remove', ih)) as boolean,
  };
  return {
    dispatcher, control, counters, pool,
    close: async () => {
      loop.stop();
      host?.close();
      await pool?.close();
    },
  };
}
