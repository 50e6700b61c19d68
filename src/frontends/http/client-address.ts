// Which endpoints an HTTP announce registers. With allowIPSpoofing, the `ip`, `ipv4` and `ipv6` query
// parameters win (chihaya v1); otherwise the `realIPHeader` (first element of a comma list), and when
// that header is absent or unparsable, the socket's address (v1 failed the request: a bug we fix).
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { FLAG_HAS_V4, FLAG_HAS_V6, FLAG_V6_CAPABLE, OFF_FLAGS, OFF_IPV4, OFF_IPV6 } from '../../core/announce-record.js';
import type { AnnounceQueryParser } from '../../protocol/http/http-query.js';
import { Family, parseIP } from '../../protocol/ip.js';
import { isV4Mapped } from '../../protocol/source-address.js';
import { percentDecodeToString } from '../../protocol/http/percent.js';

export class ClientAddress {
  private readonly ip = new Uint8Array(16);
  private readonly header: string;

  constructor(realIPHeader: string, private readonly allowIPSpoofing: boolean, private readonly dualStackedPeers: boolean) {
    this.header = realIPHeader.toLowerCase();
  }

  /** Writes the announcer's endpoints and family flags into `rec`. */
  resolve(res: HttpResponse, req: HttpRequest, query: string, parsed: AnnounceQueryParser, rec: Buffer): void {
    let flags = rec[OFF_FLAGS]! & ~(FLAG_HAS_V4 | FLAG_HAS_V6 | FLAG_V6_CAPABLE);
    if (this.allowIPSpoofing) {
      flags |= this.param(query, parsed.ipStart, parsed.ipEnd, rec, Family.None);
      flags |= this.param(query, parsed.ipv4Start, parsed.ipv4End, rec, Family.V4);
      flags |= this.param(query, parsed.ipv6Start, parsed.ipv6End, rec, Family.V6);
    }
    if ((flags & (FLAG_HAS_V4 | FLAG_HAS_V6)) === 0) flags |= this.real(res, req, rec);
    if (!this.dualStackedPeers && (flags & FLAG_HAS_V4) !== 0) flags &= ~FLAG_HAS_V6;
    if ((flags & FLAG_HAS_V6) !== 0) flags |= FLAG_V6_CAPABLE;
    rec[OFF_FLAGS] = flags;
  }

  private param(query: string, start: number, end: number, rec: Buffer, only: Family): number {
    if (start < 0) return 0;
    const text = percentDecodeToString(query, start, end);
    if (text === null) return 0;
    return this.store(parseIP(text, this.ip), rec, only);
  }

  private store(family: Family, rec: Buffer, only: Family = Family.None): number {
    if (family === Family.None || (only !== Family.None && family !== only)) return 0;
    if (family === Family.V4) {
      rec.set(this.ip.subarray(0, 4), OFF_IPV4);
      return FLAG_HAS_V4;
    }
    rec.set(this.ip, OFF_IPV6);
    return FLAG_HAS_V6;
  }

  /**
   * The client's address as text: the realIPHeader's first element when configured and present, else
   * the socket's address. Rare path (the JWT queue's fairness key): it allocates.
   */
  sourceText(res: HttpResponse, req: HttpRequest): string {
    if (this.header !== '') {
      const value = req.getHeader(this.header);
      if (value !== '') {
        const comma = value.indexOf(',');
        const first = (comma < 0 ? value : value.slice(0, comma)).trim();
        if (parseIP(first, this.ip) !== Family.None) return first;
      }
    }
    return Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
  }

  private real(res: HttpResponse, req: HttpRequest, rec: Buffer): number {
    if (this.header !== '') {
      const value = req.getHeader(this.header);
      if (value !== '') {
        const comma = value.indexOf(',');
        const first = (comma < 0 ? value : value.slice(0, comma)).trim();
        const flag = this.store(parseIP(first, this.ip), rec);
        if (flag !== 0) return flag;
      }
    }
    const raw = new Uint8Array(res.getRemoteAddress());
    if (raw.length === 4 || isV4Mapped(raw)) {
      rec.set(raw.subarray(raw.length - 4), OFF_IPV4);
      return FLAG_HAS_V4;
    }
    rec.set(raw, OFF_IPV6);
    return FLAG_HAS_V6;
  }
}
