// Network sync against the reference cloud over HTTPS on loopback with a CA made at test time,
// through a real proxy process, and every way the network can fail: each failure is a clear
// error, a sync-failing alert and a retry, and changes nothing but the sync's own bookkeeping.
import t from 'tap';
import type { Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSatellite, http as call, type TestSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { ACCOUNT, CLOUD_TOKEN, FakeCloud, importBundle, line, linesHeld, makeCertificates, PROFILE, socketCall, startReferenceCloud, storeDump } from '../../helpers/exchange.ts';
import { startProxy } from '../../helpers/connect-proxy.ts';

const root = tempDir(t);
const pem = await makeCertificates(root);

async function reportingDevices(sat: TestSatellite, n: number) {
  const { token } = await createToken(sat.socketPath);
  const out = [];
  for (let i = 0; i < n; i++) {
    const reg = await registerDevice(sat.device, token, `FDO${String(i).padStart(8, '0')}`);
    out.push(reg.body);
    t.equal((await postReport(sat.device, reg.body.credential, report(sat.clock()))).status, 202);
  }
  return out;
}

t.test('end to end over HTTPS: register, report, sync, acks, revocation, new lines', async (t) => {
  const dir = tempDir(t);
  const cloud = await startReferenceCloud(t, dir, { tls: { cert: pem.cert, key: pem.key } });
  t.match(cloud.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const sat = await startSatellite(t, {
    config: { 'exchange.url': cloud.url, 'exchange.caFile': pem.ca, 'exchange.cloudKeys': cloud.identity.jwksPath },
  });
  const id = sat.ctx.identity.id;

  const reg = await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: CLOUD_TOKEN } });
  t.equal(reg.status, 200, reg.body.toString());
  t.same(reg.json(), { registration: 'registered', account: { id: ACCOUNT, ...PROFILE } });
  t.equal(cloud.cloud.satellite(id)?.account, ACCOUNT, 'the cloud knows the satellite');

  const devices = await reportingDevices(sat, 3);
  const synced = await socketCall(sat.socketPath, 'POST', '/api/sync');
  t.equal(synced.status, 200, synced.body.toString());
  t.same(synced.json(), { sent: { sequence: 1, records: 1 + 3 + 3 }, received: { sequence: 2 }, acknowledged: 3 });
  const acks = await call('GET', `${sat.device}/v1/acks`, { headers: { authorization: `Bearer ${devices[0]!.credential}` } });
  t.match(acks.body.acks, [{ bundleSequence: 1 }]);
  t.equal(cloud.cloud.satellite(id)?.received['usage.ndjson'], 3, 'the cloud received the reports');
  t.equal(cloud.cloud.satellite(id)?.received['devices.ndjson'], 3);

  const status = (await socketCall(sat.socketPath, 'GET', '/api/sync')).json();
  t.match(status, { registration: 'registered', mode: 'network', lastAttempt: String, lastSuccess: String, lastError: null, sequence: { exported: 1, acknowledged: 1 } });
  t.ok(Date.parse(status.nextRun) > Date.now(), `the next scheduled run: ${status.nextRun}`);
  t.same(sat.exchange.syncAlerts(sat.clock()), [], 'no sync alert after a success');

  // The cloud revokes a device and changes the lines: the next sync brings both.
  await cloud.cloud.revokeDevice(id, devices[1]!.deviceId, 'returned to vendor');
  await cloud.cloud.setLines(ACCOUNT, [line('L1', 80)]);
  const second = await socketCall(sat.socketPath, 'POST', '/api/sync');
  t.same(second.json(), { sent: { sequence: 2, records: 1 }, received: { sequence: 3 }, acknowledged: 0 });
  t.match(sat.ctx.state.device(devices[1]!.deviceId), { state: 'deregistered', revoked: true });
  t.same(linesHeld(sat), [line('L1', 80)]);
  // ...and the revocation is a device change the cloud hears about next time.
  t.same((await socketCall(sat.socketPath, 'POST', '/api/sync')).json().sent, { sequence: 3, records: 2 });
});

