// Generates the UDP fuzzer's datagrams: every BEP 15 action (connect, announce, scrape, error, unknown),
// with a real connection ID (the runner gets them by connecting) or a forged one, BEP 41 options (NOP,
// end, URL data in chunks, unknown types, truncated and oversized lengths), random datagrams of 0..2048
// bytes, and byte-level mutations (bit flips, truncation, ...) on top. A pure function of the PRNG and
// the connection IDs it is given: the same seed gives the same sequence.
import { INFO_HASH_POOL, IPV4_POOL, PEER_ID_POOL, type TokenBook } from './identities.js';
import { mutate } from './mutate.js';
import type { Prng } from './prng.js';
import { percentEncodeAll } from './query.js';
import {
  ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, ACTION_SCRAPE, ANNOUNCE_BYTES, PROTOCOL_ID, announceRequest, connectRequest,
  headerOnly, ipv4Bytes, scrapeRequest, urlDataChunks,
} from './udp-packets.js';

export const MAX_DATAGRAM = 2048;

export type Family = 4 | 6;

export interface UdpInput {
  bytes: Buffer;
  family: Family;
  /** template and mutation names, for the report */
  tags: string;
}

/** The connection IDs the runner holds: the newest one issued to each family's socket. */
export interface ConnectionIdBook {
  current(family: Family): Buffer | null;
}

const U64_VALUES = [0n, 1n, 100n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn];
const NUMWANT_VALUES = [-1, -1, -1, 0, 1, 5, 50, 74, 199, 200, 201, 1000, 0x7fffffff, -2, -0x80000000];

export class UdpGenerator {
  constructor(private readonly rng: Prng, private readonly tokens: TokenBook | null, private readonly families: readonly Family[]) {}

  next(cids: ConnectionIdBook): UdpInput {
    const rng = this.rng;
    const family = this.families.length > 1 && rng.chance(0.3) ? this.families[1]! : this.families[0]!;
    const template = rng.weighted<string>([
      [10, 'connect'], [3, 'connect-bad-magic'], [40, 'announce'], [14, 'scrape'], [3, 'error-action'],
      [4, 'unknown-action'], [8, 'random'], [6, 'header+random'],
    ]);
    const tags: string[] = [template];
    let bytes: Buffer;
    switch (template) {
      case 'connect':
        bytes = connectRequest();
        if (rng.chance(0.1)) bytes = Buffer.concat([bytes, rng.bytes(rng.int(1, 64))]); // trailing bytes
        break;
      case 'connect-bad-magic': {
        bytes = connectRequest();
        const at = rng.below(8);
        bytes[at] = bytes[at]! ^ (1 << rng.below(8));
        break;
      }
      case 'announce':
        bytes = this.announce(this.cid(cids, family, tags), tags);
        break;
      case 'scrape':
        bytes = this.scrape(this.cid(cids, family, tags), tags);
        break;
      case 'error-action':
        bytes = headerOnly(this.cid(cids, family, tags), ACTION_ERROR, rng.bytes(rng.skewed(100)));
        break;
      case 'unknown-action': {
        const action = rng.chance(0.5) ? rng.pick([4, 5, 0xff, 0x100, 0x80000000, 0xffffffff]) : Math.max(4, rng.u32());
        bytes = headerOnly(this.cid(cids, family, tags), action, rng.bytes(rng.skewed(200)));
        break;
      }
      case 'random':
        return { bytes: rng.bytes(rng.chance(0.3) ? rng.below(32) : rng.below(MAX_DATAGRAM + 1)), family, tags: template };
      default: { // header+random: a real header, a body of random length
        const action = rng.pick([ACTION_CONNECT, ACTION_ANNOUNCE, ACTION_ANNOUNCE, ACTION_SCRAPE, ACTION_ERROR, 7]);
        tags.push(`action${action}`);
        bytes = headerOnly(this.cid(cids, family, tags), action, rng.bytes(rng.below(MAX_DATAGRAM - 16 + 1)));
      }
    }
    if (rng.chance(0.3)) {
      const m = mutate(rng, bytes, MAX_DATAGRAM);
      bytes = m.bytes;
      tags.push(...m.names);
    }
    if (bytes.length > MAX_DATAGRAM) bytes = bytes.subarray(0, MAX_DATAGRAM);
    return { bytes, family, tags: tags.join(',') };
  }

