// Errors whose text may reach a peer (a bencoded `failure reason` or a BEP 15 error packet), kept apart
// from internal errors, which are logged and never explained to a client. The texts are part of the
// contract (docs/compatibility.md): clients, scripts and Quay's configuration validator look for them,
// so they are never reworded.

export const ClientErrors = {
  malformedRequest: 'malformed request',
  /** An announce with port 0: no peer could ever connect to it, so it is not handed to others. */
  invalidPort: 'invalid port: 0',
  clientNotApproved: 'client is not approved',
  torrentDoesNotExist: 'torrent does not exist',
  missingJwt: 'unapproved request: missing jwt',
  invalidJwt: 'unapproved request: invalid jwt',
  jwtKeysUnavailable: 'unapproved request: jwt keys unavailable',
  swarmFull: 'tracker is full: peer table limit reached',
  busy: 'tracker busy, retry later',
  tooManyInfoHashes: 'too many info_hash values in one scrape',
  internalError: 'internal error',
} as const;
