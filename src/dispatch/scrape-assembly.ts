// A scrape whose infohashes live on several workers: the parts are answered in parallel and merged
// here, by position, so the result keeps the request's order.

export class ScrapeAssembly {
  counts: Uint32Array;
  remaining = 0;
  failed = false;

  constructor(readonly sinkId: number, readonly requestId: number, readonly n: number) {
    this.counts = new Uint32Array(3 * n);
  }
}

/** Live assemblies by id; ids are reused, the table is bounded. */
export class ScrapeAssemblies {
  private readonly live = new Map<number, ScrapeAssembly>();
  private nextId = 1;

  constructor(private readonly max: number) {}

  /** A new assembly's id, or -1 when too many scrapes are in flight. */
  open(a: ScrapeAssembly): number {
    if (this.live.size >= this.max) return -1;
    let id = this.nextId;
    while (this.live.has(id)) id = (id % 0x7fff_ffff) + 1;
    this.nextId = (id % 0x7fff_ffff) + 1;
    this.live.set(id, a);
    return id;
  }

  get(id: number): ScrapeAssembly | undefined {
    return this.live.get(id);
  }

  close(id: number): void {
    this.live.delete(id);
  }
}
