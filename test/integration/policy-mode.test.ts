// SPEC §3 "Policy mode": signed usage without registration, trust on first report.
import t from 'tap';
import { stageDevice } from '../../daemon/domain/devices/device-index.ts';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import { keys } from '../../daemon/store/index.ts';
import { okpThumbprint } from '../../daemon/domain/devices/policy.ts';
import { startSatellite, http, type TestSatellite } from '../helpers/satellite.ts';
import { control } from '../helpers/control.ts';
import { createToken, registerDevice, report } from '../helpers/devices.ts';
import { policyDevice, postUsage, signUsage, type PolicyDevice } from '../helpers/policy.ts';
import { exportBundle, FakeCloud, importBundle, socketCall } from '../helpers/exchange.ts';
import { tempDir } from '../helpers/tmp.ts';
import path from 'node:path';
import { openBundle, publicJwkOf } from '../../exchange/bundle/index.ts';

const on = (extra: Record<string, unknown> = {}) => ({ config: { 'device.policyMode': { enabled: true, ...extra } } });
const udi = (sn: string) => ({ pid: 'C9300-24P', sn });

async function dump(sat: TestSatellite) {
  const out: Array<[string, unknown]> = [];
  for await (const e of sat.ctx.store.iterate({})) out.push(e);
  return out;
}

async function send(sat: TestSatellite, dev: PolicyDevice, payload: Record<string, unknown>) {
  return postUsage(sat.device, await signUsage(dev, payload));
}

t.test('with the mode off, /v1/usage does not exist', async (t) => {
  const sat = await startSatellite(t);
  const dev = await policyDevice();
  const res = await send(sat, dev, { udi: udi('OFF1'), ...report(sat.clock()) });
  t.equal(res.status, 404);
});

t.test('the first valid report registers the device and pins its key; duplicates are not counted twice', async (t) => {
  const sat = await startSatellite(t, on({ virtualAccount: 'Policy/Lab' }));
  t.ok(sat.ctx.state.vaByPath('Policy/Lab'), 'the configured VA path was created');
  const dev = await policyDevice();
  const body = { udi: udi('FOC1'), hostname: 'edge-1', ...report(sat.clock(), [{ entitlement: 'network-advantage', count: 2 }]) };
  const first = await send(sat, dev, body);
  t.equal(first.status, 202);
  t.match(first.body, { reportId: body.reportId, duplicate: false, acks: [], acksCursor: '', policy: { reportIntervalHours: 24 } });
  const device = sat.ctx.state.deviceByUdi('C9300-24P', 'FOC1')!;
  t.match(device, { via: 'policy', state: 'registered', hostname: 'edge-1', keyThumbprint: okpThumbprint(dev.jwk.x!) });
  t.equal(sat.ctx.state.vaPath(device.vaId), 'Policy/Lab');
  t.same(sat.ctx.state.latestOf(device.id)!.usage, { 'network-advantage': 2 });

  const again = await send(sat, dev, { ...body, acksAfter: '' });
  t.equal(again.status, 200, 'the same payload again (whatever its acksAfter) is a duplicate');
  t.equal(again.body.duplicate, true);
  t.match(again.body, { acks: [], policy: { reportIntervalHours: 24 } });
  t.equal(sat.ctx.state.reportCounts.total, 1, 'a replayed report is not counted twice');
  const conflict = await send(sat, dev, { ...body, usage: [{ entitlement: 'network-advantage', count: 3 }] });
  t.match(conflict, { status: 409, body: { error: { code: 'REPORT_CONFLICT' } } });
  t.notOk('acks' in conflict.body, 'error answers carry no acks');

  // Another key for the pinned UDI is refused, and changes nothing.
  const thief = await policyDevice();
  const before = await dump(sat);
  const stolen = await send(sat, thief, { udi: udi('FOC1'), ...report(sat.clock()) });
  t.match(stolen, { status: 401, body: { error: { code: 'KEY_MISMATCH' } } });
  t.same(await dump(sat), before, 'nothing was written');

  // A user resets the pin; the next valid report pins the new key.
  const reset = await control(sat.socketPath, 'POST', `/api/devices/${device.id}/reset-key`);
  t.equal(reset.status, 200);
  t.equal(reset.body.keyThumbprint, null);
  const rekeyed = await send(sat, thief, { udi: udi('FOC1'), ...report(sat.clock()) });
  t.equal(rekeyed.status, 202);
  t.equal(sat.ctx.state.device(device.id)!.keyThumbprint, okpThumbprint(thief.jwk.x!));
  t.equal((await send(sat, dev, { udi: udi('FOC1'), ...report(sat.clock()) })).status, 401, 'the old key is now the stranger');

  const types: string[] = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '~' })) types.push(e.type);
  t.ok(types.includes('device.key_reset') && types.includes('device.key_pinned'), types.join(','));
});