t.test('through a real HTTPS proxy process: exchange.proxy, and HTTPS_PROXY when that is unset', async (t) => {
  const dir = tempDir(t);
  const cloud = await startReferenceCloud(t, dir, { tls: { cert: pem.cert, key: pem.key } });
  const proxy = await startProxy(t);
  const target = new URL(cloud.url).host;
  const base = { 'exchange.url': cloud.url, 'exchange.caFile': pem.ca, 'exchange.cloudKeys': cloud.identity.jwksPath };

  const viaConfig = await startSatellite(t, { config: { ...base, 'exchange.proxy': proxy.url } });
  t.equal((await socketCall(viaConfig.socketPath, 'POST', '/api/registration', { json: { token: CLOUD_TOKEN } })).status, 200);
  t.equal((await socketCall(viaConfig.socketPath, 'POST', '/api/sync')).status, 200);
  t.same(proxy.tunnels, [target, target], 'registration and sync each tunnelled through the proxy to the cloud');

  const viaEnv = await startSatellite(t, { config: base, env: { HTTPS_PROXY: proxy.url } });
  t.equal((await socketCall(viaEnv.socketPath, 'POST', '/api/registration', { json: { token: CLOUD_TOKEN } })).status, 200);
  t.equal(proxy.tunnels.length, 3, 'HTTPS_PROXY is used when exchange.proxy is null');
});

t.test('NO_PROXY: naming the cloud bypasses the HTTPS_PROXY, naming another host does not', async (t) => {
  const dir = tempDir(t);
  const cloud = await startReferenceCloud(t, dir, { tls: { cert: pem.cert, key: pem.key } });
  const proxy = await startProxy(t);
  const target = new URL(cloud.url).host; // 127.0.0.1:<port>
  const base = { 'exchange.url': cloud.url, 'exchange.caFile': pem.ca, 'exchange.cloudKeys': cloud.identity.jwksPath };
  const register = async (sat: TestSatellite) => (await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: CLOUD_TOKEN } })).status;

  const bypassing = await startSatellite(t, { config: base, env: { HTTPS_PROXY: proxy.url, NO_PROXY: `localhost, ${target}` } });
  t.equal(await register(bypassing), 200, 'registered straight with the cloud');
  t.equal((await socketCall(bypassing.socketPath, 'POST', '/api/sync')).status, 200, 'and synced');
  const bypassingCidr = await startSatellite(t, { config: base, env: { https_proxy: proxy.url, no_proxy: '127.0.0.0/8' } });
  t.equal(await register(bypassingCidr), 200, 'registered straight with the cloud (no_proxy, a CIDR block)');
  t.same(proxy.tunnels, [], 'the proxy saw no CONNECT');

  const proxied = await startSatellite(t, { config: base, env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,.example.com,127.0.0.1:1' } });
  t.equal(await register(proxied), 200);
  t.same(proxy.tunnels, [target], 'a NO_PROXY not naming the cloud (nor its port) leaves it behind the proxy');
  const configured = await startSatellite(t, { config: { ...base, 'exchange.proxy': proxy.url }, env: { NO_PROXY: '*' } });
  t.equal(await register(configured), 200);
  t.same(proxy.tunnels, [target, target], 'exchange.proxy is used whatever NO_PROXY says');
});

/** A satellite registered by file (so it can sync), pointed at `url`. */
async function registeredAt(t: Test, url: string, config: Record<string, unknown> = {}) {
  const dir = tempDir(t);
  const fake = new FakeCloud(dir);
  await fake.trust();
  const sat = await startSatellite(t, { config: { 'exchange.url': url, 'exchange.cloudKeys': fake.jwksPath, ...config } });
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
  const resp = await fake.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: sat.clock().toISOString() });
  t.equal((await importBundle(sat.socketPath, resp)).status, 200);
  await reportingDevices(sat, 2);
  return sat;
}

/** The store without what a failed sync may change: its own status, and the report it exported. */
async function dataDump(sat: TestSatellite) {
  await sat.exchange.settled();
  const dump = await storeDump(sat.ctx.store);
  return dump.filter(([k, v]) => {
    if (k === 'meta!sync' || k === 'meta!exchange' || k === 'meta!seq!export' || k === 'meta!seq!event' || k.startsWith('exp!')) return false;
    return !(k.startsWith('evt!') && JSON.parse(v).type === 'exchange.exported');
  });
}

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

