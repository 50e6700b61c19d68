// A byte-for-byte TCP relay placed between a proxy and hayate: counts the connections the proxy opens
// upstream and records which side closed each one first, so a test can see whether upstream keep-alive
// is really used (few connections for many requests) and who ends idle ones.
import net from 'node:net';

export interface TcpRelay {
  port: number;
  /** Connections accepted from the proxy so far. */
  accepted: () => number;
  /** Connections still open. */
  open: () => number;
  /** Closed connections whose first FIN or reset came from the proxy's side / from the target's side. */
  closedByClient: () => number;
  closedByTarget: () => number;
  close: () => Promise<void>;
}

export function startTcpRelay(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpRelay> {
  let accepted = 0;
  let open = 0;
  let byClient = 0;
  let byTarget = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    accepted++;
    open++;
    const target = net.connect({ host: targetHost, port: targetPort });
    sockets.add(client).add(target);
    let first: 'client' | 'target' | null = null;
    const ended = (side: 'client' | 'target') => () => {
      if (first !== null) return;
      first = side;
      if (side === 'client') byClient++;
      else byTarget++;
    };
    client.on('end', ended('client')).on('error', ended('client'));
    target.on('end', ended('target')).on('error', ended('target'));
    client.pipe(target);
    target.pipe(client);
    let closed = 0;
    const onClose = (s: net.Socket) => () => {
      sockets.delete(s);
      s === client ? target.destroy() : client.destroy();
      if (++closed === 2) open--;
    };
    client.on('close', onClose(client));
    target.on('close', onClose(target));
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        accepted: () => accepted,
        open: () => open,
        closedByClient: () => byClient,
        closedByTarget: () => byTarget,
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
