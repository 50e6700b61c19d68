// Builds 80-byte announce records for tests of the swarm layer (what a frontend would have parsed).
import {
  ANNOUNCE_RECORD_BYTES, Event, FLAG_HAS_V4, FLAG_HAS_V6, FLAG_SEEDING, FLAG_V6_CAPABLE, OFF_EVENT, OFF_FLAGS,
  OFF_INFO_HASH, OFF_IPV4, OFF_IPV6, OFF_NUM_WANT, OFF_PEER_ID, OFF_PORT, OFF_REPLY_KIND, OFF_TRANSACTION_ID, ReplyKind,
} from '../../src/core/announce-record.js';
import { parseIP } from '../../src/protocol/ip.js';

export interface RecordSpec {
  infoHash: Buffer | string;   // 20 bytes, or a label padded to 20
  peerId: Buffer | string;     // 20 bytes, or a label padded to 20
  v4?: string;
  v6?: string;
  port?: number;
  event?: Event;
  numWant?: number;
  seeding?: boolean;
  kind?: ReplyKind;
  transactionId?: number;
}

export function label20(text: string): Buffer {
  const b = Buffer.alloc(20, 0x2e);
  b.write(text.slice(0, 20), 'latin1');
  return b;
}

export function makeRecord(spec: RecordSpec): Buffer {
  const rec = Buffer.alloc(ANNOUNCE_RECORD_BYTES);
  (typeof spec.infoHash === 'string' ? label20(spec.infoHash) : spec.infoHash).copy(rec, OFF_INFO_HASH);
  (typeof spec.peerId === 'string' ? label20(spec.peerId) : spec.peerId).copy(rec, OFF_PEER_ID);
  let flags = spec.seeding ? FLAG_SEEDING : 0;
  const ip = new Uint8Array(16);
  if (spec.v4 !== undefined) {
    parseIP(spec.v4, ip);
    rec.set(ip.subarray(0, 4), OFF_IPV4);
    flags |= FLAG_HAS_V4;
  }
  if (spec.v6 !== undefined) {
    parseIP(spec.v6, ip);
    rec.set(ip, OFF_IPV6);
    flags |= FLAG_HAS_V6 | FLAG_V6_CAPABLE;
  }
  rec[OFF_FLAGS] = flags;
  rec.writeUInt16BE(spec.port ?? 6881, OFF_PORT);
  rec[OFF_EVENT] = spec.event ?? Event.None;
  rec.writeUInt32LE(spec.numWant ?? 50, OFF_NUM_WANT);
  rec[OFF_REPLY_KIND] = spec.kind ?? ReplyKind.HttpCompact;
  rec.writeUInt32BE(spec.transactionId ?? 0x01020304, OFF_TRANSACTION_ID);
  return rec;
}
