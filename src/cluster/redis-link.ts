// The cluster link's connection to Redis: one node-redis client (a plain client, or a cluster client
// when `redisCluster` is set) for publishing and reading, and one dedicated connection per shard group
// for its blocking XREAD (a blocking read on a shared connection would hold up every other command to
// that node). Commands fail at once while Redis is away (no offline queue: our outbox is the one
// bounded buffer); the clients reconnect on their own.
import { createClient, createCluster, type RedisClientType, type RedisClusterType } from 'redis';
import { keySlot } from './key-slot.js';

export interface RedisLinkOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// (TLS); with `cluster`, any node of the cluster. */
  url: string;
  cluster: boolean;
  /** How long one connection attempt may take. */
  connectTimeoutMs: number;
  /** Delay between reconnection attempts. */
  reconnectMs: number;
  onError: (err: Error) => void;
}

type Arg = string | Buffer;
type Plain = RedisClientType;
type Cluster = RedisClusterType;

/** A dedicated connection (for one group's blocking reads). */
export interface DedicatedConnection {
  sendCommand<T>(args: Arg[], options?: object): Promise<T>;
  destroy(): void;
}

export class RedisLink {
  private constructor(private readonly opts: RedisLinkOptions, private readonly plain: Plain | null, private readonly cluster: Cluster | null) {}

  /** Connects (retrying until Redis answers, or `signal` aborts). */
  static async open(opts: RedisLinkOptions, signal: AbortSignal): Promise<RedisLink> {
    for (;;) {
      if (signal.aborted) throw new Error('closed');
      try {
        if (!opts.cluster) {
          const c = createClient(clientOptions(opts)) as Plain;
          c.on('error', opts.onError);
          await withAbort(c.connect(), signal, () => c.destroy());
          return new RedisLink(opts, c, null);
        }
        const u = new URL(opts.url);
        const base = clientOptions(opts);
        const c = createCluster({
          rootNodes: [{ url: opts.url }],
          defaults: { ...base, url: undefined, username: decodeURIComponent(u.username) || undefined, password: decodeURIComponent(u.password) || undefined },
        }) as unknown as Cluster;
        c.on('error', opts.onError);
        await withAbort(c.connect(), signal, () => void c.destroy());
        return new RedisLink(opts, null, c);
      } catch (err) {
        if (signal.aborted) throw new Error('closed');
        opts.onError(err as Error);
        await new Promise((r) => setTimeout(r, opts.reconnectMs));
      }
    }
  }

  get ready(): boolean {
    if (this.plain !== null) return this.plain.isReady;
    return this.cluster!.masters.some((m) => m.client !== undefined && (m.client as unknown as Plain).isReady);
  }

  /** One command, routed by `key`. */
  command<T>(key: string, args: Arg[], options?: object): Promise<T> {
    if (this.plain !== null) return this.plain.sendCommand<T>(args, options);
    return this.cluster!.sendCommand<T>(key, false, args, options);
  }

  /**
   * MULTI ... EXEC of `commands`, all on `key`'s slot. Replies come back as strings: node-redis applies
   * no type mapping to EXEC's replies, so read binary data with `command` (a script when it must be
   * atomic).
   */
  async transaction(key: string, commands: Arg[][]): Promise<unknown[]> {
    if (this.plain !== null) {
      const m = this.plain.multi();
      for (const c of commands) m.addCommand(c);
      return (await m.exec()) as unknown[];
    }
    const m = this.cluster!.MULTI(key);
    for (const c of commands) m.addCommand(key, false, c);
    return (await m.exec()) as unknown[];
  }

  /** A new connection to the node that holds `key` (re-resolved by the caller after a failure). */
  async dedicated(key: string): Promise<DedicatedConnection> {
    let c: Plain;
    if (this.plain !== null) {
      c = this.plain.duplicate() as Plain;
    } else {
      const master = this.cluster!.getSlotMaster(keySlot(key));
      const u = new URL(this.opts.url);
      u.hostname = master.host;
      u.port = String(master.port);
      c = createClient(clientOptions({ ...this.opts, url: u.toString() })) as Plain;
    }
    c.on('error', this.opts.onError);
    await c.connect();
    return {
      sendCommand: <T>(args: Arg[], options?: object) => c.sendCommand<T>(args, options),
      destroy: () => c.destroy(),
    };
  }

  close(): void {
    this.plain?.destroy();
    this.cluster?.destroy();
  }
}

function clientOptions(opts: RedisLinkOptions): Record<string, unknown> {
  return {
    url: opts.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: opts.connectTimeoutMs, reconnectStrategy: opts.reconnectMs, tls: opts.url.startsWith('rediss:') ? true : undefined },
  };
}

function withAbort<T>(p: Promise<T>, signal: AbortSignal, cancel: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { cancel(); reject(new Error('closed')); };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e as Error); });
  });
}