t.test('each network failure: a clear error, a sync-failing alert, a retry, and no data changed', async (t) => {
  const down = await listen(() => {});
  const downUrl = down.url;
  await new Promise((r) => down.server.close(r));
  const failing = await listen((req, res) => {
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'The cloud fell over.' } }));
  });
  const slow = await listen(() => {}); // accepts, never answers
  t.teardown(() => {
    failing.server.close();
    slow.server.closeAllConnections();
    slow.server.close();
  });
  const tlsCloud = await startReferenceCloud(t, tempDir(t), { tls: { cert: pem.cert, key: pem.key } });
  const refusing = await startProxy(t, { refuse: true });

  const cases: Array<[string, string, Record<string, unknown>, string, RegExp]> = [
    ['the cloud is down', downUrl, {}, 'CLOUD_UNREACHABLE', /^The cloud at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)\.$/],
    ['the cloud answers 500', failing.url, {}, 'CLOUD_ERROR', /^The cloud at http:\/\/127\.0\.0\.1:\d+ answered 500 \(INTERNAL: The cloud fell over\.\)\.$/],
    ['the cloud is too slow', slow.url, { 'exchange.timeoutSeconds': 1 }, 'CLOUD_TIMEOUT', /took longer than 1 s when answering \(exchange\.timeoutSeconds\)/],
    ['the cloud\'s certificate is not trusted', tlsCloud.url, {}, 'CLOUD_UNREACHABLE', /^TLS with the cloud at https:\/\/127\.0\.0\.1:\d+ failed: [A-Z_]+ .*set exchange\.caFile\.$/],
    ['the proxy refuses the tunnel', tlsCloud.url, { 'exchange.proxy': refusing.url, 'exchange.caFile': pem.ca }, 'CLOUD_UNREACHABLE', /^The proxy http:\/\/127\.0\.0\.1:\d+ refused to tunnel to https:\/\/127\.0\.0\.1:\d+/],
  ];
  for (const [name, url, config, code, message] of cases) {
    await t.test(name, async (t) => {
      const sat = await registeredAt(t, url, config);
      const before = await dataDump(sat);
      const beforeStatus = (await socketCall(sat.socketPath, 'GET', '/api/sync')).json();
      const started = Date.now();
      const answer = await socketCall(sat.socketPath, 'POST', '/api/sync');
      t.ok(Date.now() - started < 5000, 'fails within the timeout');
      t.equal(answer.status, code === 'CLOUD_TIMEOUT' ? 504 : 502);
      t.equal(answer.json().error.code, code);
      t.match(answer.json().error.message, message);
      t.same(await dataDump(sat), before, 'reports, acks, devices, entitlements: all unchanged');
      t.equal(sat.ctx.state.reportCounts.unacknowledged, 2);

      const alerts = sat.exchange.syncAlerts(sat.clock());
      t.match(alerts, [{ type: 'sync-failing', severity: 'warning', virtualAccount: null, entitlement: null, since: sat.clock().toISOString() }]);
      t.match(alerts[0]!.message, /failed once: /);
      const status = (await socketCall(sat.socketPath, 'GET', '/api/sync')).json();
      // The last success stays the offline registration's: a failed sync never moves it.
      t.match(status, { lastAttempt: sat.clock().toISOString(), lastError: { code, message, at: sat.clock().toISOString() } });
      t.equal(status.lastSuccess, beforeStatus.lastSuccess, 'a failed sync is no success');
      const history = (await socketCall(sat.socketPath, 'GET', '/api/sync/history')).json();
      t.match(history.items[0], { path: 'network', kind: 'sync', result: 'failed', error: { code } }, 'the failure heads the history');
      const retry = sat.syncJob.nextRetry();
      t.ok(retry && retry.getTime() > Date.now() && retry.getTime() <= Date.now() + 30_000, 'a retry is due within 30 s');
      t.equal(status.nextRun, retry!.toISOString(), 'GET /api/sync shows the retry as the next run');

      const second = await socketCall(sat.socketPath, 'POST', '/api/sync');
      t.equal(second.json().error.code, code);
      t.match(sat.exchange.syncAlerts(sat.clock())[0]!.message, /failed 2 times in a row/);
    });
  }
  const logged = refusing.tunnels;
  t.ok(logged.length >= 2, 'the refusing proxy saw the tunnel requests');
});

t.test('sync refuses before registration, and sync-overdue stands after exchange.overdueDays', async (t) => {
  const dir = tempDir(t);
  const fake = new FakeCloud(dir);
  await fake.trust();
  const sat = await startSatellite(t, { config: { 'exchange.url': 'http://127.0.0.1:9', 'exchange.cloudKeys': fake.jwksPath } });
  const early = await socketCall(sat.socketPath, 'POST', '/api/sync');
  t.equal(early.status, 409);
  t.equal(early.json().error.code, 'NOT_REGISTERED');
  t.equal(sat.syncJob.nextRetry(), null, 'not retried: it would not help');
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
  await importBundle(sat.socketPath, await fake.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: sat.clock().toISOString() }));
  sat.clock.advanceDays(30);
  t.same(sat.exchange.syncAlerts(sat.clock()), [], 'exactly 30 days: not yet overdue');
  sat.clock.advanceDays(1);
  t.match(sat.exchange.syncAlerts(sat.clock()), [{ type: 'sync-overdue', severity: 'warning', message: /No contact with the cloud for 31 days/ }]);
});
