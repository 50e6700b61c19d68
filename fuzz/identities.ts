// The names the fuzzers announce under: a small pool of info hashes (so swarms fill up and replies carry
// peers), peer IDs from whitelisted and unknown clients, spoofed addresses, and for the JWT config a
// token book: tokens Quay would mint for each pool hash, plus look-alikes that must be refused.
import { createHash } from 'node:crypto';
import { exportJWK, importJWK, importPKCS8, type KeyLike } from 'jose';
import { mintQuay, type TestKey } from '../test/helpers/jwt-fixtures.js';
import { FUZZ_KEY_PEM, OTHER_KEY_PEM } from './test-keys.js';

export const INFO_HASH_POOL: readonly Buffer[] = Array.from({ length: 64 }, (_, i) =>
  createHash('sha1').update(`hayate-fuzz-${i}`).digest());

/** Client prefixes: the first three are on the whitelist of the whitelist config. */
export const WHITELIST = ['HY0001', 'QU0100', 'qB4250'] as const;
const PREFIXES = ['-HY0001-', '-QU0100-', '-qB4250-', '-XX9999-', '-UT2300-', 'M7-2-0--', 'HY0001xx', 'QU0100--', '-HY0001', '--------'];

export const PEER_ID_POOL: readonly Buffer[] = Array.from({ length: 64 }, (_, i) => {
  const id = `${PREFIXES[i % PREFIXES.length]}${i.toString(36)}`.padEnd(20, 'x');
  return Buffer.from(id.slice(0, 20), 'latin1');
});

export const IPV4_POOL: readonly string[] = ['10.0.0.1', '10.0.0.2', '192.168.1.7', '172.16.5.4', '1.2.3.4', '255.255.255.255', '0.0.0.1', '127.0.0.1'];
export const IPV6_POOL: readonly string[] = ['::1', '2001:db8::1', 'fe80::1', '::ffff:10.0.0.9', '::', '2001:db8:0:0:0:0:0:2'];

/** chihaya's ClientID: `-AZ2060-...` gives chars 1..7, any other peer_id its first 6 chars (latin1). */
export function clientIdOf(peerId: Buffer): string {
  if (peerId.length < 6) return peerId.toString('latin1');
  return peerId[0] === 0x2d ? peerId.toString('latin1', 1, 7) : peerId.toString('latin1', 0, 6);
}

export function isWhitelisted(peerId: Buffer, whitelist: readonly string[]): boolean {
  return whitelist.includes(clientIdOf(peerId));
}

export interface TokenBook {
  key: TestKey;
  /** info_hash hex (lowercase) → the token Quay would mint for it */
  valid: Map<string, string>;
  /** tokens that must never admit an announce: other audience, issuer, key; expired; alg none; junk */
  invalid: string[];
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

/** A fixed key in Quay's JWK shape (kty, n, e, kid; no alg, no use). */
async function fixedKey(pem: string, kid: string): Promise<TestKey> {
  const privateKey = await importPKCS8(pem, 'RS256', { extractable: true });
  const full = await exportJWK(privateKey);
  const jwk = { kty: full.kty, n: full.n, e: full.e, kid };
  const publicKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as KeyLike;
  return { kid, privateKey, publicKey, jwk };
}

/** Mints a token per pool hash and the look-alikes (RS256 signing, ~1 ms each); the same every run. */
export async function makeTokenBook(): Promise<TokenBook> {
  const key = await fixedKey(FUZZ_KEY_PEM, 'fuzz-key-1');
  const other = await fixedKey(OTHER_KEY_PEM, 'fuzz-key-1'); // same kid, a different key: its signatures must fail
  const valid = new Map<string, string>();
  for (const ih of INFO_HASH_POOL) valid.set(ih.toString('hex'), await mintQuay(key, { infohash: ih.toString('hex') }));
  const ih0 = INFO_HASH_POOL[0]!.toString('hex');
  const invalid = [
    await mintQuay(key, { infohash: ih0, aud: 'http://elsewhere.example/announce' }),
    await mintQuay(key, { infohash: ih0, claims: { exp: 1_000_000_000 } }),
    await mintQuay(key, { infohash: ih0, claims: { nbf: 4_000_000_000 } }),
    await mintQuay(other, { infohash: ih0 }),
    await mintQuay(key, { infohash: ih0, kid: 'no-such-kid' }),
    `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify({ iss: 'quay', aud: 'x', infohash: ih0 }))}.`,
    'a.b.c', '..', '.', '', 'not-a-jwt', 'eyJ', `${'A'.repeat(3000)}.${'B'.repeat(3000)}.${'C'.repeat(300)}`,
  ];
  return { key, valid, invalid };
}

/**
 * Whether `candidate` is `valid` up to base64url spelling: the last character of a segment carries
 * unused low bits, so several spellings decode to the same header, claims and signature (a verifier
 * accepting them all admits nothing Quay did not sign).
 */
export function sameToken(candidate: string, valid: string): boolean {
  if (candidate === valid) return true;
  const a = candidate.split('.');
  const b = valid.split('.');
  if (a.length !== 3 || b.length !== 3) return false;
  return a.every((part, i) => /^[A-Za-z0-9_-]*$/.test(part) && Buffer.from(part, 'base64url').equals(Buffer.from(b[i]!, 'base64url')));
}