t.test('acks and the policy ride on every answer, after the payload\'s acksAfter cursor', async (t) => {
  // Policy devices go through the real exchange: registered, exported, acknowledged by the cloud.
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const sat = await startSatellite(t, { config: { 'device.policyMode': { enabled: true }, 'exchange.cloudKeys': cloud.jwksPath } });
  const id = sat.ctx.identity.id;
  t.equal((await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } })).status, 200);
  const createdAt = new Date(sat.clock().getTime() - 60_000).toISOString();
  t.equal((await importBundle(sat.socketPath, await cloud.registrationResponse(id, { sequence: 1, createdAt }))).status, 200);

  const dev = await policyDevice();
  const r1 = { udi: udi('ACK1'), ...report(sat.clock()) };
  t.equal((await send(sat, dev, r1)).status, 202);
  const exported = await exportBundle(sat.socketPath, path.join(dir, 'report-1.zip'));
  t.equal(exported.status, 200);
  const bundle = await openBundle(path.join(dir, 'report-1.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.match(await bundle.readAll('devices.ndjson'), [{ udi: udi('ACK1'), via: 'policy', state: 'registered' }], 'the policy device is exported like any other');
  t.match(await bundle.readAll('usage.ndjson'), [{ reportId: r1.reportId }]);
  const response = await cloud.cloudResponse(id, { sequence: 2, inReplyTo: exported.sequence, createdAt });
  t.match((await importBundle(sat.socketPath, response)).json(), { changes: { acknowledged: 1 } });

  const r2 = await send(sat, dev, { udi: udi('ACK1'), ...report(sat.clock()) });
  t.equal(r2.status, 202);
  t.match(r2.body.acks, [{ reportId: r1.reportId, bundleSequence: exported.sequence }]);
  t.equal(r2.body.acks.length, 1);
  t.match(r2.body.policy, { reportIntervalHours: 12 }, 'the policy the cloud sent');
  const r3 = await send(sat, dev, { udi: udi('ACK1'), acksAfter: r2.body.acksCursor, ...report(sat.clock()) });
  t.same(r3.body.acks, [], 'nothing new after the cursor');
  t.equal(r3.body.acksCursor, r2.body.acksCursor);
  const replay = await send(sat, dev, r1);
  t.equal(replay.status, 200, 'an acknowledged report sent again is still a duplicate');
  t.match(replay.body.acks, [{ reportId: r1.reportId }], 'and its answer carries the ack the device may have missed');
});

