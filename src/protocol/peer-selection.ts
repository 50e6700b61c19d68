// The peers chosen for one announce reply, gathered by the swarm in wire form (6-byte IPv4 and 18-byte
// IPv6 compact entries, plus peer ids when a non-compact reply needs them). One instance per thread,
// reused for every announce; its size is fixed by the numwant cap.

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
