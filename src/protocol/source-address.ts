// Textual IP addresses to raw bytes without allocating: for the datagram source address node:dgram
// hands over as a string ("203.0.113.7", "2001:db8::1", "::ffff:203.0.113.7" on a dual-stack socket,
// "fe80::1%eth0"), and for the HTTP `ip` parameters and proxy header. Parses into two reused arrays and
// folds IPv4-mapped IPv6 into plain IPv4 up front.

import { hexDigitValue } from '../util/hex.js';

/** ::ffff:a.b.c.d */
export function isV4Mapped(a: Uint8Array): boolean {
  return (
    a.length === 16 &&
    (a[0]! | a[1]! | a[2]! | a[3]! | a[4]! | a[5]! | a[6]! | a[7]! | a[8]! | a[9]!) === 0 &&
    a[10] === 0xff &&
    a[11] === 0xff
  );
}


export class SourceAddress {
  /** Filled when parse() returns it: an IPv4 source (also a mapped one). */
  readonly v4 = new Uint8Array(4);
  /** Filled when parse() returns it: a real IPv6 source. */
  readonly v6 = new Uint8Array(16);
  private readonly groups = new Uint16Array(8);

  /**
   * Parses a textual IP address. Returns `this.v4` or `this.v6` (valid until the next call), or null
   * when the text is not an address. A zone ("%eth0") is ignored.
   */
  parse(address: string): Uint8Array | null {
    let end = address.indexOf('%');
    if (end < 0) end = address.length;
    if (address.indexOf(':') < 0) return parseV4(address, 0, end, this.v4, 0) ? this.v4 : null;
    if (!this.parseV6(address, end)) return null;
    if (isV4Mapped(this.v6)) {
      for (let k = 0; k < 4; k++) this.v4[k] = this.v6[12 + k]!;
      return this.v4;
    }
    return this.v6;
  }

  /** RFC 4291 text forms: hex groups, one "::", an optional dotted IPv4 tail. */
  private parseV6(s: string, end: number): boolean {
    const g = this.groups;
    const out = this.v6;
    let n = 0; // groups written
    let gap = -1; // group index where "::" stands
    let i = 0;
    if (end >= 2 && s.charCodeAt(0) === 0x3a && s.charCodeAt(1) === 0x3a) {
      gap = 0;
      i = 2;
    } else if (end >= 1 && s.charCodeAt(0) === 0x3a) {
      return false;
    }
    while (i < end) {
      if (n === 8) return false;
      // a dotted IPv4 tail takes the last two groups
      let j = i;
      let value = 0;
      let digits = 0;
      for (; j < end && digits <= 4; j++) {
        const c = s.charCodeAt(j);
        const h = hexDigitValue(c);
        if (h < 0) break;
        value = (value << 4) | h;
        digits++;
      }
      if (j < end && s.charCodeAt(j) === 0x2e /* . */) {
        if (n > 6 || !parseV4(s, i, end, out, 12)) return false;
        g[n++] = (out[12]! << 8) | out[13]!;
        g[n++] = (out[14]! << 8) | out[15]!;
        i = end;
        break;
      }
      if (digits === 0 || digits > 4) return false;
      g[n++] = value;
      i = j;
      if (i === end) break;
      if (s.charCodeAt(i) !== 0x3a) return false;
      i++;
      if (i < end && s.charCodeAt(i) === 0x3a) {
        if (gap >= 0) return false;
        gap = n;
        i++;
      } else if (i === end) {
        return false; // trailing single ':'
      }
    }
    if (gap < 0 ? n !== 8 : n > 7) return false;
    // expand: groups before the gap, zeros, groups after it
    const tail = gap < 0 ? 0 : n - gap;
    const head = n - tail;
    let k = 0;
    for (let x = 0; x < head; x++, k += 2) {
      out[k] = g[x]! >>> 8;
      out[k + 1] = g[x]! & 0xff;
    }
    for (let x = 0; x < 8 - n; x++, k += 2) {
      out[k] = 0;
      out[k + 1] = 0;
    }
    for (let x = head; x < n; x++, k += 2) {
      out[k] = g[x]! >>> 8;
      out[k + 1] = g[x]! & 0xff;
    }
    return true;
  }
}

/** Dotted quad s[start, end) into out[o..o+4). No leading zeros beyond "0", each part 0..255. */
function parseV4(s: string, start: number, end: number, out: Uint8Array, o: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[o + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // leading zero ("01") is octal in some parsers
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}
