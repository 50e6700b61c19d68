// The cluster link's figures for /metrics (hayate_cluster_*), read from the link thread's shared state at
// scrape time like every other metric: link state, sync, replication lag, what was published, received,
// held and dropped.
import { ScrapeMetric, type Sample } from '../stats/scrape-metric.js';
import type { ClusterLink, ClusterStats } from './cluster-link.js';

export function clusterMetrics(link: ClusterLink): ScrapeMetric[] {
  const gauge = (name: string, help: string, read: () => number): ScrapeMetric =>
    new ScrapeMetric(name, help, 'gauge', (out: Sample[]) => { out.push({ labels: {}, value: read() }); });
  const counter = (name: string, help: string, read: () => number): ScrapeMetric =>
    new ScrapeMetric(name, help, 'counter', (out: Sample[]) => { out.push({ labels: {}, value: read() }); });
  const f = (): ClusterStats => link.statsObject();
  return [
    gauge('hayate_cluster_link_up', '1 while the link to Redis is up, 0 while it is down', () => (f().link === 'up' ? 1 : 0)),
    gauge('hayate_cluster_link_down_since_seconds', 'Unix time the link went down, 0 while it is up',
      () => { const d = f().downSince; return d === null ? 0 : Date.parse(d) / 1000; }),
    gauge('hayate_cluster_synced', '1 once the swarms were loaded from Redis (until then /check says syncing)', () => (f().synced ? 1 : 0)),
    new ScrapeMetric('hayate_cluster_lag_seconds', 'Replication lag: from a change on its origin instance to its hand-over here (since start)', 'gauge',
      (out: Sample[]) => {
        const lag = f().lagMs;
        out.push({ labels: { quantile: '0.5' }, value: lag.P50 / 1000 }, { labels: { quantile: '0.99' }, value: lag.P99 / 1000 });
      }),
    counter('hayate_cluster_changes_published_total', 'Swarm changes this instance published to Redis', () => f().changesPublished),
    counter('hayate_cluster_batches_published_total', 'Batches (stream entries) this instance published', () => f().batchesPublished),
    counter('hayate_cluster_changes_received_total', 'Other instances\' changes applied here', () => f().changesReceived),
    counter('hayate_cluster_changes_dropped_total', 'Changes dropped because the outbox or the change ring was full', () => f().changesDropped),
    gauge('hayate_cluster_outbox_changes', 'Changes waiting to be published', () => f().outboxChanges),
    counter('hayate_cluster_republishes_total', 'Times this instance published its peers again (after drops or a Redis that lost its data)', () => f().republishes),
    counter('hayate_cluster_data_losses_total', 'Times Redis was found without a shard group\'s data', () => f().dataLosses),
    counter('hayate_cluster_link_restarts_total', 'Restarts of the link thread (cluster-01)', () => f().linkRestarts),
  ];
}
