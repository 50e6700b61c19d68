// Hand-written bencode output for the hot paths: constant byte prefixes copied into a preallocated
// buffer, integers written digit by digit. The generic `bencode` package serves tests and rare paths.

/** ASCII bytes of a constant, computed once at module load. */
export function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Copies `bytes` into `out` at `offset`; returns the offset after it. */
export function putBytes(out: Uint8Array, offset: number, bytes: Uint8Array): number {
  out.set(bytes, offset);
  return offset + bytes.length;
}

/** Writes the decimal digits of a non-negative safe integer; returns the offset after them. */
export function putUint(out: Uint8Array, offset: number, value: number): number {
  if (value < 10) {
    out[offset] = 0x30 + value;
    return offset + 1;
  }
  let digits = 0;
  for (let v = value; v >= 1; v = Math.floor(v / 10)) digits++;
  let o = offset + digits;
  for (let v = value; v >= 1; v = Math.floor(v / 10)) out[--o] = 0x30 + (v % 10);
  return offset + digits;
}

/** `i<value>e` */
export function putBInt(out: Uint8Array, offset: number, value: number): number {
  out[offset] = 0x69; // i
  const o = putUint(out, offset + 1, value);
  out[o] = 0x65; // e
  return o + 1;
}

/** `<length>:` header of a byte string. */
export function putBStringHeader(out: Uint8Array, offset: number, length: number): number {
  const o = putUint(out, offset, length);
  out[o] = 0x3a; // :
  return o + 1;
}

/** `<length>:<bytes>` for a latin1 text. */
export function putBText(out: Buffer, offset: number, text: string): number {
  const o = putBStringHeader(out, offset, text.length);
  return o + out.write(text, o, "latin1");
}
