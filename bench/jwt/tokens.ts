// Tokens the way Quay mints them (PyJWT, RS256): header {alg, kid, typ}, claims only iss, aud (the
// announce URL) and infohash (40 lowercase hex characters of the info_hash); no exp, nbf or iat.
//
// "Cold" tokens must all differ while still naming the same torrents, so the swarm load stays equal to the
// warm case and only verification changes. Quay's token for a torrent is deterministic (RSASSA-PKCS1-v1_5),
// so a cold token carries the same claims with JSON whitespace inserted after "{": a distinct string and
// signature, the same claims to any JSON parser. Each costs one RSA signature (~0.5 ms here), so cold
// tokens are minted ahead and a cold run is bounded by their number.
import { CompactSign, SignJWT, type KeyLike } from 'jose';

export interface Minter {
  privateKey: KeyLike;
  kid: string;
  issuer: string;
  audience: string;
}

export function quayToken(m: Minter, infoHash: Uint8Array): Promise<string> {
  return new SignJWT({ iss: m.issuer, aud: m.audience, infohash: Buffer.from(infoHash).toString('hex') })
    .setProtectedHeader({ alg: 'RS256', kid: m.kid, typ: 'JWT' })
    .sign(m.privateKey);
}

const WS = [' ', '\t', '\n', '\r'];

/** Variant v (0 <= v < 4^12) of the token for infoHash: 12 whitespace characters spell v in base 4. */
export function coldToken(m: Minter, infoHash: Uint8Array, v: number): Promise<string> {
  let pad = '';
  for (let i = 0, x = v; i < 12; i++, x = Math.floor(x / 4)) pad += WS[x % 4]!;
  const json = `{${pad}"iss":${JSON.stringify(m.issuer)},"aud":${JSON.stringify(m.audience)},` +
    `"infohash":"${Buffer.from(infoHash).toString('hex')}"}`;
  return new CompactSign(new TextEncoder().encode(json))
    .setProtectedHeader({ alg: 'RS256', kid: m.kid, typ: 'JWT' })
    .sign(m.privateKey);
}

/**
 * Forged tokens for one torrent, as a flooding attacker sends them: Quay's header (the right `kid`) and
 * claims (the right `aud` and `infohash`, so they pass the tracker's screen), and a signature of 256
 * random bytes, distinct for each token (`stream` and a counter are written into it), so none is ever
 * answered from a cache and each costs the tracker one RSA verification. The first byte is kept below
 * 0x40 so the signature, read as an integer, is below any 2048-bit modulus (else the verifier could
 * refuse it without the modular exponentiation). Cheap: no signing, one base64url encoding per token.
 */
export class ForgedTokens {
  private readonly prefix: string;
  private readonly sig = Buffer.alloc(256);
  private n = 0n;

  constructor(kid: string, issuer: string, audience: string, infoHash: Uint8Array, stream: number) {
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    this.prefix = `${b64({ alg: 'RS256', kid, typ: 'JWT' })}.${b64({ iss: issuer, aud: audience, infohash: Buffer.from(infoHash).toString('hex') })}.`;
    for (let i = 0; i < 256; i++) this.sig[i] = Math.floor(Math.random() * 256);
    this.sig[0] = this.sig[0]! & 0x3f;
    this.sig.writeUInt32BE(stream >>> 0, 8);
  }

  next(): string {
    this.sig.writeBigUInt64BE(this.n++, 12);
    return this.prefix + this.sig.toString('base64url');
  }
}
