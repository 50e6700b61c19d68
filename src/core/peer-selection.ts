// The peers a store chose for one announce reply: endpoint records packed as 6 bytes (IPv4 address and
// port) and 18 bytes (IPv6), the compact layout of BEP 23 / BEP 7 / BEP 15, which is also the cheapest
// form to copy out of the peer tables; plus their peer ids when a non-compact HTTP reply needs them.
// One instance per thread, reused for every announce; its size is fixed by the numwant cap.

export class PeerSelection {
  readonly compact4: Buffer;
  readonly compact6: Buffer;
  readonly ids4: Buffer;
  readonly ids6: Buffer;
  n4 = 0;
  n6 = 0;
  wantIds = false;

  constructor(readonly maxPeers: number) {
    // Self-peer fallback can add one entry per family on top of maxPeers.
    this.compact4 = Buffer.alloc((maxPeers + 1) * 6);
    this.compact6 = Buffer.alloc((maxPeers + 1) * 18);
    this.ids4 = Buffer.alloc((maxPeers + 1) * 20);
    this.ids6 = Buffer.alloc((maxPeers + 1) * 20);
  }

  reset(wantIds: boolean): void {
    this.n4 = 0;
    this.n6 = 0;
    this.wantIds = wantIds;
  }

  get count(): number {
    return this.n4 + this.n6;
  }
}
