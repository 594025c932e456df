// /api/devices through the control socket: filters, sort by last report, cursor paging,
// deregistration, moving (usage moves with the device) and reinstating a revoked device.
import t from 'tap';
import { stageDevice } from '../../daemon/domain/devices/device-index.ts';
import { keys } from '../../daemon/store/index.ts';
import { control } from '../helpers/control.ts';
import { createToken, registerDevice } from '../helpers/devices.ts';
import { applyLines, byPool, deviceWithUsage, dumpStore, ensureVa, line } from '../helpers/licenses.ts';
import { startSatellite, type TestSatellite } from '../helpers/satellite.ts';

const api = (sat: TestSatellite, method: string, path: string, body?: unknown) => control(sat.socketPath, method, path, body);

async function eventTypes(sat: TestSatellite) {
  const out: any[] = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '~' })) out.push(e);
  return out;
}

/** Every page of a list, following `next`. */
async function all(sat: TestSatellite, path: string) {
  const items: any[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api(sat, 'GET', next === null ? path : `${path}${sep}cursor=${next}`);
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    items.push(...res.body.items);
    next = res.body.next;
    pages++;
  } while (next !== null);
  return { items, pages };
}

t.test('the device list: JSON per SPEC, filters by VA, state and text, sorted and paged', async (t) => {
  const sat = await startSatellite(t);
  const eng = await ensureVa(sat, 'Default/Eng');
  await ensureVa(sat, 'Default/Eng/Lab');
  const { token } = await createToken(sat.socketPath, { virtualAccountId: 'Default' });
  const a = await registerDevice(sat.device, token, 'FOC0001', { hostname: 'core-sw-1' });
  sat.clock.advanceDays(1);
  const b = await deviceWithUsage(sat, 'Default/Eng', { 'network-advantage': 1 }, 'FOC0002');
  sat.clock.advanceDays(1);
  const c = await deviceWithUsage(sat, 'Default/Eng/Lab', { 'network-advantage': 1 }, 'JAE0003');
  sat.clock.advanceDays(1);
  const d = await deviceWithUsage(sat, 'Default', { 'network-advantage': 1 }, 'FOC0004');

  const list = await api(sat, 'GET', '/api/devices');
  t.equal(list.status, 200);
  t.equal(list.body.items.length, 4);
  t.same(list.body.items.map((x: any) => x.id), [a.body.deviceId, b.deviceId, c.deviceId, d.deviceId].sort(), 'by id by default');
  const one = list.body.items.find((x: any) => x.id === a.body.deviceId);
  t.same(one, {
    id: a.body.deviceId,
    udi: { pid: 'C9300-24P', sn: 'FOC0001' },
    hostname: 'core-sw-1',
    virtualAccount: { id: sat.ctx.state.defaultVa.id, path: 'Default' },
    state: 'registered',
    via: 'token',
    registeredAt: '2026-11-28T10:00:00.000Z',
    lastReportAt: null,
    revoked: false,
    usage: null, // its latest report's counts (the dashboard's usage column); none yet
  });

  const ids = async (q: string) => (await api(sat, 'GET', `/api/devices?${q}`)).body.items.map((x: any) => x.udi.sn);
  t.same(await ids('va=Default/Eng'), ['FOC0002'], '?va= is that VA alone');
  t.same((await ids(`va=${eng}&nested=true`)).sort(), ['FOC0002', 'JAE0003'], '&nested=true adds the VAs below');
  t.same(await ids('q=jae'), ['JAE0003'], '?q= matches the serial, case-insensitive');
  t.same(await ids('q=CORE-SW'), ['FOC0001'], 'and the hostname');
  t.same((await ids('q=c9300')).length, 4, 'and the PID');
  t.same(await ids('sort=lastReportAt'), ['FOC0001', 'FOC0002', 'JAE0003', 'FOC0004'], 'oldest report first; never reported first of all');
  t.same(await ids('sort=-lastReportAt'), ['FOC0004', 'JAE0003', 'FOC0002', 'FOC0001'], 'newest first; never reported last');

  await api(sat, 'DELETE', `/api/devices/${c.deviceId}`);
  t.same(await ids('state=deregistered'), ['JAE0003']);
  t.same((await ids('state=registered')).length, 3);

  const paged = await all(sat, '/api/devices?sort=-lastReportAt&limit=1');
  t.equal(paged.pages, 4);
  t.same(paged.items.map((x: any) => x.udi.sn), ['FOC0004', 'JAE0003', 'FOC0002', 'FOC0001'], 'a cursor continues the sort');

  t.same(await ids('sort=lastReportAt&order=desc'), ['FOC0004', 'JAE0003', 'FOC0002', 'FOC0001'], 'order=desc as the dashboard asks');
  t.same(await ids('sort=hostname'), ['FOC0001', 'FOC0002', 'FOC0004', 'JAE0003'], 'by hostname (core-sw-1, sw-FOC0002, …)');
  t.same(await ids('sort=-registeredAt'), ['FOC0004', 'JAE0003', 'FOC0002', 'FOC0001'], 'by registration, newest first');
  for (const bad of ['state=gone', 'sort=color', 'order=up', 'nested=yes', 'limit=0', 'limit=1001', 'cursor=nonsense', 'va=Nope', 'other=1']) {
    const res = await api(sat, 'GET', `/api/devices?${bad}`);
    t.equal(res.status, bad === 'va=Nope' ? 404 : 400, bad);
  }
});

