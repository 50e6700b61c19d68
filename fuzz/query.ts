// The harness's own reading of a tracker query string (what a compliant tracker must see in it): `&`
// and `;` separate pairs, `+` is a space, %XX decodes to the raw byte. Used only to decide which
// assertions apply (does this announce carry a valid token? a whitelisted peer_id?), so where the
// reading is ambiguous (a broken escape) it returns null and those assertions are skipped.

/**
 * Decoded values by key, or null when the reading is not certain: a broken escape, a key that is
 * escaped or not lowercase (trackers differ: chihaya decodes keys and matches them exactly, hayate
 * matches raw keys case-insensitively), or a '?' inside the query (a separator to some).
 */
export function decodeQuery(q: Buffer): Map<string, Buffer[]> | null {
  if (q.includes(0x3f)) return null;
  const out = new Map<string, Buffer[]>();
  let start = 0;
  for (let i = 0; i <= q.length; i++) {
    if (i < q.length && q[i] !== 0x26 && q[i] !== 0x3b) continue;
    if (i > start) {
      const pair = q.subarray(start, i);
      const eq = pair.indexOf(0x3d);
      const rawKey = eq < 0 ? pair : pair.subarray(0, eq);
      for (const c of rawKey) if (c === 0x25 || (c >= 0x41 && c <= 0x5a) || c >= 0x7f) return null;
      const k = percentDecode(rawKey);
      const v = percentDecode(eq < 0 ? Buffer.alloc(0) : pair.subarray(eq + 1));
      if (k === null || v === null) return null;
      const key = k.toString('latin1');
      const list = out.get(key);
      if (list === undefined) out.set(key, [v]);
      else list.push(v);
    }
    start = i + 1;
  }
  return out;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

export function percentDecode(s: Buffer): Buffer | null {
  const out = Buffer.allocUnsafe(s.length);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === 0x25) {
      const h = i + 1 < s.length ? hexVal(s[i + 1]!) : -1;
      const l = i + 2 < s.length ? hexVal(s[i + 2]!) : -1;
      if (h < 0 || l < 0) return null;
      out[o++] = (h << 4) | l;
      i += 2;
    } else if (c === 0x2b) {
      out[o++] = 0x20;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

/** Each byte as %XX (uppercase or lowercase hex). */
export function percentEncodeAll(b: Buffer, upper = false): string {
  let s = '';
  for (const byte of b) {
    const h = byte.toString(16).padStart(2, '0');
    s += '%' + (upper ? h.toUpperCase() : h);
  }
  return s;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Unreserved bytes as themselves, the rest as %XX (what most clients send). */
export function percentEncodeMinimal(b: Buffer): string {
  let s = '';
  for (const byte of b) {
    const ch = String.fromCharCode(byte);
    s += byte < 0x80 && UNRESERVED.test(ch) ? ch : '%' + byte.toString(16).padStart(2, '0');
  }
  return s;
}
