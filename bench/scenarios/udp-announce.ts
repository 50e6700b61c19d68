// udp-announce: BEP 15 announces over the standard pool (the IP field makes peers distinct on loopback),
// after every peer announced once.
import { udpScenario } from './common/udp.js';

export const udpAnnounce = udpScenario('udp-announce', 'announce', 'BEP 15 announces over the standard pool');