t.test('bad input: each refused with its code and nothing changed', async (t) => {
  const sat = await startSatellite(t, on({ allowedPids: ['C9300-*', 'ISR4331'], maxDevices: 2 }));
  const dev = await policyDevice();
  const good = () => ({ udi: udi('BAD1'), ...report(sat.clock()) });
  const before = await dump(sat);
  const cases: Array<[string, () => Promise<string>, number, string, RegExp?]> = [
    ['not a JWS', async () => 'abc.def', 400, 'INVALID_REQUEST', /compact JWS/],
    ['garbage parts', async () => 'a$.b.c', 400, 'INVALID_REQUEST'],
    ['alg HS256', async () => {
      const jws = await signUsage(dev, good());
      const [, p, s] = jws.split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'HS256', jwk: dev.jwk })).toString('base64url')}.${p}.${s}`;
    }, 400, 'INVALID_REQUEST', /EdDSA/],
    ['jwk missing', async () => {
      const jws = await signUsage(dev, good());
      const [, p, s] = jws.split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'EdDSA' })).toString('base64url')}.${p}.${s}`;
    }, 400, 'INVALID_REQUEST', /jwk/],
    ['private key material in jwk', async () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      const priv = privateKey.export({ format: 'jwk' });
      const jws = await signUsage(dev, good());
      const [, p, s] = jws.split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'EdDSA', jwk: priv })).toString('base64url')}.${p}.${s}`;
    }, 400, 'INVALID_REQUEST', /private/],
    ['a key that is not Ed25519', async () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jws = await signUsage(dev, good());
      const [, p, s] = jws.split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'EdDSA', jwk: await exportJWK(publicKey) })).toString('base64url')}.${p}.${s}`;
    }, 400, 'INVALID_REQUEST', /Ed25519/],
    ['a signature that does not verify', async () => {
      const other = await policyDevice();
      const jws = await signUsage(other, good());
      const [, p, s] = jws.split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'EdDSA', jwk: dev.jwk })).toString('base64url')}.${p}.${s}`;
    }, 401, 'SIGNATURE_INVALID'],
    ['a valid signature over an invalid payload', async () => signUsage(dev, { ...good(), usage: [] }), 400, 'INVALID_REQUEST', /"usage"/],
    ['a payload without udi', async () => signUsage(dev, report(sat.clock())), 400, 'INVALID_REQUEST', /"udi"/],
    ['a payload that is not an object', async () => signUsage(dev, [1, 2]), 400, 'INVALID_REQUEST'],
    ['a PID not allowed', async () => signUsage(dev, { ...good(), udi: { pid: 'N9K-C9504', sn: 'X' } }), 403, 'POLICY_REFUSED'],
  ];
  for (const [name, make, status, code, message] of cases) {
    const res = await postUsage(sat.device, await make());
    t.equal(res.status, status, name);
    t.equal(res.body.error?.code, code, name);
    if (message) t.match(res.body.error.message, message, name);
  }
  t.match(await postUsage(sat.device, await signUsage(dev, good()), 'application/json'), { status: 415 });
  t.match(await postUsage(sat.device, 'x'.repeat(70 * 1024)), { status: 413 });
  t.same(await dump(sat), before, 'no refusal wrote anything');

  // maxDevices: two policy devices, the third new UDI is refused.
  t.equal((await send(sat, await policyDevice(), { udi: udi('M1'), ...report(sat.clock()) })).status, 202);
  t.equal((await send(sat, await policyDevice(), { udi: { pid: 'ISR4331', sn: 'M2' }, ...report(sat.clock()) })).status, 202);
  t.match(await send(sat, await policyDevice(), { udi: udi('M3'), ...report(sat.clock()) }), { status: 403, body: { error: { code: 'POLICY_REFUSED' } } });
});

t.test('a token-registered UDI is never taken over; deregistered policy devices come back; revoked ones do not', async (t) => {
  const sat = await startSatellite(t, on());
  const { token } = await createToken(sat.socketPath);
  await registerDevice(sat.device, token, 'TOKEN1');
  const dev = await policyDevice();
  t.match(await send(sat, dev, { udi: udi('TOKEN1'), ...report(sat.clock()) }), { status: 401, body: { error: { code: 'KEY_MISMATCH' } } });

  t.equal((await send(sat, dev, { udi: udi('P1'), ...report(sat.clock()) })).status, 202);
  const id = sat.ctx.state.deviceByUdi('C9300-24P', 'P1')!.id;
  await sat.ctx.writer.run(async (tx) => {
    const d: any = await tx.get(keys.device(id));
    const updated = { ...d, state: 'deregistered' };
    await stageDevice(tx, sat.ctx.state, d, updated);
  });
  t.equal((await send(sat, dev, { udi: udi('P1'), ...report(sat.clock()) })).status, 202, 'usage is the truth: it is in use again');
  t.match(sat.ctx.state.device(id), { id, state: 'registered' }, 'with the same device id');

  const other = await policyDevice();
  await sat.ctx.writer.run(async (tx) => {
    const d: any = await tx.get(keys.device(id));
    const updated = { ...d, state: 'deregistered', revoked: true };
    await stageDevice(tx, sat.ctx.state, d, updated);
  });
  t.match(await send(sat, other, { udi: udi('P1'), ...report(sat.clock()) }), { status: 401, body: { error: { code: 'KEY_MISMATCH' } } }, 'the pin outlives deregistration');
  t.match(await send(sat, dev, { udi: udi('P1'), ...report(sat.clock()) }), { status: 403, body: { error: { code: 'DEVICE_REVOKED' } } });

  await sat.ctx.writer.run(async (tx) => {
    const s: any = await tx.get(keys.satellite);
    const updated = { ...s, registration: 'lapsed' };
    tx.put(keys.satellite, updated);
    tx.after(() => sat.ctx.state.setSatellite(updated));
  });
  t.match(await send(sat, await policyDevice(), { udi: udi('L1'), ...report(sat.clock()) }), { status: 503, body: { error: { code: 'SATELLITE_DEREGISTERED' } } });
  t.match(await http('POST', `${sat.device}/v1/usage`, { raw: 'a.b.c', type: 'application/jose' }), { status: 400 });
});
