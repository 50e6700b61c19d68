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

/**
 * The fairness key of a client address: the address itself for IPv4 (an IPv4-mapped IPv6 address is its
 * IPv4 address), the /64 for IPv6, written one way whatever the spelling (`2001:DB8:0:1::5` and
 * `2001:db8::1:0:0:7` share `2001:db8:0:1::/64`). Text that is not an address is its own key.
 */
export function sourceKeyOf(address: string): string {
  if (!address.includes(':')) return address;
  const g = ipv6Groups(address);
  if (g === null) return address;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >>> 8}.${g[6]! & 255}.${g[7]! >>> 8}.${g[7]! & 255}`;
  }
  return `${g[0]!.toString(16)}:${g[1]!.toString(16)}:${g[2]!.toString(16)}:${g[3]!.toString(16)}::/64`;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address (a zone is ignored; a trailing dotted quad is two groups), or null. */
function ipv6Groups(address: string): number[] | null {
  const zone = address.indexOf('%');
  const a = zone < 0 ? address : address.slice(0, zone);
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string, last: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const q = last && i === items.length - 1 ? DOTTED.exec(item) : null;
      if (q !== null) {
        const b = q.slice(1).map(Number);
        if (b.some((x) => x > 255)) return null;
        out.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
      } else if (HEX_GROUP.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = parse(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parse(halves[1]!, true) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  return fill < 1 ? null : [...head, ...new Array<number>(fill).fill(0), ...tail];
}
