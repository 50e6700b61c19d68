// Per-thread UDP sockets on one port through SO_REUSEPORT, and their batched reads and writes, from the
// native addon built out of native/reuseport/ (scripts/build-native.mjs -> build/native/reuseport.node).
//
// Why an addon: Node 20's dgram has no reusePort (the option is ignored and a second bind fails with
// EADDRINUSE), and reuseAddr on Linux gives every datagram to the socket bound last. With one
// SO_REUSEPORT socket per I/O thread the kernel spreads datagrams over the threads by a hash of the
// source address and port, and wakes only the thread whose socket got the datagram. The same addon
// reads and writes them in batches (BatchSocket), which node:dgram cannot.
//
// The addon is optional: without it (no C compiler at build time, another OS, a failed load)
// reusePortSupport() says why, openReusePortUdpSocket() and batchIoAddon() return null; hayate then
// serves UDP from one node:dgram socket on its first I/O thread and says so at start. (Sharing one
// socket between threads by its fd works too, but one thread's close unbinds it for all, which a
// restartable thread cannot live with.)
//
// Who closes the fd: the caller, until BatchSocket has taken it (which closes it also when it refuses it).
import { defaultAddonPath, loadNativeAddon } from '../../util/native-addon.js';
import type { BatchIoAddon } from './batch-socket.js';

export { REUSEPORT_ADDON_ENV, defaultAddonPath } from '../../util/native-addon.js';

export type ReusePortSupport = { ok: true; addonPath: string } | { ok: false; addonPath: string; reason: string };

interface ReusePortAddon extends BatchIoAddon {
  open(host: string, port: number, ipv6: boolean, reusePort?: boolean): number;
}

type Loaded = { ok: true; addon: ReusePortAddon } | { ok: false; reason: string };

function load(addonPath: string): Loaded {
  const l = loadNativeAddon(addonPath);
  if (!l.ok) return l;
  const addon = l.addon as Partial<ReusePortAddon>;
  return typeof addon.open === 'function' && typeof addon.attach === 'function' ? { ok: true, addon: addon as ReusePortAddon }
    : { ok: false, reason: `${addonPath} has no open() and attach() functions (not hayate's addon, or an old build?)` };
}

/** Whether per-thread SO_REUSEPORT sockets can be had, and if not, why. Loads the addon once per thread. */
export function reusePortSupport(addonPath = defaultAddonPath()): ReusePortSupport {
  const l = load(addonPath);
  return l.ok ? { ok: true, addonPath } : { ok: false, addonPath, reason: l.reason };
}

export function reusePortAvailable(addonPath = defaultAddonPath()): boolean {
  return load(addonPath).ok;
}

/**
 * A new non-blocking UDP socket with SO_REUSEPORT (unless `reusePort` is false: a lone socket, which
 * fails on a port that is taken instead of sharing it), bound to host:port; its fd, for BatchSocket.
 * `host` is a numeric address: IPv4 for 'udp4'; IPv6 for 'udp6' (dual-stack: "::" takes IPv4 too).
 * Null when the addon is not available (see reusePortSupport for why). Throws on a socket error, with
 * the errno text and `code` set (EADDRINUSE when a socket without SO_REUSEPORT holds the port, or one
 * of another user). Port 0 gives each call a port of its own: bind the first, read its port, then
 * open the others on that port.
 */
export function openReusePortUdpSocket(host: string, port: number, type: 'udp4' | 'udp6', reusePort = true, addonPath = defaultAddonPath()): number | null {
  const l = load(addonPath);
  if (!l.ok) return null;
  return l.addon.open(host, port, type === 'udp6', reusePort);
}

/** The addon's batched UDP I/O (BatchSocket), or null without the addon. */
export function batchIoAddon(addonPath = defaultAddonPath()): BatchIoAddon | null {
  const l = load(addonPath);
  return l.ok ? l.addon : null;
}
