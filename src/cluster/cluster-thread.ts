// The cluster link thread (cluster-01, when `redisURL` is set): the instance's one door to Redis. It
// loads the cluster's swarms at start (join), publishes this instance's changes every tick, tails the
// other instances' changes and hands them to the shard owners, checks every second that Redis still has
// each group's data (and republishes this instance's peers when it lost them), and keeps the link's
// state in shared memory. Announces never wait on any of it.
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { SHARD_GROUPS } from '../dispatch/cluster-messages.js';
import { formatElapsed } from '../util/duration-format.js';
import { threadId } from '../util/thread-id.js';
import { nameThisThread } from '../util/thread-name.js';
import type { ClusterThreadData, FromCluster } from './cluster-messages.js';
import { ensureEpoch, joinAll } from './joiner.js';
import { LinkSlot, LinkState } from './link-state.js';
import { Publisher } from './publisher.js';
import { groupKeys } from './redis-keys.js';
import { RedisLink } from './redis-link.js';
import { RemoteWriter } from './remote-writer.js';
import { SeenBatches, StreamTailer } from './tailer.js';

const data = workerData as ClusterThreadData;
nameThisThread('cluster-01');
const post = (m: FromCluster): void => parentPort!.postMessage(m);
const log = (level: number, line: string): void => post({ type: 'log', level, line });
const state = new LinkState(data.state);
const instanceId = randomBytes(8);
const writer = new RemoteWriter(data.mesh, data.shards);
const closing = new AbortController();
const r = data.redis;

let lastError = '';
function linkResult(ok: boolean, err?: Error): void {
  const connected = state.get(LinkSlot.Connected) === 1;
  if (ok && !connected) {
    const since = state.get(LinkSlot.DownSinceMs);
    state.set(LinkSlot.Connected, 1);
    state.set(LinkSlot.DownSinceMs, 0);
    if (since > 0) log(0, `cluster: redis link up again after ${formatElapsed(Date.now() - since)}`);
    else log(1, 'cluster: connected to redis');
  } else if (!ok && connected) {
    state.set(LinkSlot.Connected, 0);
    state.set(LinkSlot.DownSinceMs, Date.now());
    log(0, `cluster: redis link down (${err?.message ?? 'no answer'}); serving from local tables, holding changes`);
  }
  if (err !== undefined) lastError = err.message;
}

let pendingRepublish = 0;
/** Set once publishing runs: sends what is left before the thread ends (graceful stop). */
let finalFlush: (() => Promise<void>) | null = null;
const FINAL_FLUSH_MS = 2_000;
function republishLater(groups: number): void {
  pendingRepublish |= groups;
}

