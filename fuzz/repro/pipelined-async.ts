// Reproducer: in a pipelined batch, a request answered asynchronously (swarm workers, or a JWT being
// verified) followed by another request in the same read: the connection is closed and no answer is
// written, not even the first. Synchronous answers (workers 0, no JWT) pipeline fine.
// Run: npm run build && npx tsc -p tsconfig.test.json && node build/fuzz/repro/pipelined-async.js
// Exit 1 while the bug is present.
import net from 'node:net';
import { startTracker } from '../tracker-process.js';

const announce = (tag: string): string =>
  `GET /announce?info_hash=${tag.repeat(20).slice(0, 20)}&peer_id=-HY0001-${'x'.repeat(12)}&port=6881&uploaded=0&downloaded=0&left=0 HTTP/1.1\r\nHost: a\r\n\r\n`;

function responses(port: number, raw: string): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(raw));
    const done = (how: string): void => resolve(`${(data.match(/HTTP\/1\.1 \d{3} /g) ?? []).length} answers, ${how}`);
    const timer = setTimeout(() => { s.destroy(); done('connection open'); }, 2_000);
    s.on('data', (d: Buffer) => { data += d.toString('latin1'); });
    s.on('close', () => { clearTimeout(timer); done('connection closed'); });
    s.on('error', () => {});
  });
}

let bad = 0;
for (const workers of [0, 1]) {
  const t = await startTracker({ workers }, false);
  const r = await responses(t.httpPort, announce('a') + announce('b'));
  console.log(`workers ${workers}: two valid announces pipelined in one write -> ${r}`);
  if (!r.startsWith('2 answers')) bad++;
  await t.stop();
}
process.exit(bad > 0 ? 1 : 0);