  /** The family's real connection ID most of the time, otherwise a forged or foreign one. */
  private cid(cids: ConnectionIdBook, family: Family, tags: string[]): Buffer {
    const rng = this.rng;
    const real = cids.current(family);
    if (real !== null && rng.chance(0.8)) return real;
    const kind = rng.pick(['zero', 'random', 'flip', 'window', 'other-family', 'magic', 'ones']);
    tags.push(`cid-${kind}`);
    switch (kind) {
      case 'zero':
        return Buffer.alloc(8);
      case 'random':
        return rng.bytes(8);
      case 'flip': {
        const f = Buffer.from(real ?? rng.bytes(8));
        const bit = rng.below(64);
        f[bit >> 3] = f[bit >> 3]! ^ (1 << (bit & 7));
        return f;
      }
      case 'window': {
        const f = Buffer.from(real ?? rng.bytes(8));
        f.writeUInt16BE((f.readUInt16BE(0) + rng.pick([1, 2, 0xffff])) & 0xffff, 0);
        return f;
      }
      case 'other-family': {
        const o = cids.current(family === 4 ? 6 : 4);
        return o ?? rng.bytes(8);
      }
      case 'magic':
        return Buffer.from(PROTOCOL_ID);
      default:
        return Buffer.alloc(8, 0xff);
    }
  }

  private announce(cid: Buffer, tags: string[]): Buffer {
    const rng = this.rng;
    const ih = rng.chance(0.9) ? rng.pick(INFO_HASH_POOL) : rng.bytes(20);
    const event = rng.chance(0.9) ? rng.below(4) : rng.pick([4, 5, 0x100, 0x102, 0x10000, 0xffffffff, rng.u32()]);
    const ipKind = rng.weighted<string>([[6, 'zero'], [3, 'pool'], [1, 'random']]);
    const ip = ipKind === 'zero' ? Buffer.alloc(4) : ipKind === 'pool' ? ipv4Bytes(rng.pick(IPV4_POOL)) : rng.bytes(4);
    let options: Buffer = Buffer.alloc(0);
    if (rng.chance(this.tokens !== null ? 0.85 : 0.5)) {
      options = this.options(ih, tags);
      tags.push('bep41');
    }
    return announceRequest({
      connectionId: cid,
      infoHash: ih,
      peerId: rng.chance(0.85) ? rng.pick(PEER_ID_POOL) : rng.bytes(20),
      downloaded: rng.pick(U64_VALUES),
      left: rng.chance(0.4) ? 0n : rng.pick(U64_VALUES),
      uploaded: rng.pick(U64_VALUES),
      event,
      ip,
      key: rng.u32(),
      numWant: rng.chance(0.8) ? rng.pick(NUMWANT_VALUES) : rng.u32() | 0,
      port: rng.chance(0.8) ? rng.int(1024, 65535) : rng.pick([0, 1, 65535]),
      options: options.subarray(0, MAX_DATAGRAM - ANNOUNCE_BYTES),
    });
  }

