// Reproducer: a request head over 4 KiB that arrives in two reads is never answered; the connection is
// closed. The same bytes in one write are answered. (uWS keeps at most 4 KiB of a partial head.)
// Run: npm run build && npx tsc -p tsconfig.test.json && node build/fuzz/repro/split-head.js
// Exit 1 while the bug is present.
import net from 'node:net';
import { startTracker } from '../tracker-process.js';

function exchange(port: number, writes: Buffer[]): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', async () => {
      for (const w of writes) {
        s.write(w);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const timer = setTimeout(() => { s.destroy(); resolve('no answer within 2 s'); }, 2_000);
    s.on('data', (d: Buffer) => { clearTimeout(timer); s.destroy(); resolve(d.toString('latin1').split('\r\n')[0]!); });
    s.on('close', () => { clearTimeout(timer); resolve('closed without an answer'); });
    s.on('error', () => {});
  });
}

const t = await startTracker({}, false);
let bad = 0;
for (const n of [4000, 4100, 8000]) {
  const req = Buffer.from(`GET /announce?x=${'a'.repeat(n)} HTTP/1.1\r\nHost: a\r\n\r\n`);
  const one = await exchange(t.httpPort, [req]);
  const two = await exchange(t.httpPort, [req.subarray(0, 100), req.subarray(100)]);
  console.log(`${req.length}-byte request: one write -> ${one}; two writes -> ${two}`);
  if (one !== two) bad++;
}
await t.stop();
process.exit(bad > 0 ? 1 : 0);
