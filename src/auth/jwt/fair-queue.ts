// Tokens waiting for a verification thread, queued per source and served round-robin, so a flood of
// tokens from a few addresses (each one a full RSA verification when the tokens are forged) takes its
// turn like everyone else instead of starving new, legitimate clients. Each source may hold only a few
// tokens in the queue; the queue as a whole is bounded too. Sources are IPv4 addresses and IPv6 /64
// prefixes (an IPv6 host usually owns a whole /64).

export class FairQueue<T> {
  private readonly bySource = new Map<string, T[]>();
  /** Sources with something queued, in service order. */
  private readonly order: string[] = [];
  private next = 0;
  private total = 0;

  constructor(private readonly maxTotal: number, private readonly maxPerSource: number) {}

  get size(): number {
    return this.total;
  }

  /** False when the queue, or this source's share of it, is full (the caller answers busy). */
  push(source: string, item: T): boolean {
    if (this.total >= this.maxTotal) return false;
    let q = this.bySource.get(source);
    if (q === undefined) {
      q = [];
      this.bySource.set(source, q);
      this.order.push(source);
    } else if (q.length >= this.maxPerSource) {
      return false;
    }
    q.push(item);
    this.total++;
    return true;
  }

  /** The next item, one source after another; undefined when empty. */
  shift(): T | undefined {
    if (this.total === 0) return undefined;
    if (this.next >= this.order.length) this.next = 0;
    const source = this.order[this.next]!;
    const q = this.bySource.get(source)!;
    const item = q.shift()!;
    this.total--;
    if (q.length === 0) {
      this.bySource.delete(source);
      this.order.splice(this.next, 1); // the next source slides into this position
    } else {
      this.next++;
    }
    return item;
  }

  /** Removes and returns everything (close). */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }
}

/** The fairness key of a client address: the address itself for IPv4, its /64 for IPv6. */
export function sourceKeyOf(address: string): string {
  if (!address.includes(':')) return address;
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7); // IPv4-mapped
  const groups = expandIPv6(address);
  return groups === null ? address : `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] | null {
  const zone = address.indexOf('%');
  const a = zone < 0 ? address : address.slice(0, zone);
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  return groups.length >= 4 ? groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')) : null;
}
