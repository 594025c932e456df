// License work seen by VA-scoped users and by roles without license rights, through real
// sessions on the admin listener.
import t, { type Test } from 'tap';
import type { Principal } from '../../daemon/domain/access/roles.ts';
import type { Role } from '../../daemon/domain/satellite/records.ts';
import { userClient } from '../helpers/admin.ts';
import { control } from '../helpers/control.ts';
import { applyLines, byPool, deviceWithUsage, dumpStore, ensureVa, line } from '../helpers/licenses.ts';
import { startSatellite, type TestSatellite } from '../helpers/satellite.ts';

let users = 0;
/** A logged-in user whose one role is `role`, in `vaPath` (null: account-wide). */
async function asUser(sat: TestSatellite, role: Role, vaPath: string | null) {
  const grant = vaPath === null ? { role } : { role, virtualAccountId: sat.ctx.state.vaByPath(vaPath)!.id };
  const { client } = await userClient(sat, `${role}-user${++users === 1 ? '' : users}`, [grant]);
  return (method: string, path: string, body?: unknown) => client.call(method, path, body);
}

async function setup(t: Test) {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Eng/Lab');
  await ensureVa(sat, 'Default/Ops');
  const now = sat.clock();
  await applyLines(sat, [
    line(now, { lineId: 'L-1', quantity: 10, virtualAccount: 'Default/Eng' }),
    line(now, { lineId: 'L-4', quantity: 5, virtualAccount: 'Default/Eng/Lab' }),
    line(now, { lineId: 'L-2', quantity: 10, virtualAccount: 'Default/Ops' }),
    line(now, { lineId: 'L-3', quantity: 1, entitlement: 'dna-advantage', virtualAccount: 'Default/Ops' }),
  ]);
  const lab = await deviceWithUsage(sat, 'Default/Eng/Lab', { 'network-advantage': 2 }, 'LAB1');
  const ops = await deviceWithUsage(sat, 'Default/Ops', { 'network-advantage': 12 }, 'OPS1');
  return { sat, lab, ops };
}

t.test('a va-user of Default/Eng sees its VAs alone: pools, sums, alerts, devices, reports', async (t) => {
  const { sat, ops } = await setup(t);
  const as = await asUser(sat, 'va-user', 'Default/Eng');

  const pools = await as('GET', '/api/licenses');
  t.same(Object.keys(byPool(pools.body.items)), ['Default/Eng/network-advantage', 'Default/Eng/Lab/network-advantage']);
  const sum = await as('GET', '/api/licenses?va=all');
  t.same(sum.body.items, [{ virtualAccount: null, entitlement: 'network-advantage', purchased: 15, reserved: 0, inUse: 2, available: 13, status: 'ok', flags: [] }], 'the sum covers what the user may see');
  t.equal((await as('GET', '/api/licenses?va=Default/Ops')).status, 404, 'another VA is as if it did not exist');
  t.equal((await as('GET', '/api/licenses?va=Default&nested=true')).status, 404, 'so is a parent of its VA');

  const alerts = await as('GET', '/api/alerts');
  t.same(alerts.body.items, [], 'the Ops shortage is not its business');
  t.equal((await control(sat.socketPath, 'GET', '/api/alerts')).body.items.length, 1, 'while the account sees it');

  const devices = await as('GET', '/api/devices');
  t.same(devices.body.items.map((d: any) => d.udi.sn), ['LAB1']);
  t.equal((await as('GET', `/api/devices/${ops.deviceId}`)).status, 404);
  t.equal((await as('DELETE', `/api/devices/${ops.deviceId}`)).status, 404);

  const csv = (await as('GET', '/api/reports/devices')).body as string;
  t.match(csv, /LAB1/);
  t.notMatch(csv, /OPS1/);
  const lic = (await as('GET', '/api/reports/licenses')).body as string;
  t.notMatch(lic, /Default\/Ops/);
});

t.test('a transfer or a move to a VA outside the caller\'s scope is 404, and changes nothing', async (t) => {
  const { sat, lab } = await setup(t);
  const as = await asUser(sat, 'va-user', 'Default/Eng');
  const before = await dumpStore(sat);
  const out = await as('POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 1, from: 'Default/Eng', to: 'Default/Ops' });
  t.equal(out.status, 404);
  t.equal(out.body.error.code, 'NOT_FOUND');
  const inward = await as('POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 1, from: 'Default/Ops', to: 'Default/Eng' });
  t.equal(inward.status, 404, 'nor from one');
  t.equal((await as('POST', `/api/devices/${lab.deviceId}/move`, { virtualAccount: 'Default/Ops' })).status, 404);
  t.same(await dumpStore(sat), before);

  const ok = await as('POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 3, from: 'Default/Eng', to: 'Default/Eng/Lab' });
  t.equal(ok.status, 201, 'within its VAs it may');
  t.match(ok.body.by, /^va-user-user/, '`by` is the username');
});

t.test('a viewer reads but changes nothing; an approver has no license rights', async (t) => {
  const { sat, lab } = await setup(t);
  const viewer = await asUser(sat, 'viewer', null);
  t.equal((await viewer('GET', '/api/licenses?va=all')).status, 200);
  const refused = await viewer('POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 1, from: 'Default/Eng', to: 'Default/Ops' });
  t.equal(refused.status, 403);
  t.equal(refused.body.error.code, 'FORBIDDEN');
  t.equal((await viewer('DELETE', `/api/devices/${lab.deviceId}`)).status, 403);
  const approver = await asUser(sat, 'sa-approver', null);
  for (const path of ['/api/licenses', '/api/alerts', '/api/devices', '/api/reports/devices', '/api/reservations']) {
    t.equal((await approver('GET', path)).status, 403, path);
  }
});

t.test('access.require scopes license work to a VA and the VAs below it', async (t) => {
  const { sat } = await setup(t);
  const { access } = sat.services;
  const { state } = sat.ctx;
  const user: Principal = { kind: 'user', user: { id: 'u', username: 'u', roles: [{ role: 'va-user', vaId: state.vaByPath('Default/Eng')!.id }], passwordHash: '', mustChangePassword: false, createdAt: '' } };
  t.doesNotThrow(() => access.require(user, 'license.write', state.vaByPath('Default/Eng/Lab')!.id));
  t.throws(() => access.require(user, 'license.write', state.vaByPath('Default/Ops')!.id), { code: 'NOT_FOUND' });
  t.throws(() => access.require(user, 'license.write', state.defaultVa.id), { code: 'NOT_FOUND' });
});
