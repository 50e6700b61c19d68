// Reproducer: over UDP, an announce refused for an invalid JWT counts in /stats requestsErrored (the
// internal-error counter) when its token needed a signature check, and in udpPacketsBad when the verdict
// was cached. Over HTTP both count in requestsBad. Five identical UDP announces: 1 requestsErrored +
// 4 udpPacketsBad.
// Run: npm run build && npx tsc -p tsconfig.test.json && node build/fuzz/repro/udp-jwt-stats.js
// Exit 1 while the bug is present.
import { AUDIENCE, JwksServer } from '../../test/helpers/jwt-fixtures.js';
import { UdpClient, announcePacket, urlDataOptions } from '../../test/helpers/udp-client.js';
import { INFO_HASH_POOL, PEER_ID_POOL, makeTokenBook } from '../identities.js';
import { startTracker, stats } from '../tracker-process.js';

const tokens = await makeTokenBook();
const jwks = await new JwksServer().listen();
jwks.keys = [tokens.key.jwk];
const t = await startTracker({ jwkSetURI: jwks.url, jwtAudience: AUDIENCE }, false);
const wrongKey = tokens.invalid[3]!; // the right kid, signed by another key: refused after verifying
const c = await UdpClient.open({ host: '127.0.0.1', port: t.udpPort });
const cid = await c.connect();
const before = (await stats(t.apiPort))!;
for (let i = 0; i < 5; i++) {
  const r = await c.requestParsed(announcePacket({
    connectionId: cid, infoHash: INFO_HASH_POOL[0]!, peerId: PEER_ID_POOL[0]!, port: 7000 + i, options: urlDataOptions(`/announce?jwt=${wrongKey}`),
  }));
  if (r.action !== 3) throw new Error(`announce ${i} was not refused`);
}
const after = (await stats(t.apiPort))!;
const d = (k: string): number => Number(after[k]) - Number(before[k]);
console.log(`5 UDP announces refused "invalid jwt": requestsErrored +${d('requestsErrored')}, udpPacketsBad +${d('udpPacketsBad')}, requestsBad +${d('requestsBad')}`);
await c.close();
await t.stop();
await jwks.close();
process.exit(d('requestsErrored') > 0 ? 1 : 0);
