// Decoding tracker replies in tests: bencoded HTTP bodies and compact peer lists.
import bencode from 'bencode';

export type Dict = Record<string, unknown>;

export function decodeBody(body: Uint8Array): Dict {
  return bencode.decode(Buffer.from(body)) as Dict;
}

export function text(value: unknown): string {
  return Buffer.from(value as Uint8Array).toString('latin1');
}

/** "a.b.c.d:port" for each 6-byte entry. */
export function compact4(value: unknown): string[] {
  const b = Buffer.from((value as Uint8Array | undefined) ?? new Uint8Array());
  const out: string[] = [];
  for (let i = 0; i + 6 <= b.length; i += 6) out.push(`${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}:${b.readUInt16BE(i + 4)}`);
  return out;
}

/** "[hex groups]:port" for each 18-byte entry (full, uncompressed groups). */
export function compact6(value: unknown): string[] {
  const b = Buffer.from((value as Uint8Array | undefined) ?? new Uint8Array());
  const out: string[] = [];
  for (let i = 0; i + 18 <= b.length; i += 18) {
    const groups: string[] = [];
    for (let g = 0; g < 8; g++) groups.push(b.readUInt16BE(i + 2 * g).toString(16));
    out.push(`[${groups.join(':')}]:${b.readUInt16BE(i + 16)}`);
  }
  return out;
}
