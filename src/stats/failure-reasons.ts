// The failure reasons an I/O thread answers with, as slot indexes for the per-thread failure counters.
// The set is closed (the client-visible texts of core/client-errors.ts and protocol/udp/errors.ts); a
// text outside it is counted as "other". Counting is a Map lookup on a failure only, never on a success.
import { ClientErrors } from '../core/client-errors.js';
import { UDP_ERROR_TEXTS } from '../protocol/udp/errors.js';

export const FAILURE_REASONS: readonly string[] = [...new Set([...Object.values(ClientErrors), ...UDP_ERROR_TEXTS]), 'other'];
const OTHER = FAILURE_REASONS.length - 1;
const INDEX = new Map<string, number>(FAILURE_REASONS.map((r, i) => [r, i]));

export function failureIndex(reason: string): number {
  return INDEX.get(reason) ?? OTHER;
}
