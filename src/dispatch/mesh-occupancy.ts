// How full the mesh's rings are, per shard owner and direction, summed over the I/O threads: a busy
// owner shows as request rings that fill up (and then as "tracker busy" refusals). Read at scrape time.
import type { MeshMemory } from './mesh.js';
import { RingOccupancy } from './ring.js';

export interface OwnerOccupancy {
  owner: number;
  direction: 'request' | 'reply';
  usedBytes: number;
  capacityBytes: number;
}

export class MeshOccupancy {
  private readonly rings: { owner: number; direction: 'request' | 'reply'; ring: RingOccupancy }[] = [];

  constructor(mesh: MeshMemory) {
    for (let i = 0; i < mesh.ioThreads; i++) {
      for (let j = 0; j < mesh.owners; j++) {
        const rq = mesh.requests[i]![j];
        const rp = mesh.replies[i]![j];
        if (rq) this.rings.push({ owner: j, direction: 'request', ring: new RingOccupancy(rq) });
        if (rp) this.rings.push({ owner: j, direction: 'reply', ring: new RingOccupancy(rp) });
      }
    }
  }

  /** Per owner and direction, every ring's fill added up (an owner with no ring, workers: 0 and one
   *  I/O thread, has none). */
  read(): OwnerOccupancy[] {
    const out = new Map<string, OwnerOccupancy>();
    for (const { owner, direction, ring } of this.rings) {
      const key = `${owner}/${direction}`;
      let o = out.get(key);
      if (o === undefined) out.set(key, o = { owner, direction, usedBytes: 0, capacityBytes: 0 });
      o.usedBytes += ring.usedBytes;
      o.capacityBytes += ring.capacityBytes;
    }
    return [...out.values()];
  }
}
