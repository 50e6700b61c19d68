// A swarm worker thread: the only writer of its shards. Its ShardHost answers what every I/O thread
// queued on its request rings; the thread sleeps on its doorbell when there is nothing to do.
import { parentPort, workerData } from 'node:worker_threads';
import { LoopDelayMonitor } from '../util/loop-delay.js';
import { threadId } from '../util/thread-id.js';
import { nameThisThread, threadName } from '../util/thread-name.js';
import { ConsumerLoop } from './consumer-loop.js';
import { ShardHost } from './shard-host.js';
import type { ControlReply, ControlRequest, ReadyMessage, SwarmWorkerData } from './worker-messages.js';

const data = workerData as SwarmWorkerData;
nameThisThread(threadName('swarm', data.owner));
const host = new ShardHost(data.settings, data.shards, data.mesh, data.owner, data.repair);
const loop = new ConsumerLoop(data.mesh.ownerDoorbells[data.owner]!, [host]);
new LoopDelayMonitor(new Float64Array(data.loopDelay)); // runs until the thread ends

parentPort!.on('message', (msg: ControlRequest) => {
  const reply: ControlReply = { control: msg.control };
  try {
    reply.result = host.control(msg.op, Buffer.from(msg.infoHash));
  } catch (err) {
    reply.error = err instanceof Error ? err.message : String(err);
  }
  parentPort!.postMessage(reply);
});

const ready: ReadyMessage = { ready: true, tid: threadId() };
parentPort!.postMessage(ready);
loop.start();
