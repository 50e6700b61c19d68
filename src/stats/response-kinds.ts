// The dimensions of a response-time observation, as small integers: the frontends compute one index per
// request (protocol, action, address family, outcome) and record into the histogram at that index with
// array writes, so /metrics can show chihaya's `action`, `address_family` and `error` labels without a
// label lookup per request. 2 x 3 x 3 x 3 = 54 histograms per I/O thread, most of them never touched.

export const enum Proto { Http = 0, Udp = 1 }
export const enum ResponseAction { Announce = 0, Scrape = 1, Connect = 2 }
/** The announcer's family (HTTP: the record's; UDP: the datagram's source); Unknown before a parse. */
export const enum AddrFamily { V4 = 0, V6 = 1, Unknown = 2 }
export const enum Outcome { Ok = 0, ClientError = 1, InternalError = 2 }

export const PROTOCOLS = ['http', 'udp'] as const;
export const ACTIONS = ['announce', 'scrape', 'connect'] as const;
/** chihaya's label values. */
export const FAMILIES = ['IPv4', 'IPv6', 'Unknown'] as const;
/** chihaya's `error` label: empty for a success; hayate folds failure texts into two classes (the
 *  per-reason counts are `hayate_failures_total`). */
export const OUTCOMES = ['', 'client error', 'internal error'] as const;

export const RESPONSE_KINDS = PROTOCOLS.length * ACTIONS.length * FAMILIES.length * OUTCOMES.length;

/** The histogram index of (protocol, action, family) with outcome Ok: add the Outcome to it. */
export function responseKind(proto: Proto, action: ResponseAction, family: AddrFamily): number {
  return ((proto * 3 + action) * 3 + family) * 3;
}

/** The labels of histogram `kind`. */
export function responseLabels(kind: number): { protocol: string; action: string; family: string; error: string } {
  const outcome = kind % 3;
  const family = Math.floor(kind / 3) % 3;
  const action = Math.floor(kind / 9) % 3;
  const proto = Math.floor(kind / 27);
  return { protocol: PROTOCOLS[proto]!, action: ACTIONS[action]!, family: FAMILIES[family]!, error: OUTCOMES[outcome]! };
}
