// The one-year rule (SPEC §7) with the injected clock: lapse-approaching at 90, 30 and 7 days
// left, nothing at 364 days, the lapse at 365 (devices deregistered, events, device API 503),
// the check at start-up, and registering again restores service.
import t from 'tap';
import type { Test } from 'tap';
import { pino } from 'pino';
import { lapseJob } from '../../../daemon/jobs/lapse.ts';
import { keys } from '../../../daemon/store/index.ts';
import { stageDevice } from '../../../daemon/domain/devices/device-index.ts';
import type { DeviceRecord } from '../../../daemon/domain/satellite/records.ts';
import { startSatellite, testClock, http, type TestSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { FakeCloud, importBundle, socketCall } from '../../helpers/exchange.ts';

const DAY = 86_400_000;

async function setup(t: Test, config: Record<string, unknown> = {}) {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const clock = testClock('2026-01-01T00:00:00.000Z');
  const dataDir = `${dir}/data`;
  const sat = await startSatellite(t, { clock, dataDir, config: { 'exchange.cloudKeys': cloud.jwksPath, ...config } });
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
  t.equal((await importBundle(sat.socketPath, await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: clock().toISOString() }))).status, 200);
  const { token } = await createToken(sat.socketPath, { validDays: 365 });
  const devices = [];
  for (const sn of ['FOC00000001', 'FOC00000002']) devices.push((await registerDevice(sat.device, token, sn)).body);
  return { cloud, clock, sat, devices, token, dataDir, config: { 'exchange.cloudKeys': cloud.jwksPath, ...config } };
}

const check = (sat: TestSatellite) => lapseJob({ lapse: sat.lapse, clock: sat.clock, log: pino({ level: 'silent' }) })();
const at = (clock: { set(d: Date | string): void }, start: number, days: number) => clock.set(new Date(start + days * DAY));

t.test('lapse-approaching: info from 90 days left, warning from 30, critical from 7', async (t) => {
  const { sat, clock } = await setup(t);
  const start = clock().getTime();
  const alerts = () => sat.lapse.alerts(clock());
  at(clock, start, 274.99);
  t.same(alerts(), [], 'more than 90 days left: no alert');
  at(clock, start, 275);
  t.match(alerts(), [{ type: 'lapse-approaching', severity: 'info', virtualAccount: null, entitlement: null, since: new Date(start + 275 * DAY).toISOString(), message: /lapses in 90 days \(on 2027-01-01\)/ }]);
  at(clock, start, 334.5);
  t.equal(alerts()[0]!.severity, 'info', '30.5 days left: still info');
  at(clock, start, 335);
  t.match(alerts(), [{ severity: 'warning', message: /in 30 days/ }]);
  at(clock, start, 358);
  t.match(alerts(), [{ severity: 'critical', message: /in 7 days/ }]);
  at(clock, start, 364);
  t.match(alerts(), [{ severity: 'critical', message: /in 1 day / }]);
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/status')).json().daysUntilLapse, 1);
});

t.test('lapse.warnDays sets the marks', async (t) => {
  const { sat, clock } = await setup(t, { 'lapse.warnDays': [60, 10] });
  const start = clock().getTime();
  at(clock, start, 300);
  t.same(sat.lapse.alerts(clock()), []);
  at(clock, start, 305);
  t.equal(sat.lapse.alerts(clock())[0]!.severity, 'info');
  at(clock, start, 355);
  t.equal(sat.lapse.alerts(clock())[0]!.severity, 'critical');
});

t.test('364 days: still serving; 365 days: lapsed, every device deregistered, device API 503; registering again restores', async (t) => {
  const { sat, clock, cloud, devices } = await setup(t);
  const start = clock().getTime();
  at(clock, start, 364.99);
  await check(sat);
  t.equal(sat.ctx.state.satellite.registration, 'registered', '364 days and change: not lapsed');
  t.equal((await postReport(sat.device, devices[0]!.credential, report(clock()))).status, 202);

  at(clock, start, 365);
  await check(sat);
  t.equal(sat.ctx.state.satellite.registration, 'lapsed');
  t.same(sat.ctx.state.countDevices(), { registered: 0, deregistered: 2 });
  const status = (await socketCall(sat.socketPath, 'GET', '/api/status')).json();
  t.match(status, { registration: 'lapsed', daysUntilLapse: 0 });
  const events: any[] = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '\uffff' })) events.push(e);
  t.equal(events.filter((e) => e.type === 'device.deregistered' && e.details.reason === 'lapse' && e.actor === 'system').length, 2, 'an event per device');
  t.match(events.at(-1), { type: 'satellite.lapsed', actor: 'system', details: { devicesDeregistered: 2, days: 365 } });
  t.match(sat.lapse.alerts(clock()), [{ type: 'lapse-approaching', severity: 'critical', message: /has lapsed/ }]);

  const fresh = (await createToken(sat.socketPath)).token;
  for (const res of [
    await registerDevice(sat.device, fresh, 'FOC00000009'),
    await postReport(sat.device, devices[0]!.credential, report(clock())),
    await http('GET', `${sat.device}/v1/acks`, { headers: { authorization: `Bearer ${devices[1]!.credential}` } }),
  ]) {
    t.equal(res.status, 503);
    t.equal((res.body as any).error.code, 'SATELLITE_DEREGISTERED');
  }
  const count = (await collect(sat)).length;
  await check(sat);
  t.equal((await collect(sat)).length, count, 'checking again changes nothing');

  // Registering again restores service; devices register again themselves.
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
  const again = await importBundle(sat.socketPath, await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 2, createdAt: clock().toISOString() }));
  t.equal(again.status, 200);
  t.equal(sat.ctx.state.satellite.registration, 'registered');
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/status')).json().daysUntilLapse, 365);
  const back = await registerDevice(sat.device, fresh, 'FOC00000001');
  t.equal(back.status, 201, 'a deregistered device registers again without force');
  t.equal(back.body.deviceId, devices[0]!.deviceId, 'keeping its id');
  t.equal((await postReport(sat.device, back.body.credential, report(clock()))).status, 202);
  t.same(sat.lapse.alerts(clock()), []);
});

