// The air-gapped exchange through the admin API (control socket), against a satellite on a real
// LevelDB and responses signed by a stand-in cloud key: registration, export, import, acks on
// the device API, re-import, stale and never-asked-for responses, "more", revocations, the lock.
import t from 'tap';
import type { Test } from 'tap';
import path from 'node:path';
import { openBundle, publicJwkOf } from '../../../exchange/bundle/index.ts';
import { keys } from '../../../daemon/store/index.ts';
import { startSatellite, http, type TestSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { ACCOUNT, exportBundle, FakeCloud, importBundle, line, linesHeld, PROFILE, socketCall, storeDump } from '../../helpers/exchange.ts';

const iso = (d: Date, minusMs = 0) => new Date(d.getTime() - minusMs).toISOString();

async function registered(t: Test, config: Record<string, unknown> = {}) {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const sat = await startSatellite(t, { config: { 'exchange.cloudKeys': cloud.jwksPath, ...config } });
  const req = await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } });
  t.equal(req.status, 200, 'the registration request is answered as a file');
  const resp = await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: iso(sat.clock(), 3_600_000) });
  t.equal((await importBundle(sat.socketPath, resp)).status, 200);
  return { dir, cloud, sat };
}

async function devicesReporting(sat: TestSatellite, n: number, reportsEach = 1) {
  const { token } = await createToken(sat.socketPath);
  const devices = [];
  for (let i = 0; i < n; i++) {
    const reg = await registerDevice(sat.device, token, `FOC${String(i).padStart(8, '0')}`);
    devices.push(reg.body);
    for (let k = 0; k < reportsEach; k++) {
      const r = await postReport(sat.device, reg.body.credential, report(new Date(sat.clock().getTime() - k * 3_600_000)));
      if (r.status !== 202) throw new Error(`report answered ${r.status}`);
    }
  }
  return devices;
}

const acksOf = (sat: TestSatellite, credential: string, after?: string) =>
  http('GET', `${sat.device}/v1/acks${after ? `?after=${after}` : ''}`, { headers: { authorization: `Bearer ${credential}` } });

t.test('register offline: the request file, then the response applies account, policy, contact and entitlements', async (t) => {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const sat = await startSatellite(t, { config: { 'exchange.cloudKeys': cloud.jwksPath } });
  const id = sat.ctx.identity.id;

  const req = await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } });
  t.equal(req.status, 200);
  t.match(req.headers['content-type'], /application\/zip/);
  t.match(req.headers['content-disposition'], /attachment; filename="outpost-registration-request.zip"/);
  const reqFile = path.join(dir, 'request.zip');
  await (await import('node:fs/promises')).writeFile(reqFile, req.body);
  const request = await openBundle(reqFile, { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.match(request.manifest, { kind: 'registration-request', satellite: id, account: null, sequence: 0, inReplyTo: null, token: 'reg-token-0123456789', name: sat.ctx.state.satellite.name, files: [] });
  t.same((request.manifest as any).publicKey, publicJwkOf(sat.ctx.identity.privateKey));

  const createdAt = iso(sat.clock(), 3_600_000);
  const lines = [line('L1', 50), line('L2', 5, { virtualAccount: 'Default/Eng' })];
  const resp = await cloud.registrationResponse(id, { sequence: 1, createdAt, lines });
  const applied = await importBundle(sat.socketPath, resp);
  t.equal(applied.status, 200);
  t.same(applied.json(), { kind: 'registration-response', sequence: 1, inReplyTo: 0, alreadyApplied: false, changes: { acknowledged: 0, entitlements: 2, revoked: 0 } });

  const status = (await socketCall(sat.socketPath, 'GET', '/api/status')).json();
  t.match(status, { registration: 'registered', account: { id: ACCOUNT, ...PROFILE }, lastCloudContact: createdAt, daysUntilLapse: 364 });
  t.same(sat.ctx.state.satellite.policy, { reportIntervalHours: 12 }, 'the policy the cloud sent');
  t.same(linesHeld(sat), lines, 'the snapshot reached the license workspace');
  const events = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '\uffff' })) events.push(e.type);
  t.match(events, ['virtual-account.created', 'user.created', 'satellite.registration_requested', 'license.line_added', 'license.line_added', 'satellite.registered', 'exchange.applied'], 'each line the snapshot adds is an event of the license workspace');

  const again = await importBundle(sat.socketPath, resp);
  t.same(again.json(), { ...applied.json(), alreadyApplied: true, changes: { acknowledged: 0, entitlements: 0, revoked: 0 } }, 're-import: already applied');

  const sync = (await socketCall(sat.socketPath, 'GET', '/api/sync')).json();
  // The applied response was a successful exchange, carried by hand: it is the last success.
  t.same(sync, { registration: 'registered', mode: 'air-gapped', lastAttempt: null, lastSuccess: sat.clock().toISOString(), nextRun: null, lastError: null, sequence: { exported: null, acknowledged: null } });
  const history = (await socketCall(sat.socketPath, 'GET', '/api/sync/history')).json();
  t.same(
    history.items.map((e: { kind: string; result: string }) => `${e.kind} ${e.result}`),
    ['registration-response already-applied', 'registration-response ok', 'registration-request ok'],
    'the history: request out, response in, and the re-import (noted, not stored)',
  );
});

