import { WorkerDispatcher } from '../../src/dispatch/worker-dispatcher.js';
import { Log } from '../../src/util/log.js';
import { dispatcherContract } from './dispatcher-contract.js';

for (const workers of [1, 4]) {
  dispatcherContract(`${workers} worker thread(s)`, async (s, shards) => {
    const d = new WorkerDispatcher(s, shards, workers, new Log(0));
    await d.ready();
    return d;
  });
}
