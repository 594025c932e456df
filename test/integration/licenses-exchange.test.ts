// The license workspace through the real exchange: the cloud's lines land through an imported
// bundle, transfers and reservations leave in the next satellite report and stay queued until
// the cloud acknowledges it; a snapshot the workspace refuses refuses the whole bundle.
import t from 'tap';
import path from 'node:path';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { openBundle, publicJwkOf } from '../../exchange/bundle/index.ts';
import { encodeRequestCode } from '../../daemon/domain/licenses/core/index.ts';
import { control } from '../helpers/control.ts';
import { createToken, registerDevice } from '../helpers/devices.ts';
import { deregisterSilentDevices } from '../../daemon/jobs/index.ts';
import { exportBundle, FakeCloud, importBundle, line, linesHeld, socketCall, storeDump } from '../helpers/exchange.ts';
import { byPool, ensureVa } from '../helpers/licenses.ts';
import { startSatellite } from '../helpers/satellite.ts';
import { tempDir } from '../helpers/tmp.ts';

const iso = (d: Date, minusMs = 0) => new Date(d.getTime() - minusMs).toISOString();

t.test('lines arrive by import; transfers and reservations leave by export until acknowledged', async (t) => {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const sat = await startSatellite(t, { config: { 'exchange.cloudKeys': cloud.jwksPath } });
  const id = sat.ctx.identity.id;
  await ensureVa(sat, 'Default/Eng');
  t.equal((await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } })).status, 200);
  const lines = [line('L1', 10, { virtualAccount: 'Default' }), line('L2', 4, { entitlement: 'dna-advantage', virtualAccount: 'Nowhere' })];
  const reg = await cloud.registrationResponse(id, { sequence: 1, createdAt: iso(sat.clock(), 60_000), lines });
  t.equal((await importBundle(sat.socketPath, reg)).status, 200);
  t.same(linesHeld(sat), lines);
  const pools = byPool((await control(sat.socketPath, 'GET', '/api/licenses')).body.items);
  t.match(pools, { 'Default/network-advantage': { purchased: 10 }, 'Default/dna-advantage': { purchased: 4 } }, 'an unknown VA lands in Default');
  t.match((await control(sat.socketPath, 'GET', '/api/alerts')).body.items, [{ type: 'unknown-virtual-account', entitlement: 'dna-advantage' }]);

  const transfer = (await control(sat.socketPath, 'POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 3, from: 'Default', to: 'Default/Eng' })).body;
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const udi = { pid: 'ISR4331', sn: 'FDO2201A0BC' };
  const requestCode = encodeRequestCode({ udi, nonce: 'n1', jwk: { kty: 'OKP', crv: 'Ed25519', x: (await exportJWK(publicKey)).x! } });
  const reserved = (await control(sat.socketPath, 'POST', '/api/reservations', { requestCode, virtualAccount: 'Default/Eng', licenses: [{ entitlement: 'network-advantage', count: 1 }] })).body;
  const returnCode = await new CompactSign(new TextEncoder().encode(JSON.stringify({ udi, reservationId: reserved.reservationId, returnedAt: sat.clock().toISOString() })))
    .setProtectedHeader({ alg: 'EdDSA', typ: 'outpost-slr-return+jws' })
    .sign(privateKey);
  t.equal((await control(sat.socketPath, 'POST', '/api/reservations/return', { returnCode })).status, 200);

  const e1 = await exportBundle(sat.socketPath, path.join(dir, 'report-1.zip'));
  t.equal(e1.status, 200);
  const bundle = await openBundle(path.join(dir, 'report-1.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.same(await bundle.readAll('transfers.ndjson'), [transfer], 'the transfer as the API answered it');
  t.same(await bundle.readAll('reservations.ndjson'), [
    { reservationId: reserved.reservationId, udi, virtualAccount: 'Default/Eng', licenses: [{ entitlement: 'network-advantage', count: 1 }], state: 'reserved', at: sat.clock().toISOString() },
    { reservationId: reserved.reservationId, udi, virtualAccount: 'Default/Eng', licenses: [{ entitlement: 'network-advantage', count: 1 }], state: 'returned', at: sat.clock().toISOString() },
  ]);

  const again = await exportBundle(sat.socketPath, path.join(dir, 'report-2.zip'));
  const second = await openBundle(path.join(dir, 'report-2.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.equal((await second.readAll('transfers.ndjson')).length, 1, 'not acknowledged yet: carried again');
  t.ok(again.sequence > e1.sequence);

  const resp = await cloud.cloudResponse(id, { sequence: 2, inReplyTo: e1.sequence, createdAt: iso(sat.clock()), lines });
  t.equal((await importBundle(sat.socketPath, resp)).status, 200);
  const e3 = await exportBundle(sat.socketPath, path.join(dir, 'report-3.zip'));
  const third = await openBundle(path.join(dir, 'report-3.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.same(await third.readAll('transfers.ndjson'), [], 'acknowledged: gone from the queue');
  t.same(await third.readAll('reservations.ndjson'), []);
  t.equal(e3.status, 200);
  t.match(byPool((await control(sat.socketPath, 'GET', '/api/licenses')).body.items), { 'Default/network-advantage': { purchased: 7 }, 'Default/Eng/network-advantage': { purchased: 3 } }, 'the same snapshot again keeps the transfer');

  // A snapshot the workspace refuses refuses the whole bundle, changing nothing.
  const before = await storeDump(sat.ctx.store);
  const bad = await cloud.cloudResponse(id, { sequence: 3, inReplyTo: e3.sequence, createdAt: iso(sat.clock()), lines: [line('L9', 1), line('L9', 2)] });
  const refused = await importBundle(sat.socketPath, bad);
  t.equal(refused.status, 422);
  t.match(refused.json(), { error: { code: 'BUNDLE_RECORD_INVALID', message: /"L9": appears more than once/ } });
  t.same(await storeDump(sat.ctx.store), before, 'nothing changed');
});

t.test('a device moved by a user, or deregistered for silence, is a devices.ndjson change for the cloud', async (t) => {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const sat = await startSatellite(t, { config: { 'exchange.cloudKeys': cloud.jwksPath } });
  await ensureVa(sat, 'Default/Eng');
  t.equal((await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } })).status, 200);
  t.equal((await importBundle(sat.socketPath, await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: iso(sat.clock(), 60_000) }))).status, 200);
  const { token } = await createToken(sat.socketPath);
  const moved = (await registerDevice(sat.device, token, 'MOVED1')).body;
  t.equal((await registerDevice(sat.device, token, 'SILENT1')).status, 201);
  t.equal((await control(sat.socketPath, 'POST', `/api/devices/${moved.deviceId}/move`, { virtualAccount: 'Default/Eng' })).status, 200);
  sat.clock.advanceDays(365);
  t.same(await deregisterSilentDevices(sat.ctx, sat.clock()), { deregistered: 2 });

  const e = await exportBundle(sat.socketPath, path.join(dir, 'report.zip'));
  t.equal(e.status, 200);
  const bundle = await openBundle(path.join(dir, 'report.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  const changes = (await bundle.readAll('devices.ndjson')).map((d) => [d.udi.sn, d.virtualAccount, d.state]);
  // The silent-device job walks the last-report index: two devices that never reported come in
  // id order (random ids), so the two deregistrations may come either way round.
  const tail = changes.slice(3).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  t.same([...changes.slice(0, 3), ...tail], [
    ['MOVED1', 'Default', 'registered'],
    ['SILENT1', 'Default', 'registered'],
    ['MOVED1', 'Default/Eng', 'registered'],
    ['MOVED1', 'Default/Eng', 'deregistered'],
    ['SILENT1', 'Default', 'deregistered'],
  ], 'the registrations, the move, the deregistrations for silence');
});