t.test('a satellite that lapsed while it was down is lapsed as soon as it starts', async (t) => {
  const { sat, clock, dataDir, config } = await setup(t);
  await sat.close();
  clock.advanceDays(400);
  const again = await startSatellite(t, { clock, dataDir, config });
  t.equal(again.ctx.state.satellite.registration, 'lapsed');
  t.same(again.ctx.state.countDevices(), { registered: 0, deregistered: 2 });
});

async function collect(sat: TestSatellite) {
  const out = [];
  for await (const entry of sat.ctx.store.iterate({ gte: keys.eventPrefix, lt: keys.eventPrefix + '\uffff' })) out.push(entry);
  return out;
}

t.test('a lapse of more devices than one transaction takes goes in chunks, and one a crash interrupted is finished by the next check', async (t) => {
  const { sat, clock } = await setup(t);
  const N = 2_345; // + the 2 registered by setup: three chunks of 1,000
  const va = [...sat.ctx.state.vas.keys()][0]!;
  for (let i = 0; i < N; i += 500) {
    await sat.ctx.writer.run(async (tx) => {
      for (let k = i; k < Math.min(N, i + 500); k++) {
        const d: DeviceRecord = { id: `dev_lapse${String(k).padStart(5, '0')}`, udi: { pid: 'C9300-24P', sn: `LAPSE${k}` }, hostname: null, vaId: va, state: 'registered', via: 'token', registeredAt: clock().toISOString(), credentialId: null, revoked: false };
        await stageDevice(tx, sat.ctx.state, undefined, d);
      }
    });
  }
  t.same(sat.ctx.state.countDevices(), { registered: N + 2, deregistered: 0 });
  const batches: number[] = [];
  const batch = sat.ctx.store.batch.bind(sat.ctx.store);
  sat.ctx.store.batch = async (ops, opts) => (batches.push(ops.length), batch(ops, opts));

  clock.advanceDays(365);
  t.same(await sat.lapse.check(clock()), { lapsed: true, deregistered: N + 2 });
  sat.ctx.store.batch = batch;
  t.same(sat.ctx.state.countDevices(), { registered: 0, deregistered: N + 2 });
  t.ok(batches.length >= 4, `${batches.length} batches: the registration first, then the devices in chunks`);
  t.ok(Math.max(...batches) < 40_000, `the largest batch held ${Math.max(...batches)} writes`);
  const events = (await collect(sat)).map(([, e]) => e as any);
  t.equal(events.filter((e) => e.type === 'device.deregistered' && e.details.reason === 'lapse').length, N + 2, 'an event per device');
  t.match(events.at(-1), { type: 'satellite.lapsed', details: { devicesDeregistered: N + 2 } }, 'the lapse event last, with the count');
  t.equal(events.filter((e) => e.type === 'satellite.lapsed').length, 1);
  t.equal(sat.ctx.state.satellite.lapsing, undefined, 'no lapse under way any more');

  // A crash part-way: the registration lapsed, 2 devices deregistered, the rest not yet.
  const sat2 = await setup(t);
  const { sat: s2, clock: c2 } = sat2;
  await s2.ctx.writer.run(async (tx) => {
    const current = await tx.get<any>(keys.satellite);
    const next = { ...current, registration: 'lapsed', lapsing: { since: c2().toISOString(), deregistered: 0 } };
    tx.put(keys.satellite, next);
    tx.after(() => s2.ctx.state.setSatellite(next));
  });
  await s2.close();
  const again = await startSatellite(t, { clock: c2, dataDir: sat2.dataDir, config: sat2.config });
  t.same(again.ctx.state.countDevices(), { registered: 0, deregistered: 2 }, 'the start-up check finished the lapse');
  t.equal(again.ctx.state.satellite.lapsing, undefined);
  t.match((await collect(again)).at(-1)?.[1], { type: 'satellite.lapsed', details: { devicesDeregistered: 2 } });
});