t.test('a registration response nobody asked for is BUNDLE_UNEXPECTED; a future createdAt counts as now', async (t) => {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const sat = await startSatellite(t, { config: { 'exchange.cloudKeys': cloud.jwksPath } });
  const resp = await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: iso(sat.clock(), -86_400_000 * 30) });
  const refused = await importBundle(sat.socketPath, resp);
  t.equal(refused.status, 422);
  t.equal(refused.json().error.code, 'BUNDLE_UNEXPECTED');
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } });
  t.equal((await importBundle(sat.socketPath, resp)).status, 200);
  t.equal(sat.ctx.state.satellite.lastCloudContact, sat.clock().toISOString(), 'a signed createdAt in the future is taken as now');
});

t.test('export, import, acks: the round trip of reports, with sequences and re-imports', async (t) => {
  const { dir, cloud, sat } = await registered(t);
  const id = sat.ctx.identity.id;
  const devices = await devicesReporting(sat, 2, 2);

  const e1 = await exportBundle(sat.socketPath, path.join(dir, 'report-1.zip'));
  t.equal(e1.status, 200);
  t.match(e1.headers['content-type'], /application\/zip/);
  t.match(e1, { sequence: 1, records: 1 + 2 + 4, more: false }, 'one VA, two device changes, four reports');
  const b1 = await openBundle(path.join(dir, 'report-1.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.match(b1.manifest, { kind: 'satellite-report', satellite: id, account: ACCOUNT, sequence: 1, inReplyTo: null });
  t.same(b1.manifest.files.map((f) => [f.name, f.records]), [
    ['virtual-accounts.ndjson', 1],
    ['devices.ndjson', 2],
    ['usage.ndjson', 4],
    ['transfers.ndjson', 0],
    ['reservations.ndjson', 0],
    ['rum.ndjson', 0],
  ]);
  const usage = await b1.readAll('usage.ndjson');
  t.match(usage[0], { deviceId: devices[0]!.deviceId, virtualAccount: 'Default', usage: [{ entitlement: 'network-advantage', count: 3 }] });
  t.match(await b1.readAll('devices.ndjson'), [{ deviceId: devices[0]!.deviceId, state: 'registered', via: 'token', virtualAccount: 'Default' }, { deviceId: devices[1]!.deviceId }]);
  t.match(await b1.readAll('virtual-accounts.ndjson'), [{ path: 'Default', parentId: null, tags: {} }]);

  // Nothing is acknowledged yet: the next export carries it all again, under the next sequence.
  const e2 = await exportBundle(sat.socketPath, path.join(dir, 'report-2.zip'));
  t.match(e2, { sequence: 2, records: 7, more: false });
  // A report arriving now is in neither.
  const late = await postReport(sat.device, devices[0]!.credential, report(sat.clock()));
  t.equal(late.status, 202);

  const r1 = await cloud.cloudResponse(id, { sequence: 2, inReplyTo: 1, createdAt: iso(sat.clock(), 60_000), lines: [line('L1', 60)] });
  const applied = await importBundle(sat.socketPath, r1);
  t.same(applied.json(), { kind: 'cloud-response', sequence: 2, inReplyTo: 1, alreadyApplied: false, changes: { acknowledged: 4, entitlements: 1, revoked: 0 } });
  const acks = await acksOf(sat, devices[0]!.credential);
  t.equal(acks.status, 200);
  t.equal(acks.body.acks.length, 2);
  t.match(acks.body.acks[0], { reportId: usage[0]!.reportId, acknowledgedAt: sat.clock().toISOString(), bundleSequence: 1 });
  t.same((await acksOf(sat, devices[0]!.credential, acks.body.cursor)).body.acks, [], 'the cursor moves past them');
  const st = (await socketCall(sat.socketPath, 'GET', '/api/status')).json();
  t.same(st.reports, { total: 5, unacknowledged: 1 });
  t.same(linesHeld(sat), [line('L1', 60)], 'entitlements replaced by the snapshot');

  await sat.exchange.settled(); // the queue housekeeping after the last import
  const before = await storeDump(sat.ctx.store);
  const again = await importBundle(sat.socketPath, r1);
  t.equal(again.status, 200);
  t.equal(again.json().alreadyApplied, true);
  t.same(await storeDump(sat.ctx.store), before, 're-import changes nothing at all');

  // The response to report 2 acknowledges nothing new (report 2 carried what 1 did).
  const r2 = await cloud.cloudResponse(id, { sequence: 3, inReplyTo: 2, createdAt: iso(sat.clock(), 30_000) });
  t.same((await importBundle(sat.socketPath, r2)).json().changes, { acknowledged: 0, entitlements: 1, revoked: 0 });

  // The next report carries only what is left: the late report, no device changes.
  const e3 = await exportBundle(sat.socketPath, path.join(dir, 'report-3.zip'));
  t.match(e3, { sequence: 3, records: 1 + 0 + 1 });
  const r3 = await cloud.cloudResponse(id, { sequence: 4, inReplyTo: 3, createdAt: iso(sat.clock(), 10_000) });
  t.same((await importBundle(sat.socketPath, r3)).json().changes.acknowledged, 1);
  t.equal((await acksOf(sat, devices[0]!.credential, acks.body.cursor)).body.acks[0].bundleSequence, 3);
  t.same(sat.ctx.state.reportCounts, { total: 5, unacknowledged: 0 });
  t.same((await socketCall(sat.socketPath, 'GET', '/api/sync')).json().sequence, { exported: 3, acknowledged: 3 });
  t.equal(sat.ctx.state.satellite.lastCloudContact, iso(sat.clock(), 10_000), 'last cloud contact: the newest signed createdAt');

  // An older response applied before is still "already applied", never stale.
  t.equal((await importBundle(sat.socketPath, r1)).json().alreadyApplied, true);
});

t.test('stale and never-exported responses are refused; lastCloudContact never goes back', async (t) => {
  const { cloud, sat, dir } = await registered(t);
  const id = sat.ctx.identity.id;
  await devicesReporting(sat, 1);
  await exportBundle(sat.socketPath, path.join(dir, 'r1.zip'));
  const older = await cloud.cloudResponse(id, { sequence: 5, inReplyTo: 1, createdAt: iso(sat.clock(), 120_000) });
  const newer = await cloud.cloudResponse(id, { sequence: 6, inReplyTo: 1, createdAt: iso(sat.clock(), 240_000) });
  t.equal((await importBundle(sat.socketPath, newer)).status, 200);
  const contact = sat.ctx.state.satellite.lastCloudContact;
  await sat.exchange.settled(); // the queue housekeeping after the last import
  const before = await storeDump(sat.ctx.store);

  const stale = await importBundle(sat.socketPath, older);
  t.equal(stale.status, 422);
  t.match(stale.json(), { error: { code: 'STALE_BUNDLE', message: /older than 6/ } });
  const never = await importBundle(sat.socketPath, await cloud.cloudResponse(id, { sequence: 9, inReplyTo: 42, createdAt: iso(sat.clock()) }));
  t.match(never.json(), { error: { code: 'BUNDLE_UNEXPECTED', message: /report 42, which this satellite never exported/ } });
  t.same(await storeDump(sat.ctx.store), before, 'refusals change nothing');

  // A later response whose signed time is earlier than the contact already recorded.
  const backdated = await cloud.cloudResponse(id, { sequence: 7, inReplyTo: 1, createdAt: iso(sat.clock(), 86_400_000 * 10) });
  t.equal((await importBundle(sat.socketPath, backdated)).status, 200);
  t.equal(sat.ctx.state.satellite.lastCloudContact, contact, 'holding a response back cannot move the contact earlier');
});

t.test('a report capped by exchange.maxReportBytes says "more"; the rest goes in the next one', async (t) => {
  const { cloud, sat, dir } = await registered(t, { 'exchange.maxReportBytes': 2048 });
  const id = sat.ctx.identity.id;
  await devicesReporting(sat, 2, 6);
  const e1 = await exportBundle(sat.socketPath, path.join(dir, 'r1.zip'));
  t.equal(e1.more, true);
  const b1 = await openBundle(path.join(dir, 'r1.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.equal((b1.manifest as { more?: boolean }).more, true, 'the manifest says more');
  const carried = b1.manifest.files.find((f) => f.name === 'usage.ndjson')!.records;
  t.ok(carried > 0 && carried < 12, `${carried} of 12 reports fit`);
  t.ok(b1.manifest.files.reduce((n, f) => n + f.bytes, 0) <= 2048);
  const r1 = await cloud.cloudResponse(id, { sequence: 2, inReplyTo: 1, createdAt: iso(sat.clock()) });
  t.equal((await importBundle(sat.socketPath, r1)).json().changes.acknowledged, carried);
  let left = 12 - carried;
  let seq = 2;
  let cloudSeq = 3;
  while (left > 0) {
    const e = await exportBundle(sat.socketPath, path.join(dir, `r${seq}.zip`));
    const b = await openBundle(path.join(dir, `r${seq}.zip`), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
    const n = b.manifest.files.find((f) => f.name === 'usage.ndjson')!.records;
    t.ok(n > 0, `report ${e.sequence} carries ${n}`);
    const r = await cloud.cloudResponse(id, { sequence: cloudSeq++, inReplyTo: e.sequence, createdAt: iso(sat.clock()) });
    t.equal((await importBundle(sat.socketPath, r)).json().changes.acknowledged, n);
    left -= n;
    seq++;
  }
  t.equal(sat.ctx.state.reportCounts.unacknowledged, 0, 'every report acknowledged in the end');
});

t.test('revocations deregister devices, mark them revoked, and the device API refuses them', async (t) => {
  const { cloud, sat, dir } = await registered(t);
  const id = sat.ctx.identity.id;
  const devices = await devicesReporting(sat, 2);
  await exportBundle(sat.socketPath, path.join(dir, 'r1.zip'));
  const r = await cloud.cloudResponse(id, {
    sequence: 2,
    inReplyTo: 1,
    createdAt: iso(sat.clock()),
    revocations: [{ deviceId: devices[0]!.deviceId, reason: 'contract ended' }, { deviceId: 'dev_unknown', reason: 'x' }],
    profile: { ...PROFILE, name: 'Acme Renamed' },
  });
  const applied = await importBundle(sat.socketPath, r);
  t.same(applied.json().changes, { acknowledged: 2, entitlements: 1, revoked: 1 });
  t.match(sat.ctx.state.device(devices[0]!.deviceId), { state: 'deregistered', revoked: true });
  t.equal(sat.ctx.state.account.name, 'Acme Renamed', 'a changed profile is applied');
  const again = await registerDevice(sat.device, (await createToken(sat.socketPath)).token, 'FOC00000000');
  t.equal(again.status, 403);
  t.equal((again.body as any).error.code, 'DEVICE_REVOKED');
  const events = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '\uffff' })) events.push(e);
  t.match(events.find((e) => e.type === 'device.revoked'), { actor: 'cloud', details: { deviceId: devices[0]!.deviceId, reason: 'contract ended' } });
  // The revocation is a device change the next report carries.
  const e2 = await exportBundle(sat.socketPath, path.join(dir, 'r2.zip'));
  const b2 = await openBundle(path.join(dir, 'r2.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.equal(e2.sequence, 2);
  t.match(await b2.readAll('devices.ndjson'), [{ deviceId: devices[0]!.deviceId, state: 'deregistered' }]);
});

t.test('one exchange at a time: export, import, registration and sync answer 409 EXCHANGE_BUSY while one runs', async (t) => {
  const { cloud, sat, dir } = await registered(t);
  const release = sat.exchange.lock.acquire('test');
  const resp = await cloud.cloudResponse(sat.ctx.identity.id, { sequence: 2, inReplyTo: 1, createdAt: iso(sat.clock()) });
  const answers = [
    await socketCall(sat.socketPath, 'POST', '/api/sync/export'),
    await importBundle(sat.socketPath, resp),
    await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } }),
    await socketCall(sat.socketPath, 'POST', '/api/sync'),
  ];
  for (const a of answers) {
    t.equal(a.status, 409);
    t.equal(a.json().error.code, 'EXCHANGE_BUSY');
  }
  release();
  t.equal((await exportBundle(sat.socketPath, path.join(dir, 'r.zip'))).status, 200, 'free again once the first is done');
});

t.test('the admin API checks the import body: media type, size, shape of the registration body', async (t) => {
  const { sat } = await registered(t, { 'exchange.maxBundleBytes': 4096 });
  const wrongType = await socketCall(sat.socketPath, 'POST', '/api/sync/import', { zip: Buffer.from('PK'), type: 'application/octet-stream' });
  t.equal(wrongType.status, 415);
  const big = await socketCall(sat.socketPath, 'POST', '/api/sync/import', { zip: Buffer.alloc(5000) });
  t.equal(big.status, 413);
  t.equal(big.json().error.code, 'BUNDLE_TOO_LARGE');
  const bad = await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', extra: 1 } });
  t.equal(bad.status, 400);
  t.equal(bad.json().error.code, 'INVALID_REQUEST');
  const noUrl = await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789' } });
  t.equal(noUrl.status, 409);
  t.equal(noUrl.json().error.code, 'EXCHANGE_NOT_CONFIGURED');
  const noSync = await socketCall(sat.socketPath, 'POST', '/api/sync');
  t.equal(noSync.json().error.code, 'EXCHANGE_NOT_CONFIGURED');
});

t.test('GET /v1/acks pages a device\'s acknowledgements, 1,000 at most', async (t) => {
  const { cloud, sat, dir } = await registered(t);
  const [device] = await devicesReporting(sat, 1, 0);
  const now = sat.clock().getTime();
  for (let i = 0; i < 1005; i++) {
    const r = await postReport(sat.device, device!.credential, report(new Date(now - i * 60_000)));
    if (r.status !== 202) throw new Error(`answered ${r.status}`);
  }
  await exportBundle(sat.socketPath, path.join(dir, 'r1.zip'));
  const applied = await importBundle(sat.socketPath, await cloud.cloudResponse(sat.ctx.identity.id, { sequence: 2, inReplyTo: 1, createdAt: iso(sat.clock()) }));
  t.equal(applied.json().changes.acknowledged, 1005);
  const first = await acksOf(sat, device!.credential);
  t.equal(first.body.acks.length, 1000);
  const second = await acksOf(sat, device!.credential, first.body.cursor);
  t.equal(second.body.acks.length, 5);
  const ids = new Set([...first.body.acks, ...second.body.acks].map((a: any) => a.reportId));
  t.equal(ids.size, 1005, 'every report once');
  const third = await acksOf(sat, device!.credential, second.body.cursor);
  t.same(third.body, { acks: [], cursor: second.body.cursor }, 'past the end: nothing, the cursor kept');
  const bad = await acksOf(sat, device!.credential, 'nope');
  t.equal(bad.status, 400);
  await sat.exchange.settled();
  let queued = 0;
  for await (const _ of sat.ctx.store.iterate({ gte: keys.unackedPrefix, lt: keys.unackedPrefix + '\uffff' })) queued++;
  t.equal(queued, 0, 'the acknowledged reports left the queue');
});
