// udp-connect: BEP 15 connect requests; the handshakes are the load (no warm-up: nothing to populate).
import { udpScenario } from './common/udp.js';

export const udpConnect = udpScenario('udp-connect', 'connect', 'BEP 15 connect requests (connection ID handshakes)');
