// Binding uWebSockets.js apps to a config address ("host:port", ":port", "[v6]:port").
import uWS from 'uWebSockets.js';

export interface BoundSocket {
  socket: uWS.us_listen_socket;
  port: number;
}

/** chihaya (Go) bound "localhost" to 127.0.0.1; resolvers may answer ::1 first, so say it outright. */
export function bindHost(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host;
}

export function listenApp(app: uWS.TemplatedApp, host: string, port: number, what: string): Promise<BoundSocket> {
  return new Promise((resolve, reject) => {
    const done = (socket: uWS.us_listen_socket | false): void => {
      if (socket === false) reject(new Error(`${what}: cannot listen on ${host === '' ? '*' : host}:${port} (address in use or not available)`));
      else resolve({ socket, port: uWS.us_socket_local_port(socket) });
    };
    if (host === '') app.listen(port, done);
    else app.listen(bindHost(host), port, done);
  });
}

export function closeListenSocket(bound: BoundSocket | null): void {
  if (bound !== null) uWS.us_listen_socket_close(bound.socket);
}
