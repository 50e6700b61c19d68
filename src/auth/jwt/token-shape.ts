// A cheap main-thread screen for tokens that cannot be a compact JWS (three base64url segments), so
// obvious garbage never costs a trip to a worker. The worker still parses everything properly.

/** Longest token we look at: Quay's are ~650 chars; the query decoder caps values at 8 KiB anyway. */
const MAX_TOKEN_CHARS = 8192;

const B64URL = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') B64URL[c.charCodeAt(0)] = 1;

/**
 * True for `header.payload.signature` with non-empty header and payload made of base64url characters.
 * An empty signature passes so the worker can log `alg: none` as an algorithm refusal.
 */
export function looksLikeCompactJws(token: string): boolean {
  const len = token.length;
  if (len > MAX_TOKEN_CHARS) return false;
  let dots = 0;
  let segStart = 0;
  for (let i = 0; i < len; i++) {
    const c = token.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (i === segStart || ++dots > 2) return false;
      segStart = i + 1;
    } else if (c >= 128 || B64URL[c] === 0) {
      return false;
    }
  }
  return dots === 2;
}
