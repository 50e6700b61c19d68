// What the UDP frontend needs from a socket: datagrams in, with their source as raw address bytes, and
// replies out, to raw address bytes. Two implementations: BatchSocket (the native addon: recvmmsg and
// sendmmsg, one JS call per batch) and DgramSocket (node:dgram, one call per datagram, when the addon
// is not there). The frontend never sees address text, which only logs and the JWT fair queue need.

/**
 * One received datagram, valid only during the call (`pkt` may be a view of a slot that is read into
 * again, so keep copies, never references). `source` is 4 bytes (IPv4, also a dual-stack socket's ::ffff:a.b.c.d) or 16
 * (IPv6), a view reused for the next datagram; `truncated` when it was longer than the receive slot
 * (`pkt` then holds its first bytes).
 */
export type DatagramHandler = (pkt: Buffer, source: Uint8Array, port: number, truncated: boolean) => void;

/** Counters a transport adds to (the thread's RequestStats). */
export interface TransportCounters {
  udpRepliesDropped: number;
}

export interface DatagramTransport {
  /** The port it is bound to. */
  readonly port: number;
  /**
   * Sends bytes[0, length) to the address in addr[at, at + 4) (family 4) or addr[at, at + 16) (family
   * 6), port `port`. The bytes are copied (or sent) before it returns; a reply that finds the queue
   * full is dropped and counted in udpRepliesDropped.
   */
  send(bytes: Uint8Array, length: number, addr: Uint8Array, at: number, family: number, port: number): void;
  /** Stops receiving and closes the socket (BatchSocket sends what it has queued first). */
  close(): Promise<void>;
}
