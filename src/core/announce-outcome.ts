// What the swarm decided for one announce, before any wire format: the counts after the announce was
// applied, the peers chosen for the announcer, or why it was refused. The announce handler
// (dispatch/announce-handler.ts) turns it into HTTP or UDP reply bytes, so a peer store never needs
// to speak either protocol.
import { ClientErrors } from './client-errors.js';
import { PeerSelection } from './peer-selection.js';

/** Why a store refused an announce; the client is told the matching ClientErrors text. */
export const enum AnnounceFailure {
  None = 0,
  /** createOnAnnounce is off and the infohash is unknown. */
  TorrentDoesNotExist = 1,
  /** A configured table bound (maxPeersPerShard) was reached. */
  SwarmFull = 2,
}

const FAILURE_TEXTS: readonly string[] = ['', ClientErrors.torrentDoesNotExist, ClientErrors.swarmFull];

export function announceFailureText(failure: AnnounceFailure): string {
  return FAILURE_TEXTS[failure]!;
}

/** One per store, reused for every announce: valid until the store's next `announce` call. */
export class AnnounceOutcome {
  failure = AnnounceFailure.None;
  /** Seeders and leechers of the torrent, counted after this announce was applied. */
  seeders = 0;
  leechers = 0;
  /** False after stopped/paused or numwant 0: the reply then carries no peer list at all. */
  withPeers = false;
  /** The peers chosen (valid when withPeers). */
  readonly selection: PeerSelection;

  constructor(maxNumWant: number) {
    this.selection = new PeerSelection(maxNumWant);
  }
}
