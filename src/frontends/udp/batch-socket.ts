// UDP through the native addon's batched I/O (native/reuseport/batch-io.c): the thread's event loop
// polls the socket, recvmmsg reads up to BATCH datagrams into fixed slots of one buffer, and JS gets
// one call per batch; replies are packed into a send buffer and leave in one sendmmsg per flush (at
// the end of each batch, or once per microtask checkpoint for replies that come back over the rings;
// sendmmsg calls of up to 64 each).
// No Buffer, remote-info object or send request per datagram: node:dgram's per-datagram costs, which
// were most of an announce's, are paid once per batch.
import { closeSync } from 'node:fs';
import type { DatagramHandler, DatagramTransport, TransportCounters } from './datagram-transport.js';

/** Datagrams per recvmmsg: batch-io.c's BATCH. */
const BATCH = 64;
const META_BYTES = 32;
/** Reply bytes and replies that may wait for one sendmmsg flush. */
const SEND_BYTES = 1 << 20;
const SEND_ENTRIES = 1024;

export interface BatchIoAddon {
  attach(fd: number, recv: Buffer, slotBytes: number, recvMeta: Buffer, send: Buffer, sendMeta: Buffer, onBatch: (n: number) => void): object;
  send(handle: object, count: number): number;
  lastErrors(handle: object): number;
  close(handle: object): void;
  localPort(fd: number): number;
}

export class BatchSocket implements DatagramTransport {
  readonly port: number;
  private readonly recv: Buffer;
  private readonly recvMeta = Buffer.alloc(BATCH * META_BYTES);
  private readonly sendBytes = Buffer.alloc(SEND_BYTES);
  private readonly sendMeta = Buffer.alloc(SEND_ENTRIES * META_BYTES);
  private readonly handle: object;
  private readonly v4 = new Uint8Array(4);
  private readonly v6 = new Uint8Array(16);
  /** Replies queued and their bytes. */
  private queued = 0;
  private queuedBytes = 0;
  private inBatch = false;
  private flushScheduled = false;
  private closed = false;
  /** Called after each batch (and its replies' flush): the I/O thread looks at its rings then. */
  afterBatch: (() => void) | null = null;
  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /**
   * Takes over `fd` (a bound, non-blocking UDP socket from the addon's open()): from here on it is
   * closed by close(), or by the addon when the thread ends (and here, if the addon refuses it). Every
   * datagram up to `slotBytes` arrives whole; a longer one arrives truncated, flagged. A datagram's
   * bytes are a view of the slot, valid only during the handler's call (the slot is read into again).
   */
  constructor(private readonly addon: BatchIoAddon, fd: number, private readonly slotBytes: number,
    private readonly onDatagram: DatagramHandler, private readonly counters: TransportCounters) {
    this.recv = Buffer.alloc(BATCH * slotBytes);
    try {
      this.port = addon.localPort(fd);
      this.handle = addon.attach(fd, this.recv, slotBytes, this.recvMeta, this.sendBytes, this.sendMeta, this.onBatch);
    } catch (err) {
      closeSync(fd); // taken over, even when refused: never leaked
      throw err;
    }
  }

  private readonly onBatch = (n: number): void => {
    this.inBatch = true;
    const meta = this.recvMeta;
    try {
      for (let i = 0; i < n; i++) {
        const m = i * META_BYTES;
        const length = meta.readUInt32LE(m);
        const truncated = meta[m + 7] === 1;
        const at = i * this.slotBytes;
        const pkt = this.recv.subarray(at, at + (truncated ? this.slotBytes : length));
        let source: Uint8Array;
        if (meta[m + 6] === 4) {
          source = this.v4;
          for (let k = 0; k < 4; k++) source[k] = meta[m + 8 + k]!;
        } else {
          source = this.v6;
          for (let k = 0; k < 16; k++) source[k] = meta[m + 8 + k]!;
        }
        this.onDatagram(pkt, source, meta.readUInt16LE(m + 4), truncated);
      }
    } finally {
      this.inBatch = false;
      this.flush();
    }
    this.afterBatch?.();
  };

  send(bytes: Uint8Array, length: number, addr: Uint8Array, at: number, family: number, port: number): void {
    if (this.closed) return;
    if (this.queued === SEND_ENTRIES || this.queuedBytes + length > SEND_BYTES) {
      this.flush();
      if (length > SEND_BYTES) { // larger than the whole buffer (no reply is: MAX_DATAGRAM_BYTES)
        this.counters.udpRepliesDropped++;
        return;
      }
    }
    const off = this.queuedBytes;
    if (length === bytes.length) this.sendBytes.set(bytes, off);
    else this.sendBytes.set(bytes.subarray(0, length), off);
    const m = this.queued * META_BYTES;
    const meta = this.sendMeta;
    meta.writeUInt32LE(off, m);
    meta.writeUInt32LE(length, m + 4);
    meta.writeUInt16LE(port, m + 8);
    meta[m + 10] = family;
    const n = family === 4 ? 4 : 16;
    for (let k = 0; k < n; k++) meta[m + 16 + k] = addr[at + k]!;
    this.queued++;
    this.queuedBytes = (off + length + 7) & ~7;
    if (!this.inBatch && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushLater);
    }
  }

  /** Sends what is queued; what the kernel's full send buffer leaves is dropped and counted. */
  flush(): void {
    const n = this.queued;
    if (n === 0 || this.closed) return;
    this.queued = 0;
    this.queuedBytes = 0;
    const done = this.addon.send(this.handle, n);
    const refused = this.addon.lastErrors(this.handle);
    if (done < n || refused > 0) this.counters.udpRepliesDropped += n - done + refused;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.addon.close(this.handle);
    }
    return Promise.resolve();
  }
}
