// Reply bytes on their way to node:dgram without an allocation per datagram. A send either completes
// inside socket.send (the kernel copied the bytes) or is queued by libuv, which then holds a view of
// the ring. The frontend writes into the ring only while nothing is queued, and a queue drains in
// order, so by the time the ring wraps back to a region (RING_BYTES of later replies, all written with
// an empty queue) every datagram that region held has left. With a queue, replies are copied instead.

/** The largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP header bytes): no reply can be longer. */
export const MAX_DATAGRAM_BYTES = 65_507;
const RING_BYTES = 1 << 20;

export class ReplyRing {
  readonly bytes = Buffer.alloc(RING_BYTES);
  private next = 0;

  /** Copies bytes[0, length) in and returns where they start. */
  put(src: Uint8Array, length: number): number {
    if (length > MAX_DATAGRAM_BYTES) throw new RangeError(`reply of ${length} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
    let at = this.next;
    if (at + length > RING_BYTES) at = 0;
    if (length === src.length) this.bytes.set(src, at);
    else for (let i = 0; i < length; i++) this.bytes[at + i] = src[i]!;
    this.next = at + length;
    return at;
  }
}
