// The README's deployment examples, proven against the real programs: deploy/nginx/hayate.conf in front
// of a hayate started from deploy/nginx/config.json, and deploy/haproxy/hayate.cfg in front of two
// hayates started from deploy/haproxy/config.json. Each file runs as committed, with only its ports,
// paths and upstream addresses replaced (renderExample fails when one of those is no longer in the file).
// nginx and HAProxy are Debian's binaries, started by this file on free loopback ports with every path in
// a temp dir, TLS with a certificate made here; a missing program skips its suite and says so.
//
// Why the examples carry `proxy_http_version 1.1` and an HTTP/1.1 health check: the tracker port's HTTP
// library (uWebSockets.js 20.30) never answers HTTP/1.0 (scripts/repro/uws-http-parsing.mjs). The last
// suite shows the proxies' defaults: answered by the admin API (node:http), whose answer to HAProxy's
// default probe (OPTIONS /) is /check's verdict, and never answered on the tracker port.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { renderExample, renderHayateConfig } from '../helpers/deploy-example.js';
import { hasHaproxy, serverStats, startHaproxy, waitForServers } from '../helpers/haproxy.js';
import { httpsGet, type HttpsOptions } from '../helpers/https-client.js';
import { hasNginx, startNginx } from '../helpers/nginx.js';
import { assertBuilt, freeListenAddrs, killAll, run, tempDir, waitUntilServing, type Run } from '../helpers/process.js';
import { stopAllPrograms } from '../helpers/program.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { hasOpenssl, makeSelfSigned, type TestCert } from '../helpers/tls-cert.js';
import {
  announceParams, announceUrl, decode, freeTcpPort, get, getJson, infoHash, peerId, peersOf, queryString, request,
  startTestTracker, text, waitFor, type TestTracker,
} from '../helpers/tracker.js';
import { canBind } from '../helpers/udp-client.js';

// The client talks to the proxy from 127.0.0.2 when it can: the proxy's own upstream connections come
// from 127.0.0.1, so a registered 127.0.0.2 can only have come from X-Forwarded-For.
const CLIENT_ADDR = (await canBind('127.0.0.2')) ? '127.0.0.2' : '127.0.0.1';
const FORGED = '6.6.6.6';
const START_WAIT_MS = 30_000;

/** false when every program is installed, else a skip message naming what is missing and its Debian package. */
function skipUnless(programs: Array<[installed: boolean, program: string, debianPackage: string]>): string | false {
  const missing = programs.filter(([installed]) => !installed);
  if (!hasOpenssl()) missing.push([false, 'openssl (for the test certificate)', 'openssl']);
  if (missing.length === 0) return false;
  return `not installed: ${missing.map(([, p]) => p).join(', ')} (Debian: apt-get install ${missing.map(([, , d]) => d).join(' ')})`;
}

/** An announce through the proxy: HTTP 200 and no failure reason, else it throws with what came back. */
async function announceVia(url: string, opts: HttpsOptions): Promise<Record<string, unknown>> {
  const res = await httpsGet(url, opts);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${res.body.toString('latin1').slice(0, 200)}`);
  const d = decode(res.body);
  if (d['failure reason'] !== undefined) throw new Error(`GET ${url}: failure reason ${text(d['failure reason'])}`);
  return d;
}

async function trackerAnnounces(apiPort: number): Promise<number> {
  return Number((await getJson(`http://127.0.0.1:${apiPort}/stats`)).trackerAnnounces);
}

/**
 * A hayate child process on the ports of `config` (a rendered deploy/ config.json). Its start-up (threads,
 * tables) is bounded generously: on a loaded 2-core host it has taken more than 5 s.
 */
async function startHayate(configPath: string, apiPort: number): Promise<Run> {
  const r = run([`-config=${configPath}`]);
  await waitUntilServing(r, apiPort, START_WAIT_MS);
  return r;
}

