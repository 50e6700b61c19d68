// The swarm worker threads (`workers >= 1`), started and watched from the main thread. Worker j owns
// the shards s with s % workers == j and is their only writer. A worker that dies is restarted over the
// same tables, repaired first, once every I/O thread has delivered what it answered and failed what it
// left (so requests never hang); a worker that keeps dying right after its start cannot restore the
// swarm, and the process is told to stop rather than limp.
import { Worker } from 'node:worker_threads';
import type { SwarmSettings } from '../swarm/settings.js';
import type { ShardMemory } from '../swarm/shard.js';
import type { Log } from '../util/log.js';
import { LOOP_DELAY_SLOTS } from '../util/loop-delay.js';
import { threadName } from '../util/thread-name.js';
import type { MeshMemory } from './mesh.js';
import type { ControlOp } from './shard-host.js';
import type { ControlReply, ControlRequest, ReadyMessage, SwarmWorkerData } from './worker-messages.js';

const MAX_RESTARTS_IN_A_ROW = 3;
const STABLE_AFTER_MS = 5_000;

export interface SwarmPoolHooks {
  /** Owner `j` died: resolves once every I/O thread has settled its requests to it. */
  ownerDied(owner: number): Promise<unknown>;
  /** The swarm cannot be restored: the process should exit non-zero. */
  onFatal(err: Error): void;
}

interface SwarmThread {
  owner: number;
  worker: Worker;
  name: string;
  startedAt: number;
  restartsInARow: number;
  tid: number;
  ready: Promise<void>;
  control: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

export class SwarmPool {
  restarts = 0;
  /** Each worker's event-loop delay (p50, p99, max ms), kept across its restarts. */
  readonly loopDelays: Float64Array[];
  private readonly loopDelayMemory: SharedArrayBuffer[];
  private readonly threads: SwarmThread[] = [];
  private readonly workerFile = new URL('./swarm-worker.js', import.meta.url);
  private controlId = 0;
  private closing = false;

  constructor(private readonly settings: SwarmSettings, private readonly shards: readonly ShardMemory[],
    private readonly mesh: MeshMemory, private readonly log: Log, private readonly hooks: SwarmPoolHooks) {
    this.loopDelayMemory = Array.from({ length: mesh.owners }, () => new SharedArrayBuffer(LOOP_DELAY_SLOTS * 8));
    this.loopDelays = this.loopDelayMemory.map((m) => new Float64Array(m));
    for (let j = 0; j < mesh.owners; j++) this.threads.push(this.spawn(j, false, 0));
  }

  /** Resolves once every worker has started. */
  async ready(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.ready));
  }

  /** The Worker objects (tests kill one), and their OS thread ids (CPU accounting). */
  get workers(): Worker[] {
    return this.threads.map((t) => t.worker);
  }

  get threadIds(): { name: string; tid: number }[] {
    return this.threads.map((t) => ({ name: t.name, tid: t.tid }));
  }

  private spawn(owner: number, repair: boolean, restartsInARow: number): SwarmThread {
    const data: SwarmWorkerData = {
      owner, settings: this.settings, shards: [...this.shards], mesh: this.mesh, repair, loopDelay: this.loopDelayMemory[owner]!,
    };
    const name = threadName('swarm', owner);
    const worker = new Worker(this.workerFile, { workerData: data, name });
    let markReady!: () => void;
    const thread: SwarmThread = {
      owner, worker, name, startedAt: Date.now(), restartsInARow, tid: 0, control: new Map(),
      ready: new Promise<void>((resolve) => { markReady = resolve; }),
    };
    worker.on('message', (m: ReadyMessage | ControlReply) => {
      if ('ready' in m) {
        thread.tid = m.tid;
        markReady();
        return;
      }
      const waiter = thread.control.get(m.control);
      if (waiter === undefined) return;
      thread.control.delete(m.control);
      if (m.error !== undefined) waiter.reject(new Error(m.error));
      else waiter.resolve(m.result);
    });
    worker.on('error', (err) => this.log.info(`${name}: uncaught error: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => void this.onExit(thread, code));
    return thread;
  }

  private async onExit(t: SwarmThread, code: number): Promise<void> {
    if (this.closing || this.threads[t.owner] !== t) return;
    this.restarts++;
    for (const w of t.control.values()) w.reject(new Error(`${t.name} died`));
    const quickDeath = Date.now() - t.startedAt < STABLE_AFTER_MS;
    const inARow = quickDeath ? t.restartsInARow + 1 : 1;
    this.log.info(`${t.name} exited (code ${code}); restarting it over its tables (restart ${this.restarts})`);
    if (inARow > MAX_RESTARTS_IN_A_ROW) {
      this.hooks.onFatal(new Error(`${t.name} died ${inARow} times within ${STABLE_AFTER_MS} ms of starting: cannot restore the swarm`));
      return;
    }
    await this.hooks.ownerDied(t.owner);
    if (this.closing) return;
    this.threads[t.owner] = this.spawn(t.owner, true, inARow);
  }

  /** Runs an admin operation on the worker that owns the torrent. */
  control(owner: number, op: ControlOp, infoHash: Buffer): Promise<unknown> {
    const t = this.threads[owner]!;
    const control = ++this.controlId;
    return new Promise((resolve, reject) => {
      t.control.set(control, { resolve, reject });
      const msg: ControlRequest = { control, op, infoHash };
      t.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
