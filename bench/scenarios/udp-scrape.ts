// udp-scrape: BEP 15 scrapes of one info_hash each, over the standard pool once it has been announced.
import { udpScenario } from './common/udp.js';

export const udpScrape = udpScenario('udp-scrape', 'scrape', 'BEP 15 scrapes, one info_hash each');