async function main(): Promise<void> {
  state.set(LinkSlot.ThreadId, threadId());
  state.set(LinkSlot.Connected, 0);
  state.set(LinkSlot.DownSinceMs, 0); // not down yet: connecting (a restarted link starts over too)
  const link = await RedisLink.open({
    url: r.url, cluster: r.cluster, connectTimeoutMs: r.connectTimeoutMs, reconnectMs: r.reconnectMs,
    onError: (err) => { lastError = err.message; },
  }, closing.signal);
  linkResult(true);
  const publisher = new Publisher(data.mesh, link, state, {
    prefix: r.prefix, instanceId, outboxChanges: r.outboxChanges, windowMs: data.windowMs,
    onResult: linkResult, onRepublishNeeded: republishLater,
  });
  const ticker = setInterval(() => publisher.tick(), r.tickMs);
  finalFlush = async () => {
    const deadline = Date.now() + FINAL_FLUSH_MS;
    publisher.tick();
    while (publisher.pending > 0 && state.get(LinkSlot.Connected) === 1 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 10));
      publisher.tick();
    }
  };

  // The reading connections first (opening 16 of them on a Redis Cluster takes a while), so that changes
  // flow in as soon as the instance reports ready. A single Redis: one reader for every group; a Redis
  // Cluster: one per group (an XREAD names keys of one slot only).
  const t0 = performance.now();
  const groups = Array.from({ length: SHARD_GROUPS }, (_, g) => ({ keys: groupKeys(r.prefix, g), lastId: '0-0', seen: new SeenBatches() }));
  const readers = r.cluster ? groups.map((g) => [g]) : [groups];
  const tailers = readers.map((gs) => new StreamTailer(gs, link, writer, state, {
    instanceId, reconnectMs: r.reconnectMs, isClosed: () => closing.signal.aborted,
    onError: (err) => log(1, `cluster: reading ${gs.length === 1 ? gs[0]!.keys.changes : 'the groups'}: ${err.message}; retrying`),
  }));
  await Promise.all(tailers.map((t) => t.connect()));

  // Join: until it succeeds (Redis may go away in the middle; a join is idempotent).
  let joined;
  for (;;) {
    try {
      joined = await joinAll(link, r.prefix, instanceId, writer, state);
      break;
    } catch (err) {
      linkResult(false, err as Error);
      await new Promise((res) => setTimeout(res, r.reconnectMs));
    }
  }
  const epochs = joined.map((j) => j.epoch);
  groups.forEach((g, i) => { g.lastId = joined[i]!.lastId; g.seen = joined[i]!.seen; });
  for (const t of tailers) void t.run();
  const ms = performance.now() - t0;
  state.set(LinkSlot.JoinMs, ms);
  state.set(LinkSlot.Synced, 1);
  post({ type: 'synced', changes: state.get(LinkSlot.JoinChanges), ms });
  if (data.republishAfterJoin) republishLater((1 << SHARD_GROUPS) - 1);

  // Once a second: expiry of quiet groups, Redis' memory of each group, republishes asked for.
  const second = setInterval(() => {
    publisher.refreshExpiry();
    void checkEpochs(link, epochs);
    if (pendingRepublish !== 0 && state.get(LinkSlot.Connected) === 1) {
      const groups = pendingRepublish;
      pendingRepublish = 0;
      state.add(LinkSlot.Republishes);
      log(1, `cluster: republishing this instance's peers of ${groups === (1 << SHARD_GROUPS) - 1 ? 'every group' : `groups 0x${groups.toString(16)}`}`);
      void writer.republish(groups);
    }
  }, 1000);
  closing.signal.addEventListener('abort', () => {
    clearInterval(ticker);
    clearInterval(second);
    for (const t of tailers) t.close();
    link.close();
  }, { once: true });
}

/** A group whose epoch key is gone (or changed) lost its data in Redis: set a new one, republish. */
async function checkEpochs(link: RedisLink, epochs: string[]): Promise<void> {
  let lost = 0;
  await Promise.all(epochs.map(async (known, g) => {
    try {
      const k = groupKeys(r.prefix, g);
      const now = await link.command<string | null>(k.epoch, ['GET', k.epoch]);
      linkResult(true);
      if (now === known) return;
      epochs[g] = now ?? await ensureEpoch(link, r.prefix, g);
      lost |= 1 << g;
    } catch (err) {
      linkResult(false, err as Error);
    }
  }));
  if (lost !== 0) {
    state.add(LinkSlot.DataLosses, popcount(lost));
    log(0, `cluster: redis lost the data of ${popcount(lost)} group(s); republishing this instance's peers there`);
    republishLater(lost);
  }
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n; v !== 0; v &= v - 1) c++;
  return c;
}

parentPort!.on('message', (m: { type: 'close' } | { type: 'last-error' }) => {
  if (m.type === 'close') {
    // A graceful stop publishes what this instance's last announces changed, then leaves.
    void (finalFlush?.() ?? Promise.resolve()).finally(() => {
      closing.abort();
      parentPort!.close();
    });
  } else {
    log(1, `cluster: last redis error: ${lastError}`);
  }
});

main().catch((err: unknown) => {
  if (!closing.signal.aborted) log(0, `cluster: link stopped: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
});
