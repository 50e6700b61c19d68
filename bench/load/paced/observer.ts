// What a paced load reports, request by request: an answer (a peer list, or a failure reason), or a
// request that got none. Whoever runs the load decides what to keep (the soak: windows of counts and
// latency histograms; the chaos tests: which peers were admitted and every failure text).

export type Proto = 'http' | 'udp';

/**
 * Why a request got no answer:
 * - `timeout`: none within the load's timeoutMs (the connection, for HTTP, is then closed);
 * - `reset`: the connection closed, or failed, with the request written and unanswered (HTTP);
 * - `bad-reply`: something came back that is not an answer (unparsable, wrong action or status line).
 */
export type LostReason = 'timeout' | 'reset' | 'bad-reply';

/**
 * Connection-level events (no request was lost): HTTP connects that failed, connections the server
 * closed while idle, connections closed after an answer that said `Connection: close`, UDP connects
 * unanswered.
 */
export type ConnectionEvent = 'connect-failed' | 'closed-idle' | 'closed-as-asked' | 'udp-handshake-failed';

export interface AnnounceObserver {
  /**
   * An answer to the announce of peer `g`: `failure` null for a peer list, else the failure text. With a
   * peer list, the swarm's counts it reported (HTTP `complete`/`incomplete`, UDP seeders/leechers; -1
   * where unreadable).
   */
  answered(proto: Proto, g: number, failure: string | null, latencyUs: number, seeders: number, leechers: number): void;
  lost(proto: Proto, g: number, why: LostReason): void;
  connection?(proto: Proto, event: ConnectionEvent): void;
}
