// Errors of the UDP protocol layer: parsers return these negative codes instead of throwing (a packet
// is attacker-controlled input, and exceptions would cost a stack capture per bad packet). Each code
// has a stable text that may reach the peer in an action-3 error packet; the texts are chihaya's, so
// clients and scripts written against chihaya see the same strings (and where a rule is shared with
// HTTP, the HTTP text).
import { ClientErrors } from '../../core/client-errors.js';

export const enum UdpError {
  /** Too short, bad length, bad protocol id, malformed BEP 41 options, not the expected action. */
  Malformed = -1,
  /** Action field outside 0..2 (frontend's dispatch). */
  UnknownAction = -2,
  /** Connection ID failed verification (frontend, ConnectionIds.verify). */
  BadConnectionId = -3,
  /** Announce event field outside 0..3. */
  BadEvent = -4,
  /** Scrape with more info hashes than maxScrapeInfoHashes (the HTTP text, the same rule). */
  TooManyInfoHashes = -5,
}

const TEXTS: readonly string[] = [
  '', // index 0 unused: 0 means OK
  'malformed packet',
  'unknown action ID',
  'bad connection ID',
  'malformed event ID',
  ClientErrors.tooManyInfoHashes,
];

/** Every client-visible text (for counting refusals by reason). */
export const UDP_ERROR_TEXTS: readonly string[] = TEXTS.slice(1);

/** The client-visible text for a code; "malformed packet" for anything unknown. */
export function udpErrorText(code: number): string {
  const text = TEXTS[-code];
  return text === undefined || text === '' ? TEXTS[1]! : text;
}