t.test('deregister, move (its usage moves with it) and reinstate: each an event', async (t) => {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Eng');
  await applyLines(sat, [line(sat.clock(), { lineId: 'L-1', quantity: 10 })]);
  const dev = await deviceWithUsage(sat, 'Default', { 'network-advantage': 4 });

  const moved = await api(sat, 'POST', `/api/devices/${dev.deviceId}/move`, { virtualAccount: 'Default/Eng' });
  t.equal(moved.status, 200);
  t.match(moved.body, { id: dev.deviceId, virtualAccount: { path: 'Default/Eng' } });
  let pools = byPool((await api(sat, 'GET', '/api/licenses')).body.items);
  t.equal(pools['Default/network-advantage'].inUse, 0, 'usage leaves the old VA');
  t.equal(pools['Default/Eng/network-advantage'].inUse, 4, 'and counts in the new one');

  const gone = await api(sat, 'DELETE', `/api/devices/${dev.deviceId}`);
  t.equal(gone.status, 200);
  t.equal(gone.body.state, 'deregistered');
  pools = byPool((await api(sat, 'GET', '/api/licenses')).body.items);
  t.notOk(pools['Default/Eng/network-advantage'], 'a deregistered device counts nowhere');

  // The cloud revokes it (as the exchange's import will).
  await sat.ctx.writer.run(async (tx) => {
    const d: any = await tx.get(keys.device(dev.deviceId));
    const revoked = { ...d, revoked: true };
    await stageDevice(tx, sat.ctx.state, d, revoked);
  });
  const { token } = await createToken(sat.socketPath, { virtualAccountId: 'Default' });
  t.equal(((await registerDevice(sat.device, token, dev.sn)).body as any).error.code, 'DEVICE_REVOKED');
  const back = await api(sat, 'POST', `/api/devices/${dev.deviceId}/reinstate`);
  t.equal(back.status, 200);
  t.equal(back.body.revoked, false);
  const again = await registerDevice(sat.device, token, dev.sn);
  t.equal(again.status, 201, 'a reinstated device registers again');
  t.equal(again.body.deviceId, dev.deviceId);

  const types = (await eventTypes(sat)).filter((e) => e.type.startsWith('device.')).map((e) => [e.type, e.actor]);
  t.same(types, [
    ['device.registered', `device:${dev.deviceId}`],
    ['device.moved', 'local'],
    ['device.deregistered', 'local'],
    ['device.reinstated', 'local'],
    ['device.registered', `device:${dev.deviceId}`],
  ]);

  const before = await dumpStore(sat);
  t.equal((await api(sat, 'POST', `/api/devices/${dev.deviceId}/move`, { virtualAccount: 'Nope' })).status, 404);
  t.equal((await api(sat, 'POST', `/api/devices/${dev.deviceId}/move`, { va: 'Default' })).status, 400);
  t.equal((await api(sat, 'POST', '/api/devices/dev_nope/move', { virtualAccount: 'Default' })).status, 404);
  t.equal((await api(sat, 'DELETE', '/api/devices/dev_nope')).status, 404);
  t.equal((await api(sat, 'POST', '/api/devices/dev_nope/reinstate')).status, 404);
  t.same(await dumpStore(sat), before, 'refusals change nothing');
});
