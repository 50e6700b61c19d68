// Is a BEP 15 tracker answering on host:port? One connect request, up to `tries` times.
import dgram from 'node:dgram';
import { writeConnect } from '../load/udp-packets.js';

export function probeUdp(host: string, port: number, tries = 3, waitMs = 400): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const req = Buffer.alloc(16);
    const tid = 0x68617961; // "haya"
    writeConnect(req, tid);
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const send = (): void => {
      if (attempt++ >= tries) return done(false);
      sock.send(req, port, host);
      timer = setTimeout(send, waitMs);
    };
    sock.on('message', (msg) => {
      if (msg.length >= 16 && msg.readUInt32BE(0) === 0 && msg.readUInt32BE(4) === tid) done(true);
    });
    sock.on('error', () => undefined);
    sock.bind(0, () => send());
  });
}
