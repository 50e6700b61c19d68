// Shared fixtures for the JWT suites: a local JWK-set server in Quay's shape, keys, tokens minted the
// way Quay mints them, and a harness around JwtAuthorizer. test/jwt-fixtures.test.ts checks that the
// fixtures really look like Quay.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import {
  JWT_PENDING, JwtAuthorizer, type JwtAuthorizerOptions, type JwtCode, type JwtVerdict,
} from '../../src/auth/jwt/index.js';

export const AUDIENCE = 'http://tracker.example:6881/announce';
/** Quay's own validator announces sha1("test"). */
export const TEST_HEX = createHash('sha1').update('test').digest('hex');
export const TEST_HASH = new Uint8Array(Buffer.from(TEST_HEX, 'hex'));

export interface TestKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  /** Public JWK as Quay serves it: kty, n, e, kid; no alg, no use. */
  jwk: JWK;
}

export async function makeKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  delete jwk.alg;
  delete jwk.use;
  jwk.kid = kid;
  return { kid, privateKey, publicKey, jwk };
}

export function hashOf(seed: string): Uint8Array {
  return new Uint8Array(createHash('sha1').update(seed).digest());
}

export function hexOf(hash: Uint8Array): string {
  return Buffer.from(hash).toString('hex');
}

/** A token as Quay mints it: RS256, `kid` header, claims iss/aud/infohash only, no exp. */
export async function mintQuay(
  key: TestKey,
  opts: { infohash?: unknown; aud?: unknown; iss?: string; kid?: string | null; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: opts.iss ?? 'quay',
    aud: opts.aud ?? AUDIENCE,
    infohash: opts.infohash ?? TEST_HEX,
    ...opts.claims,
  };
  const header: { alg: string; typ: string; kid?: string } = { alg: 'RS256', typ: 'JWT' };
  const kid = opts.kid === undefined ? key.kid : opts.kid;
  if (kid !== null) header.kid = kid;
  return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
}

/** `stall`: the request is read and never answered (until close()). */
export type ServerMode = 'ok' | 'status500' | 'garbage' | 'nokeys' | 'reset' | 'stall';

/** The JWK-set endpoint (Quay: GET /keys/services/quay/keys) on 127.0.0.1:<ephemeral>. */
export class JwksServer {
  keys: JWK[] = [];
  issuer: string | undefined;
  mode: ServerMode = 'ok';
  requests = 0;
  /** Date.now() when the last good key set was sent (mode `ok`), 0 before. */
  lastOkAt = 0;
  private server: Server | null = null;
  url = '';

  /** Listens on 127.0.0.1:`port` (0: any free port; a server that comes back passes its old port). */
  async listen(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests++;
      switch (this.mode) {
        case 'stall':
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'status500':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
          return;
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [ {"kty": "RSA", ');
          return;
        case 'nokeys':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}');
          return;
        case 'ok': {
          const doc: Record<string, unknown> = { keys: this.keys };
          if (this.issuer !== undefined) doc.issuer = this.issuer;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc), () => { this.lastOkAt = Date.now(); });
        }
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const bound = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${bound}/keys/services/quay/keys`;
    return this;
  }

  /** The port it listens (or last listened) on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Polls `pred` every few ms; fails the test after `timeoutMs`. */
export async function waitFor(pred: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A JwtAuthorizer whose onVerdict resolves per-request promises, as a frontend would use it. */
export class Harness {
  readonly auth: JwtAuthorizer;
  readonly logs: string[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, (code: JwtVerdict) => void>();
  readonly delivered: Array<[number, JwtVerdict]> = [];

  constructor(opts: Partial<JwtAuthorizerOptions> & { jwkSetURI: string }) {
    this.auth = new JwtAuthorizer({
      jwtAudience: AUDIENCE,
      jwtIssuer: '',
      jwkUpdateIntervalMs: 60_000,
      jwkTTLMs: 60_000,
      jwtWorkers: 1,
      log: (level, msg) => this.logs.push(`${level} ${msg}`),
      verbosity: 5,
      ...opts,
      onVerdict: (id, code) => {
        this.delivered.push([id, code]);
        const w = this.waiting.get(id);
        if (w === undefined) throw new Error(`onVerdict for unknown request ${id}`);
        this.waiting.delete(id);
        w(code);
      },
    });
  }

  /** check() and, when pending, the delivered verdict. */
  async ask(token: string | null, hash: Uint8Array = TEST_HASH): Promise<JwtVerdict> {
    const { code, verdict } = this.send(token, hash);
    return code === JWT_PENDING ? verdict! : (code as JwtVerdict);
  }

  /** check() only: the synchronous code, plus the verdict promise when pending. */
  send(token: string | null, hash: Uint8Array = TEST_HASH): { code: JwtCode; verdict?: Promise<JwtVerdict> } {
    const id = this.nextId++;
    let resolve!: (c: JwtVerdict) => void;
    const verdict = new Promise<JwtVerdict>((r) => (resolve = r));
    this.waiting.set(id, resolve);
    const code = this.auth.check(token, hash, id);
    if (code !== JWT_PENDING) {
      this.waiting.delete(id);
      return { code };
    }
    return { code, verdict };
  }
}
