// The pull collector end to end (SPEC §9), through the admin API on the control socket, against
// emulated products over real HTTPS and the reference cloud: targets added, polled, reports kept
// byte-exact, devices and pools updated, reports carried to the cloud and its acknowledgements
// delivered back to the products, Cisco's XML files round-tripped, and the refusals.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startSatellite, http } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { control } from '../../helpers/control.ts';
import { createToken, registerDevice } from '../../helpers/devices.ts';
import { CLOUD_TOKEN, socketCall, startReferenceCloud } from '../../helpers/exchange.ts';
import { startFleet, type EmulatedProduct } from '../../../scripts/product-emulator.ts';
import { policyDevices, signedUsage } from '../../../scripts/simulate-devices.ts';
import { keys, prefixRange } from '../../../daemon/store/index.ts';
import type { RumStored } from '../../../daemon/domain/collector/records.ts';
import { parseRumUsageXml } from '../../../daemon/domain/collector/xml.ts';

const ADVANTAGE = 'regid.2017-03.com.cisco.advantage_k9,1.0_bd1da96e-ec1d-412b-a50e-53846b347d53';
const DNA = 'regid.2017-07.com.cisco.dna_advantage,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790';

t.test('targets polled over HTTPS, reports byte-exact, pools, the cloud and back, XML files', async (t) => {
  const dir = tempDir(t);
  let productNow = Math.floor(Date.now() / 1000) - 7200;
  const fleet = await startFleet({ products: 3, product: (i) => ({ layout: i === 1 ? 'B' : 'A', usageShape: i === 2 ? 'object' : 'array', closedReports: 2, now: () => productNow }) });
  t.teardown(() => fleet.close());
  const [a, b, c] = fleet.products as [EmulatedProduct, EmulatedProduct, EmulatedProduct];
  const cloud = await startReferenceCloud(t, dir);
  const mapFile = path.join(dir, 'map.yaml');
  await writeFile(mapFile, `"${ADVANTAGE}": network-advantage\n`);
  const sat = await startSatellite(t, {
    config: {
      'exchange.url': cloud.url, 'exchange.cloudKeys': cloud.identity.jwksPath,
      'collector.entitlementMap': mapFile, 'collector.timeoutSeconds': 5,
      'device.policyMode': { enabled: true },
    },
  });
  t.equal((await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: CLOUD_TOKEN } })).status, 200);
  const sock = (m: string, p: string, body?: unknown) => control(sat.socketPath, m, p, body);
  const add = (p: EmulatedProduct, over: Record<string, unknown> = {}) =>
    sock('POST', '/api/collector/targets', { address: p.url, username: p.options.username, password: p.options.password, tls: { ca: fleet.pem.cert }, ...over });

  // --- targets and their refusals ---
  const ta = await add(a);
  t.equal(ta.status, 201, JSON.stringify(ta.body));
  t.match(ta.body, { id: /^tgt_/, address: a.url, username: 'collector', virtualAccount: { path: 'Default' }, tls: { verify: true, pin: null }, lastPoll: null, acks: { pending: 0, delivered: 0, lastError: null } });
  t.notOk(JSON.stringify(ta.body).includes(a.options.password), 'the password is never in an answer');
  const tb = await add(b);
  const tc = await add(c, { tls: { verify: false, pin: fleet.pem.sha256 } });
  t.equal(tc.status, 201);
  t.match(tc.body.warnings, [/only the certificate pin/]);
  t.match(await add(a), { status: 409, body: { error: { code: 'NAME_TAKEN' } } }, 'the same address twice');
  t.match(await add(a, { address: a.url.replace('https', 'http') }), { status: 400, body: { error: { code: 'INVALID_REQUEST', message: /https:\/\// } } });
  t.match(await add(a, { address: `${a.url}/smartlic-service` }), { status: 400 });
  t.match(await add(a, { address: sat.admin.replace('http', 'https') }), { status: 400, body: { error: { message: /own listeners/ } } }, 'the satellite itself');
  t.match(await add(a, { address: 'https://8.8.8.8' }), { status: 400, body: { error: { message: /allowedNetworks/ } } });
  t.match(await sock('PATCH', `/api/collector/targets/${ta.body.id}`, { tls: { verify: false } }), { status: 400, body: { error: { message: /password/ } } }, 'weakening TLS needs the password');
  const dump = JSON.stringify(await sock('GET', '/api/events?limit=1000'));
  t.notOk(dump.includes(a.options.password), 'nor in an event');
  t.equal((await sock('GET', '/api/collector/targets')).body.items.length, 3);

  // --- a poll ---
  t.match(await sock('POST', '/api/collector/poll', {}), { status: 202, body: { started: 3 } });
  await sat.services.collector.idle();
  const after = (await sock('GET', `/api/collector/targets/${ta.body.id}`)).body;
  t.match(after.lastPoll, { ok: true, reports: 2, error: null }, 'two closed reports collected');
  t.match((await sock('GET', `/api/collector/targets/${tc.body.id}`)).body.lastPoll, { ok: true, reports: 1 }, 'usage as one object: one report');

  // Stored byte-exact, ids as digits beyond 2^53.
  const stored: RumStored[] = [];
  for await (const [, v] of sat.ctx.store.iterate<RumStored>(prefixRange(keys.rumPrefix))) stored.push(v);
  t.equal(stored.length, 5);
  for (const s of stored) {
    const product = [a, b, c].find((p) => p.options.sn === s.udi.sn)!;
    const served = product.reports.find((r) => r.id.toString() === s.reportId)!;
    t.equal((JSON.parse(s.report!) as { payload: string }).payload, (JSON.parse(served.json!) as { payload: string }).payload, `payload of ${s.reportId} exact`);
  }
  t.ok(stored.some((s) => s.reportId === '9007199254740993'));

  // Devices via collector, counted in the pools through the entitlement map.
  const devices = (await sock('GET', '/api/devices')).body.items as Array<Record<string, unknown>>;
  t.equal(devices.length, 3);
  t.match(devices[0], { via: 'collector', target: /^tgt_/, hostname: '127.0.0.1', virtualAccount: { path: 'Default' }, state: 'registered' });
  const pools = (await sock('GET', '/api/licenses?va=Default')).body.items as Array<{ entitlement: string; inUse: number }>;
  t.equal(pools.find((p) => p.entitlement === 'network-advantage')?.inUse, 3, 'the mapped tag, one per product');
  t.equal(pools.find((p) => p.entitlement === DNA)?.inUse, 2, 'an unmapped tag counts under its own name (c served only its first report)');

  // Polling again stores nothing new.
  await sock('POST', '/api/collector/poll', { targets: [ta.body.id] });
  await sat.services.collector.idle();
  t.match((await sock('GET', `/api/collector/targets/${ta.body.id}`)).body.lastPoll, { ok: true, reports: 0 });

  // The same id with other bytes is kept as first seen, with an event.
  a.tamper(9007199254740993n);
  await sock('POST', '/api/collector/poll', { targets: [ta.body.id] });
  await sat.services.collector.idle();
  const again = await sat.ctx.store.get<RumStored>(keys.rum(a.options.pid, a.options.sn, '9007199254740993'));
  t.equal(again!.digest, stored.find((s) => s.reportId === '9007199254740993' && s.udi.sn === a.options.sn)!.digest, 'kept as first seen');
  t.match((await sock('GET', '/api/events?type=collector.report_conflict')).body.items, [{ details: { reportId: '9007199254740993' } }]);

  // A collected UDI belongs to the collector: /v1/register 409 even with force, /v1/usage 401.
  const { token } = await createToken(sat.socketPath);
  const reg = await http('POST', `${sat.device}/v1/register`, { body: { token, udi: a.udi, force: true } });
  t.match(reg, { status: 409, body: { error: { code: 'DEVICE_REGISTERED' } } });
  const pd = policyDevices(1)[0]!;
  pd.udi = a.udi;
  const usage = await http('POST', `${sat.device}/v1/usage`, {
    raw: signedUsage(pd, { reportId: crypto.randomUUID(), window: { start: new Date(Date.now() - 3600_000).toISOString(), end: new Date().toISOString() }, usage: [{ entitlement: 'x', count: 1 }] }),
    type: 'application/jose',
  });
  t.match(usage, { status: 401, body: { error: { code: 'KEY_MISMATCH' } } });

  // A UDI registered by token is not collected; the rest of that answer is.
  const tokenSn = b.options.sn;
  void tokenSn;

  // --- to the cloud and back ---
  const synced = await socketCall(sat.socketPath, 'POST', '/api/sync');
  t.equal(synced.status, 200, synced.body.toString());
  t.equal(cloud.cloud.satellite(sat.ctx.identity.id)?.received['rum.ndjson'], 5, 'the cloud received every RUM report');
  await sat.services.collector.idle();
  t.equal(a.imports.length, 1, 'the cloud\'s acknowledgement was delivered to the product');
  t.match(a.imports[0], { status: 200, contentType: 'application/xml', document: /<smartLicenseRumAck>/ });
  t.ok(a.reports.filter((r) => r.state === 'ACK').length >= 2, 'the product flipped the reports it covers');
  t.match((await sock('GET', `/api/collector/targets/${ta.body.id}`)).body.acks, { pending: 0, delivered: 1, lastError: null });
  const second = await socketCall(sat.socketPath, 'POST', '/api/sync');
  t.equal(second.status, 200);
  t.equal(cloud.cloud.satellite(sat.ctx.identity.id)?.received['rum.ndjson'], 5, 'received reports leave rum.ndjson');

  // --- Cisco's own files ---
  productNow += 3600;
  await sock('POST', '/api/collector/poll', {});
  await sat.services.collector.idle();
  const exported = await socketCall(sat.socketPath, 'POST', '/api/collector/rum/export');
  t.equal(exported.status, 200);
  const texts = parseRumUsageXml(exported.body.toString());
  t.ok(texts.length >= 3, `${texts.length} new reports in the file`);
  for (const text of texts) {
    const obj = JSON.parse(text) as { payload: string };
    const id = /"report_id":(\d+)/.exec(obj.payload)![1]!;
    const sn = /"udi_serial_number":"([^"]+)"/.exec(obj.payload)![1]!;
    const p = [a, b, c].find((x) => x.options.sn === sn)!;
    t.equal(obj.payload, (JSON.parse(p.reports.find((r) => r.id.toString() === id)!.json!) as { payload: string }).payload, 'the file carries the product\'s bytes');
  }
  const ciscoAck = '<?xml version="1.0" encoding="UTF-8"?><smartLicense><smartLicenseRumAck><data>b3BhcXVl</data></smartLicenseRumAck></smartLicense>';
  const before = b.imports.length;
  const imported = await socketCall(sat.socketPath, 'POST', '/api/collector/rum/import-ack', { zip: Buffer.from(ciscoAck), type: 'application/xml' });
  t.equal(imported.status, 200, imported.body.toString());
  t.match(imported.json(), { export: 1, documents: 1, acknowledged: texts.length });
  await sat.services.collector.idle();
  t.equal(b.imports.length, before + 1, 'queued for every product in the export and delivered at once');
  t.equal(b.imports.at(-1)!.document, ciscoAck);
  const doctype = await socketCall(sat.socketPath, 'POST', '/api/collector/rum/import-ack', { zip: Buffer.from('<!DOCTYPE x [<!ENTITY e "x">]><smartLicense/>'), type: 'application/xml' });
  t.match(doctype.json(), { error: { code: 'INVALID_REQUEST', message: /DOCTYPE/ } });

  // --- failures: a stable code, the rest unchanged, an alert after three ---
  a.faults = { status: 401 };
  for (let i = 0; i < 3; i++) {
    await sock('POST', '/api/collector/poll', { targets: [ta.body.id] });
    await sat.services.collector.idle();
  }
  t.match((await sock('GET', `/api/collector/targets/${ta.body.id}`)).body.lastPoll, { ok: false, reports: 0, error: { code: 'COLLECTOR_AUTH_FAILED' } });
  const alerts = (await sock('GET', '/api/alerts')).body.items as Array<Record<string, unknown>>;
  t.match(alerts.find((x) => x.type === 'collector-failing'), { severity: 'warning', subject: { kind: 'target', id: ta.body.id } });
  const metrics = await http('GET', `${sat.admin}/metrics`);
  t.match(String(metrics.body), /outpost_collector_polls_total\{result="auth_failed"\} 3/);
  t.match(String(metrics.body), /outpost_collector_polls_total\{result="ok"\} \d+/);
  a.faults = {};

  t.equal((await sock('DELETE', `/api/collector/targets/${tb.body.id}`)).status, 204);
  t.equal((await sock('GET', '/api/collector/targets')).body.items.length, 2);
});

t.test('a UDI registered with a token is not collected; the rest of the answer is', async (t) => {
  const fleet = await startFleet({ products: 1, product: () => ({ closedReports: 2 }) });
  t.teardown(() => fleet.close());
  const p = fleet.products[0]!;
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath);
  t.equal((await registerDevice(sat.device, token, p.options.sn)).status, 201);
  const target = await control(sat.socketPath, 'POST', '/api/collector/targets', { address: p.url, username: 'collector', password: p.options.password, tls: { ca: fleet.pem.cert } });
  await control(sat.socketPath, 'POST', '/api/collector/poll', {});
  await sat.services.collector.idle();
  const got = (await control(sat.socketPath, 'GET', `/api/collector/targets/${target.body.id}`)).body;
  t.match(got.lastPoll, { ok: true, reports: 0, error: { code: 'COLLECTOR_UDI_TAKEN' } });
  t.equal(got.lastPoll.error.message.includes(p.options.sn), true);
  const devices = (await control(sat.socketPath, 'GET', '/api/devices')).body.items;
  t.match(devices, [{ via: 'token' }]);
  t.equal(devices.length, 1);
});
