// A local stand-in for Quay's key endpoint: an RSA-2048 key pair (jose), and an HTTP server answering
// GET /keys/services/quay/keys with {"keys":[{kty,n,e,kid}]} exactly as Quay does (no alg, no use).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type KeyLike } from 'jose';

export const QUAY_KEYS_PATH = '/keys/services/quay/keys';

export interface JwkServer {
  uri: string;
  kid: string;
  privateKey: KeyLike;
  fetches(): number;
  close(): Promise<void>;
}

export async function startJwkServer(): Promise<JwkServer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = 'hayate-bench-key-1';
  const body = JSON.stringify({ keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid }] });
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === QUAY_KEYS_PATH) {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    uri: `http://127.0.0.1:${port}${QUAY_KEYS_PATH}`,
    kid,
    privateKey,
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
