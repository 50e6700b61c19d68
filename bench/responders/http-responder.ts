// The trivial HTTP responder the bench measures its generators against: uWebSockets.js (the same server
// library as hayate's HTTP frontend) answering every request with one fixed bencoded announce body (10
// compact peers). Whatever a generator reaches here is its ceiling on this machine.
// Prints "PORT <n>" once listening. Run by the bench; stops on SIGTERM.
import uWS from 'uWebSockets.js';

const peers = Buffer.alloc(60);
for (let i = 0; i < 10; i++) {
  peers.writeUInt32BE((10 << 24 | i) >>> 0, i * 6);
  peers.writeUInt16BE(6881 + i, i * 6 + 4);
}
const body = Buffer.concat([
  Buffer.from('d8:completei3e10:incompletei7e8:intervali1800e12:min intervali900e5:peers60:'),
  peers,
  Buffer.from('e'),
]);

const app = uWS.App();
app.any('/*', (res) => {
  res.end(body);
});
app.listen('127.0.0.1', Number(process.argv[2] ?? 0), (sock) => {
  if (sock === false) {
    process.stderr.write('http-responder: cannot listen\n');
    process.exit(1);
  }
  process.stdout.write(`PORT ${uWS.us_socket_local_port(sock)}\n`);
  process.once('SIGTERM', () => {
    uWS.us_listen_socket_close(sock);
    process.exit(0);
  });
});