  /** BEP 41 options: the token as a client sends it, or 1..6 items, some well-formed, some not. */
  private options(ih: Buffer, tags: string[]): Buffer {
    const rng = this.rng;
    const own = this.tokens?.valid.get(ih.toString('hex'));
    if (own !== undefined && rng.chance(0.5)) {
      const url = urlDataChunks(Buffer.from(`/announce?jwt=${own}`, 'latin1'), rng.pick([255, 255, 200, 64]));
      return rng.chance(0.5) ? Buffer.concat([url, Buffer.from([0x00])]) : url;
    }
    const parts: Buffer[] = [];
    const items = rng.int(1, 6);
    for (let k = 0; k < items; k++) {
      const item = rng.weighted<string>([
        [6, 'url'], [2, 'nop'], [1, 'end'], [1, 'unknown-type'], [1, 'truncated'], [1, 'lone-type'], [1, 'oversized'], [1, 'empty-url'],
      ]);
      if (item !== 'url') tags.push(`opt-${item}`);
      switch (item) {
        case 'url':
          parts.push(urlDataChunks(this.urlPayload(ih), rng.pick([255, 255, 255, 128, 64, 16, 1, rng.int(1, 255)])));
          break;
        case 'nop':
          parts.push(Buffer.alloc(rng.int(1, 8), 0x01));
          break;
        case 'end':
          parts.push(Buffer.from([0x00]), rng.bytes(rng.chance(0.5) ? 0 : rng.int(1, 32)));
          break;
        case 'unknown-type': {
          const len = rng.skewed(64);
          parts.push(Buffer.from([rng.int(3, 255), len]), rng.bytes(len));
          break;
        }
        case 'truncated': { // a length past the end of the datagram: must end the options
          const len = rng.int(1, 255);
          parts.push(Buffer.from([0x02, len]), rng.bytes(rng.below(len)));
          return Buffer.concat(parts);
        }
        case 'lone-type':
          parts.push(Buffer.from([rng.pick([0x02, 0x03, 0xff])]));
          return Buffer.concat(parts);
        case 'oversized': // many full chunks: up to the datagram's size
          parts.push(urlDataChunks(Buffer.concat([Buffer.from('/announce?jwt='), rng.bytes(rng.int(255, 1800))]), 255));
          break;
        default:
          parts.push(Buffer.from([0x02, 0x00]));
      }
    }
    return Buffer.concat(parts);
  }

  private urlPayload(ih: Buffer): Buffer {
    const rng = this.rng;
    const t = this.tokens;
    const own = t?.valid.get(ih.toString('hex'));
    const kind = rng.weighted<string>([
      [own !== undefined ? 8 : 0, 'own'], [t !== null ? 1 : 0, 'foreign'], [t !== null ? 1 : 0, 'invalid'], [1, 'fake'], [1, 'empty-jwt'],
      [1, 'small'], [1, 'printable'], [1, 'bytes'], [1, 'broken-escape'], [t !== null ? 1 : 0, 'escaped'], [1, 'many-params'],
    ]);
    switch (kind) {
      case 'own':
        return Buffer.from(rng.chance(0.9) ? `/announce?jwt=${own}` : `/announce?foo=1&jwt=${own}&bar=%41`, 'latin1');
      case 'foreign':
        return Buffer.from(`/announce?jwt=${t!.valid.get(rng.pick(INFO_HASH_POOL).toString('hex'))}`, 'latin1');
      case 'invalid':
        return Buffer.from(`/announce?jwt=${rng.pick(t!.invalid)}`, 'latin1');
      case 'fake':
        return Buffer.from('/announce?jwt=eyJhbGciOiJSUzI1NiJ9.e30.c2ln', 'latin1');
      case 'empty-jwt':
        return Buffer.from(rng.pick(['/announce?jwt=', '/announce?jwt', '/announce?', '/announce', '?jwt=', '']), 'latin1');
      case 'small':
        return Buffer.from(rng.pick(['/?a=b', '/?a=b%20c', '/?', 'a=b', '/?jwt=%zz', '/?jwt=%', '/?&&;;==']), 'latin1');
      case 'printable': {
        const n = rng.skewed(400);
        let s = '';
        for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0x20, 0x7e));
        return Buffer.from(s, 'latin1');
      }
      case 'bytes':
        return rng.bytes(rng.skewed(400));
      case 'broken-escape':
        return Buffer.from(`/announce?jwt=${rng.pick(['%', '%z', '%4', '%%41', '%g0', 'ab%'])}`, 'latin1');
      case 'escaped': // the valid token, every byte percent-encoded
        return Buffer.from(`/announce?jwt=${percentEncodeAll(Buffer.from(own ?? 'x.y.z'))}`, 'latin1');
      default:
        return Buffer.from(`/announce?${'a=b&'.repeat(rng.int(1, 200))}jwt=${own ?? 'x'}`, 'latin1');
    }
  }

  private scrape(cid: Buffer, tags: string[]): Buffer {
    const rng = this.rng;
    const n = rng.pick([1, 1, 1, 2, 5, 20, 73, 74, 75, 100, 0, rng.int(0, 101)]);
    tags.push(`n${n}`);
    const hashes: Buffer[] = [];
    for (let i = 0; i < n; i++) hashes.push(rng.chance(0.8) ? rng.pick(INFO_HASH_POOL) : rng.bytes(20));
    return scrapeRequest(cid, hashes);
  }
}

