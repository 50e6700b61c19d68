// Frontend counters of the main thread, named after chihaya v1's /stats fields.
import { LatencyHistogram } from './latency-histogram.js';

export class RequestStats {
  readonly started = new Date();
  connectionsOpen = 0;
  connectionsAccepted = 0;
  requestsHandled = 0;
  requestsErrored = 0;   // internal errors (our fault)
  requestsBad = 0;       // answered with a failure reason (the client's fault, or refused)
  trackerAnnounces = 0;
  trackerScrapes = 0;
  udpPacketsBad = 0;     // UDP datagrams dropped or answered with an error
  udpRepliesDropped = 0; // UDP replies dropped because too many sends were already queued (kernel buffer full)
  readonly httpLatency = new LatencyHistogram();
  readonly udpLatency = new LatencyHistogram();
}