describe('nginx: deploy/nginx/hayate.conf in front of hayate with deploy/nginx/config.json', {
  skip: skipUnless([[hasNginx, 'nginx', 'nginx-light']]),
}, () => {
  let tmp: ReturnType<typeof tempDir>;
  let cert: TestCert;
  let api: number;
  let direct: string;
  let relay: TcpRelay;
  let base: string;
  let client: HttpsOptions;

  before(async () => {
    assertBuilt();
    tmp = tempDir();
    cert = makeSelfSigned(tmp.dir);
    const ports = await freeListenAddrs();
    api = ports.api;
    direct = `http://127.0.0.1:${ports.http}`;
    await startHayate(tmp.write('config.json', renderHayateConfig('nginx/config.json', ports.config)), api);
    // nginx's upstream is a counting relay in front of hayate's tracker port (see the keep-alive test).
    relay = await startTcpRelay(ports.http);
    const tlsPort = await freeTcpPort();
    const site = renderExample('nginx/hayate.conf', [
      ['listen 443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`],
      ['server 127.0.0.1:6881;', `server 127.0.0.1:${relay.port};`],
      ['/etc/ssl/certs/hayate.crt', cert.certPath],
      ['/etc/ssl/private/hayate.key', cert.keyPath],
    ]);
    await startNginx(tmp.dir, 'nginx-example', site, tlsPort);
    base = `https://127.0.0.1:${tlsPort}`;
    client = { ca: cert.certPem, localAddress: CLIENT_ADDR };
  });

  after(async () => {
    await stopAllPrograms();
    killAll();
    await relay?.close();
    tmp?.cleanup();
  });

  test(`an announce over HTTPS registers the address nginx saw (${CLIENT_ADDR}), not a forged X-Forwarded-For`, async () => {
    const ih = infoHash('nginx-xff');
    // The first peer sends no `ip` and a forged header of its own; nginx must overwrite it.
    const first = await announceVia(announceUrl(base, announceParams(ih, peerId('ngx-first'), { port: 40001 })),
      { ...client, headers: { 'X-Forwarded-For': FORGED } });
    // Alone in its swarm, it is given itself (hayate's lone-peer fallback): its registered address.
    assert.deepEqual(peersOf(first).v4, [`${CLIENT_ADDR}:40001`]);
    const second = await announceVia(announceUrl(base, announceParams(ih, peerId('ngx-second'), { port: 40002 })), client);
    assert.deepEqual(peersOf(second).v4, [`${CLIENT_ADDR}:40001`]);

    // Control: the same forged header sent straight to hayate's tracker port is believed (realIPHeader is
    // on), which is why deploy/nginx/config.json keeps that port on loopback.
    const ih2 = infoHash('nginx-xff-direct');
    const res = await get(announceUrl(direct, announceParams(ih2, peerId('direct-first'), { port: 40003 })), { 'X-Forwarded-For': FORGED });
    assert.equal(res.status, 200);
    assert.deepEqual(peersOf(decode(res.body)).v4, [`${FORGED}:40003`]);
    const seen = await announceVia(announceUrl(base, announceParams(ih2, peerId('ngx-third'), { port: 40004 })), client);
    assert.deepEqual(peersOf(seen).v4, [`${FORGED}:40003`]);
  });

  test('upstream keep-alive: 20 announces over at most 2 upstream connections, all answered; nginx ends idle ones before hayate does', async () => {
    const announces0 = await trackerAnnounces(api);
    const accepted0 = relay.accepted();
    const ih = infoHash('nginx-keepalive');
    for (let i = 0; i < 20; i++) {
      await announceVia(announceUrl(base, announceParams(ih, peerId(`ka-${i}`), { port: 41000 + i })), client);
    }
    assert.equal(await trackerAnnounces(api) - announces0, 20, 'hayate answered every announce');
    const opened = relay.accepted() - accepted0;
    // Without `proxy_set_header Connection ""` (or without keepalive) this is 20: one per request.
    assert.ok(opened <= 2, `nginx opened ${opened} upstream connections for 20 sequential announces`);
    assert.ok(relay.open() >= 1, 'an idle upstream connection is kept open');
    // hayate's HTTP library closes idle connections after ~10 s; the example's keepalive_timeout (5s)
    // makes nginx close them first, so it never sends a request on one hayate is closing.
    await waitFor('nginx to close its idle upstream connections', () => relay.open() === 0, 9_000, 100);
    assert.equal(relay.closedByTarget(), 0, 'hayate closed an upstream connection before nginx did');
  });
});

describe('HAProxy: deploy/haproxy/hayate.cfg in front of two hayates with deploy/haproxy/config.json', {
  skip: skipUnless([[hasHaproxy, 'haproxy', 'haproxy']]),
}, () => {
  interface Instance { name: string; configPath: string; api: number; run: Run }
  let tmp: ReturnType<typeof tempDir>;
  let cert: TestCert;
  let socket: string;
  let base: string;
  let client: HttpsOptions;
  let checks: { interMs: number; fall: number; rise: number };
  const instances: Instance[] = [];
  // 16 torrents, each announced first by its seeder, with the instance that answered.
  const torrents = Array.from({ length: 16 }, (_, i) => ({ tag: `ha-${i}`, ih: infoHash(`haproxy-${i}`), owner: '' }));

  const state = async (name: string): Promise<string> => (await serverStats(socket)).get(`hayate/${name}`)?.status ?? 'absent';
  const announceCounts = (): Promise<number[]> => Promise.all(instances.map((i) => trackerAnnounces(i.api)));

  before(async () => {
    assertBuilt();
    tmp = tempDir();
    cert = makeSelfSigned(tmp.dir);
    socket = join(tmp.dir, 'haproxy.sock');
    const replacements: Array<[string, string]> = [];
    for (const [name, example] of [['hayate1', '10.0.0.11'], ['hayate2', '10.0.0.12']] as const) {
      const ports = await freeListenAddrs();
      const configPath = tmp.write(`${name}.json`, renderHayateConfig('haproxy/config.json', ports.config));
      instances.push({ name, configPath, api: ports.api, run: await startHayate(configPath, ports.api) });
      replacements.push([`${example}:6881 check port 6880`, `127.0.0.1:${ports.http} check port ${ports.api}`]);
    }
    const tlsPort = await freeTcpPort();
    const cfg = renderExample('haproxy/hayate.cfg', [
      ['bind :443 ', `bind 127.0.0.1:${tlsPort} `],
      ['/etc/haproxy/certs/hayate.pem', cert.pemPath],
      ['/run/haproxy/hayate.sock', socket],
      ...replacements,
    ]);
    // The bounds below follow the example's own check timing.
    const m = /default-server inter (\d+)s fall (\d+) rise (\d+)/.exec(cfg);
    assert.ok(m, 'the example sets `default-server inter <n>s fall <n> rise <n>`');
    checks = { interMs: Number(m[1]) * 1000, fall: Number(m[2]), rise: Number(m[3]) };
    await startHaproxy('example', tmp.write('haproxy.cfg', cfg), socket);
    base = `https://127.0.0.1:${tlsPort}`;
    client = { ca: cert.certPem, localAddress: CLIENT_ADDR };
  });

  after(async () => {
    await stopAllPrograms();
    killAll();
    tmp?.cleanup();
  });

  test('the HTTP/1.1 health check on /check of each admin port marks both instances UP', async () => {
    const stats = await waitForServers(socket, { 'hayate/hayate1': ['UP', 'L7OK'], 'hayate/hayate2': ['UP', 'L7OK'] }, checks.interMs * 2 + 2_000);
    for (const n of ['hayate1', 'hayate2']) assert.equal(stats.get(`hayate/${n}`)?.checkCode, '200');
  });

  test('announces are spread over both instances by info_hash; a torrent\'s peers meet on one instance however they encode it', async () => {
    for (const t of torrents) {
      const before = await announceCounts();
      await announceVia(announceUrl(base, announceParams(t.ih, peerId(`${t.tag}-s`), { port: 42001, left: 0 })), client);
      const after = await announceCounts();
      const grew = instances.filter((_, i) => after[i]! - before[i]! === 1);
      assert.equal(grew.length, 1, `one instance answered ${t.tag} (${before} -> ${after})`);
      t.owner = grew[0]!.name;
    }
    for (const i of instances) assert.ok(torrents.some((t) => t.owner === i.name), `${i.name} got none of 16 torrents`);

    // The second peer spells the same bytes differently (unreserved bytes literal, upper-case escapes),
    // as other clients do; balancing on the decoded value sends it to the same instance.
    for (const t of torrents) {
      const loose = [...t.ih].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
      assert.notEqual(loose, queryString({ x: t.ih }).slice(2), 'the two spellings differ');
      const url = `${base}/announce?info_hash=${loose}&${queryString({ peer_id: peerId(`${t.tag}-l`), port: 42002, uploaded: 0, downloaded: 0, left: 100 })}`;
      const d = await announceVia(url, client);
      assert.deepEqual(peersOf(d).v4, [`${CLIENT_ADDR}:42001`], `${t.tag}: the leecher sees the seeder`);
    }
  });

  test(`a forged X-Forwarded-For is replaced by the address HAProxy saw (${CLIENT_ADDR})`, async () => {
    const ih = infoHash('haproxy-xff');
    const first = await announceVia(announceUrl(base, announceParams(ih, peerId('hx-first'), { port: 42101 })), { ...client, headers: { 'X-Forwarded-For': FORGED } });
    assert.deepEqual(peersOf(first).v4, [`${CLIENT_ADDR}:42101`], 'alone in its swarm, it is given itself');
    const d = await announceVia(announceUrl(base, announceParams(ih, peerId('hx-second'), { port: 42102 })), client);
    assert.deepEqual(peersOf(d).v4, [`${CLIENT_ADDR}:42101`]);
  });

  test('one instance killed: no announce fails, it is marked DOWN within the fall time, the other takes every torrent', async (t) => {
    const [dead, alive] = instances as [Instance, Instance];
    dead.run.child.kill('SIGKILL');
    await dead.run.exited;
    const killedAt = Date.now();
    const fallBoundMs = checks.interMs * (checks.fall + 1) + 3_000;
    let sentWhileUp = 0;
    let slowestMs = 0;
    let round = 0;
    // Re-announce every torrent (new peers each round) until HAProxy has marked the instance DOWN.
    for (;;) {
      const down = (await state(dead.name)).startsWith('DOWN');
      if (down) break;
      assert.ok(Date.now() - killedAt < fallBoundMs, `${dead.name} not marked DOWN within ${fallBoundMs} ms`);
      for (const tr of torrents) {
        const t0 = Date.now();
        await announceVia(announceUrl(base, announceParams(tr.ih, peerId(`${tr.tag}-f${round}`), { port: 43000 + round })), client);
        slowestMs = Math.max(slowestMs, Date.now() - t0);
        if (tr.owner === dead.name) sentWhileUp++;
      }
      round++;
    }
    const downAfterMs = Date.now() - killedAt;
    t.diagnostic(`DOWN after ${downAfterMs} ms; ${sentWhileUp} announces for its torrents answered meanwhile (slowest ${slowestMs} ms)`);
    assert.ok(sentWhileUp > 0, 'announces for the dead instance\'s torrents were sent before it was marked DOWN');

    const before = await trackerAnnounces(alive.api);
    for (const tr of torrents) {
      const d = await announceVia(announceUrl(base, announceParams(tr.ih, peerId(`${tr.tag}-a`), { port: 44001 })), client);
      // A failed-over torrent's swarm restarts on the survivor from the peers that re-announced.
      assert.ok(peersOf(d).v4.length >= 1, `${tr.tag}: peers on the surviving instance`);
    }
    assert.equal(await trackerAnnounces(alive.api) - before, torrents.length, `${alive.name} answered every announce`);
  });

  test('the instance restarted on its ports: marked UP again within the rise time, and its torrents come back to it', async () => {
    const back = instances[0]!;
    back.run = await startHayate(back.configPath, back.api);
    const startedAt = Date.now();
    const riseBoundMs = checks.interMs * (checks.rise + 1) + 3_000;
    await waitFor(`${back.name} UP again`, async () => (await state(back.name)) === 'UP', riseBoundMs, 100);
    const upAfterMs = Date.now() - startedAt;
    for (const tr of torrents) {
      const before = await trackerAnnounces(back.api);
      await announceVia(announceUrl(base, announceParams(tr.ih, peerId(`${tr.tag}-r`), { port: 45001 })), client);
      const got = await trackerAnnounces(back.api) - before;
      // Consistent hashing: exactly the torrents it had before it died.
      assert.equal(got, tr.owner === back.name ? 1 : 0, `${tr.tag} (owned by ${tr.owner} at first) after ${back.name} rejoined (UP after ${upAfterMs} ms)`);
    }
  });
});

describe('the proxies\' defaults: answered by the admin API, never by the tracker port', {
  skip: skipUnless([[hasNginx, 'nginx', 'nginx-light'], [hasHaproxy, 'haproxy', 'haproxy']]),
}, () => {
  let tmp: ReturnType<typeof tempDir>;
  let fit: TestTracker;
  let unfit: TestTracker;
  const apiPort = (t: TestTracker): number => Number(new URL(t.apiUrl).port);

  before(async () => {
    tmp = tempDir();
    fit = await startTestTracker();
    // Cannot serve: its JWK set is on a port nothing listens on, so /check says 503.
    unfit = await startTestTracker({ jwkSetURI: 'http://127.0.0.1:1/jwks.json' });
  });

  after(async () => {
    await stopAllPrograms();
    await fit?.stop();
    await unfit?.stop();
    tmp?.cleanup();
  });

  test('nginx\'s default proxying (HTTP/1.0, Connection: close): /check answers at once; an announce ends in 504', async () => {
    const port = await freeTcpPort();
    // No proxy_http_version, no headers: nginx's defaults.
    await startNginx(tmp.dir, 'nginx-defaults', [
      'server {',
      `  listen 127.0.0.1:${port};`,
      `  location /check { proxy_pass http://127.0.0.1:${apiPort(fit)}; }`,
      `  location / { proxy_pass http://127.0.0.1:${fit.httpPort}; proxy_read_timeout 2s; }`,
      '}',
      '',
    ].join('\n'), port);
    for (const method of ['GET', 'HEAD']) {
      const t0 = Date.now();
      const res = await request(method, `http://127.0.0.1:${port}/check`);
      assert.equal(res.status, 200, method);
      if (method === 'GET') assert.equal(res.body.toString(), 'STILL-ALIVE');
      // A request hayate's tracker port would take is left hanging for ~10 s, not answered late.
      assert.ok(Date.now() - t0 < 3_000, `${method} /check took ${Date.now() - t0} ms`);
    }
    const res = await get(announceUrl(`http://127.0.0.1:${port}`, announceParams(infoHash('defaults'), peerId('defaults'))));
    assert.equal(res.status, 504, 'hayate\'s tracker port never answered nginx\'s HTTP/1.0 request');
  });

  test('HAProxy\'s default `option httpchk` (OPTIONS / HTTP/1.0) is answered by the admin API with /check\'s verdict; on the tracker port it times out', async () => {
    const socket = join(tmp.dir, 'defaults.sock');
    const backend = (name: string, port: number, send: string | null): string[] => [
      `backend ${name}`,
      '  option httpchk',
      ...(send === null ? [] : [`  http-check send ${send}`]),
      `  server s 127.0.0.1:${port} check inter 300ms fall 2 rise 1`,
    ];
    const getCheck = 'meth GET uri /check ver HTTP/1.1 hdr Host hayate';
    const cfg = [
      'global',
      `  stats socket ${socket} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      '  timeout check 1s',
      ...backend('admin_default', apiPort(fit), null),
      ...backend('tracker_default', fit.httpPort, null),
      ...backend('tracker_http11', fit.httpPort, 'meth GET uri /scrape ver HTTP/1.1 hdr Host hayate'),
      ...backend('unfit_default', apiPort(unfit), null),
      ...backend('unfit_get_check', apiPort(unfit), getCheck),
      '',
    ].join('\n');
    await startHaproxy('defaults', tmp.write('defaults.cfg', cfg), socket);
    const s = await waitForServers(socket, {
      'admin_default/s': ['UP', 'L7OK'],
      // The tracker port never answers the HTTP/1.0 probe: the check times out.
      'tracker_default/s': ['DOWN', 'L7TOUT'],
      // The same port answers an HTTP/1.1 one.
      'tracker_http11/s': ['UP', 'L7OK'],
      // OPTIONS / is answered with /check's verdict: an instance that cannot serve goes DOWN even so.
      'unfit_default/s': ['DOWN', 'L7STS'],
      // GET /check sees it.
      'unfit_get_check/s': ['DOWN', 'L7STS'],
    }, 10_000);
    assert.equal(s.get('unfit_get_check/s')?.checkCode, '503');
    assert.equal(s.get('unfit_default/s')?.checkCode, '503');
  });
});
