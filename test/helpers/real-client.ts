// Shared setup for the e2e suites that drive a real BitTorrent tracker client (webtorrent's
// bittorrent-tracker; its WebRTC part is a stub) against the tracker, over HTTP or UDP: the client
// type, a factory, a bounded wait for the client's next event and a bounded destroy.
import { peerId, within } from './tracker.js';

export interface TrackerClient {
  on(event: string, listener: (arg: never) => void): void;
  once(event: string, listener: (arg: never) => void): void;
  removeListener(event: string, listener: (arg: never) => void): void;
  start(opts?: Record<string, unknown>): void;
  stop(opts?: Record<string, unknown>): void;
  complete(opts?: Record<string, unknown>): void;
  update(opts?: Record<string, unknown>): void;
  scrape(opts?: Record<string, unknown>): void;
  destroy(cb?: (err?: Error | null) => void): void;
}
export type ClientCtor = new (opts: Record<string, unknown>) => TrackerClient;

// No type declarations ship with bittorrent-tracker; a computed specifier keeps tsc out of it.
const clientSpecifier: string = 'bittorrent-tracker';
export const { Client } = (await import(clientSpecifier)) as { Client: ClientCtor };

/** Bound on every wait for the client (an event, a destroy). */
export const WAIT = 5_000;

/** What the client hands to `update` listeners. */
export interface Update { complete?: number; incomplete?: number; announce?: string }
/** What the client hands to `scrape` listeners. */
export interface Scrape { complete?: number; incomplete?: number; downloaded?: number; infoHash?: string; announce?: string }

/**
 * A client of `infoHash` (hex) announcing to `announce` as peer `tag` on `port`, with `left` bytes left
 * (a function is asked at every announce). Its `error` and `warning` events get a no-op listener, so
 * they surface through nextEvent and never as an unhandled 'error'.
 */
export function makeClient(opts: {
  infoHash: string;
  tag: string;
  announce: string[];
  port: number;
  left: number | (() => number);
}): TrackerClient {
  const { left } = opts;
  const c = new Client({
    infoHash: opts.infoHash,
    peerId: peerId(opts.tag, '-WW0210-'),
    announce: opts.announce,
    port: opts.port,
    getAnnounceOpts: () => ({ uploaded: 0, downloaded: 0, left: typeof left === 'number' ? left : left() }),
  });
  c.on('error', () => {});
  c.on('warning', () => {});
  return c;
}

/**
 * The first `event` argument accepted by `accept`; rejects on `error`, on `warning`, or after WAIT ms.
 * Its listeners are removed on every outcome, the timeout included.
 */
export function nextEvent<T>(client: TrackerClient, event: string, what: string, accept: (arg: T) => boolean = () => true): Promise<T> {
  let cleanup = (): void => {};
  const p = new Promise<T>((resolve, reject) => {
    const onEvent = (arg: T): void => {
      if (!accept(arg)) return;
      cleanup();
      resolve(arg);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new Error(`${what}: client error: ${err.message}`, { cause: err }));
    };
    const onWarning = (err: Error): void => {
      cleanup();
      reject(new Error(`${what}: tracker warning: ${err.message}`, { cause: err }));
    };
    cleanup = (): void => {
      client.removeListener(event, onEvent as (arg: never) => void);
      client.removeListener('error', onError as (arg: never) => void);
      client.removeListener('warning', onWarning as (arg: never) => void);
    };
    client.on(event, onEvent as (arg: never) => void);
    client.on('error', onError as (arg: never) => void);
    client.on('warning', onWarning as (arg: never) => void);
  });
  return within(WAIT, what, p).finally(() => cleanup());
}

/** Destroys `client`, waiting at most WAIT ms; never rejects. */
export function destroy(client: TrackerClient): Promise<void> {
  return within(WAIT, 'client.destroy', new Promise<void>((resolve) => client.destroy(() => resolve()))).catch(() => {});
}

/** Empties `clients` and destroys each of them in turn. */
export async function destroyAll(clients: TrackerClient[]): Promise<void> {
  for (const c of clients.splice(0)) await destroy(c);
}
