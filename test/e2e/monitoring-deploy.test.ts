// deploy/grafana/hayate.json and deploy/prometheus.yml against a real hayate: every metric the
// dashboard queries is one hayate exports (JWT on, UDP on, swarm workers: every family present), with
// the labels the queries group by; the scrape config asks the admin API's /metrics of two instances.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Log } from '../../src/util/log.js';
import { Tracker } from '../../src/tracker.js';
import { AUDIENCE, JwksServer, makeKey } from '../helpers/jwt-fixtures.js';
import { REPO_ROOT } from '../helpers/process.js';
import { familyOf, parseExposition, type Exposition } from '../helpers/prometheus-text.js';
import { announceParams, announceUrl, get, infoHash, peerId, scrapeUrl, testConfig } from '../helpers/tracker.js';
import { UdpClient } from '../helpers/udp-client.js';

interface Panel { title?: string; type: string; targets?: { expr: string }[] }

const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'hayate.json'), 'utf8')) as {
  panels: Panel[]; templating: { list: { name: string }[] }; uid: string;
};
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title ?? '', expr: t.expr })));

/** Metric names in a PromQL expression: identifiers followed by a selector or range, not functions. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:hayate|chihaya|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

/** Label names a query groups by: `by (a, b)`. */
function groupLabels(expr: string): string[] {
  return [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

describe('deploy/: the dashboard and the scrape config', () => {
  let jwks: JwksServer;
  let tracker: Tracker;
  let e: Exposition;
  before(async () => {
    jwks = await new JwksServer().listen();
    jwks.keys = [(await makeKey('k1')).jwk];
    tracker = await Tracker.start({ ...testConfig({ ioThreads: 2, workers: 2, udpListenAddr: '127.0.0.1:0' }), jwkSetURI: jwks.url, jwtAudience: AUDIENCE },
      new Log(0, () => {}));
    const base = `http://127.0.0.1:${tracker.ports.http}`;
    await get(announceUrl(base, announceParams(infoHash('deploy'), peerId('deploy'))));
    await get(scrapeUrl(base, [infoHash('deploy')]));
    const udp = await UdpClient.open({ host: '127.0.0.1', port: tracker.ports.udp! });
    try {
      await udp.announce({ infoHash: infoHash('deploy'), peerId: peerId('udp'), port: 7000 }); // refused (no token): answered all the same
    } finally {
      await udp.close();
    }
    e = parseExposition((await get(`http://127.0.0.1:${tracker.ports.api}/metrics`)).body.toString());
  });
  after(async () => {
    await tracker.stop();
    await jwks.close();
  });

  test('the dashboard is a Grafana dashboard with a datasource and an instance variable', () => {
    assert.equal(dashboard.uid, 'hayate-tracker');
    assert.deepEqual(dashboard.templating.list.map((v) => v.name), ['datasource', 'instance']);
    assert.ok(exprs.length >= 20, `${exprs.length} queries`);
    for (const { title, expr } of exprs) assert.match(expr, /instance=~"\$instance"/, `${title}: ${expr}`);
  });

  test('every metric the dashboard queries is exported, with the labels it groups by', () => {
    const exported = new Set(e.samples.map((s) => familyOf(s.name, e.types) ?? s.name));
    for (const s of e.samples) exported.add(s.name);
    for (const { title, expr } of exprs) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${title}: no metric in ${expr}`);
      for (const name of names) assert.ok(e.types.has(name) || exported.has(name), `${title}: ${name} is not exported`);
      const labels = new Set(names.flatMap((n) => e.samples.filter((s) => s.name === n).flatMap((s) => Object.keys(s.labels))));
      for (const l of groupLabels(expr)) {
        if (l === 'instance' || l === 'le') continue; // added by Prometheus / part of every bucket
        assert.ok(labels.has(l), `${title}: groups by ${l}, which ${names.join(', ')} do not carry`);
      }
    }
  });

  test('prometheus.yml scrapes /metrics on the admin port of two instances', () => {
    const yml = readFileSync(join(REPO_ROOT, 'deploy', 'prometheus.yml'), 'utf8');
    assert.match(yml, /^\s*metrics_path: \/metrics\b/m);
    const targets = [...yml.matchAll(/^\s*- ([a-z0-9.-]+):(\d+)\s*$/gm)];
    assert.equal(targets.length, 2);
    const example = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'config.example.json'), 'utf8')) as { apiListenAddr: string };
    for (const t of targets) assert.equal(t[2], example.apiListenAddr.split(':').pop(), 'the admin API port of deploy/config.example.json');
  });
});
