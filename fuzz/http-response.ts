// Reads HTTP/1.x responses out of a byte stream: status line, headers, and a body delimited by
// Content-Length, chunked encoding, or (for the last one) the connection closing. Strict enough to
// flag a response that is not HTTP at all.

export interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  /** the response's bytes as received */
  raw: Buffer;
}

export type ParseStep =
  | { kind: 'response'; response: HttpResponse; used: number }
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string };

const MAX_HEAD = 64 * 1024;

/**
 * One response from the start of `data`. `closed`: no more bytes will come (a body without a length
 * ends here). `noBody`: the request was HEAD (a response head only).
 */
export function parseResponse(data: Buffer, closed: boolean, noBody = false): ParseStep {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) {
    if (data.length > MAX_HEAD) return { kind: 'invalid', reason: 'response head over 64 KiB' };
    if (data.length >= 5 && !data.subarray(0, 5).equals(Buffer.from('HTTP/'))) return { kind: 'invalid', reason: 'not an HTTP response' };
    return { kind: 'incomplete' };
  }
  const head = data.toString('latin1', 0, end);
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (m === null) return { kind: 'invalid', reason: `bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}` };
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'invalid', reason: `bad header line ${JSON.stringify(line.slice(0, 80))}` };
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const status = Number(m[1]);
  const start = end + 4;
  if (noBody || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { kind: 'response', response: { status, headers, body: Buffer.alloc(0), raw: data.subarray(0, start) }, used: start };
  }
  const te = headers.get('transfer-encoding');
  if (te !== undefined && te.toLowerCase().includes('chunked')) {
    const chunks: Buffer[] = [];
    let i = start;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', i);
      if (lineEnd < 0) return closed ? { kind: 'invalid', reason: 'chunked body cut short' } : { kind: 'incomplete' };
      const size = parseInt(data.toString('latin1', i, lineEnd).split(';')[0]!, 16);
      if (!Number.isFinite(size) || size < 0) return { kind: 'invalid', reason: 'bad chunk size' };
      const dataStart = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = data.indexOf('\r\n', dataStart);
        if (trailerEnd < 0) return closed ? { kind: 'invalid', reason: 'chunked body cut short' } : { kind: 'incomplete' };
        const used = trailerEnd + 2;
        return { kind: 'response', response: { status, headers, body: Buffer.concat(chunks), raw: data.subarray(0, used) }, used };
      }
      if (data.length < dataStart + size + 2) return closed ? { kind: 'invalid', reason: 'chunked body cut short' } : { kind: 'incomplete' };
      chunks.push(data.subarray(dataStart, dataStart + size));
      i = dataStart + size + 2;
    }
  }
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) return { kind: 'invalid', reason: `bad Content-Length ${JSON.stringify(cl)}` };
    const used = start + Number(cl);
    if (data.length < used) return closed ? { kind: 'invalid', reason: 'body shorter than Content-Length' } : { kind: 'incomplete' };
    return { kind: 'response', response: { status, headers, body: data.subarray(start, used), raw: data.subarray(0, used) }, used };
  }
  if (!closed) return { kind: 'incomplete' };
  return { kind: 'response', response: { status, headers, body: data.subarray(start), raw: data }, used: data.length };
}
