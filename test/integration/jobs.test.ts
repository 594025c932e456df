// The jobs, called directly with a moved clock: devices silent for 365 days leave, alert changes
// (license alerts among them, in the one-minute check) become events. And the satellite runs its
// job table.
import t from 'tap';
import { allDevices } from '../helpers/devices.ts';
import { keys } from '../../daemon/store/index.ts';
import { checkAlerts, deregisterSilentDevices } from '../../daemon/jobs/index.ts';
import { control } from '../helpers/control.ts';
import { createToken, registerDevice } from '../helpers/devices.ts';
import { DAY, applyLines, byPool, deviceWithUsage, line } from '../helpers/licenses.ts';
import { startSatellite, type TestSatellite } from '../helpers/satellite.ts';

async function events(sat: TestSatellite, prefix: string) {
  const out: any[] = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '~' })) if (e.type.startsWith(prefix)) out.push(e);
  return out;
}

t.test('a device silent for 365 days is deregistered by the daily job; one silent for 364 is not', async (t) => {
  const sat = await startSatellite(t);
  await applyLines(sat, [line(sat.clock(), { lineId: 'L-1', quantity: 100, type: 'perpetual', endsAt: null })]);
  const start = sat.clock().getTime();
  const reported = await deviceWithUsage(sat, 'Default', { 'network-advantage': 5 }, 'REPORTED');
  const { token } = await createToken(sat.socketPath);
  const never = await registerDevice(sat.device, token, 'NEVER');
  sat.clock.advanceDays(1);
  const later = await deviceWithUsage(sat, 'Default', { 'network-advantage': 2 }, 'LATER');

  sat.clock.set(new Date(start + 365 * DAY - 1));
  t.same(await deregisterSilentDevices(sat.ctx, sat.clock()), { deregistered: 0 }, 'a millisecond short of 365 days: nobody');

  sat.clock.set(new Date(start + 365 * DAY));
  t.same(await deregisterSilentDevices(sat.ctx, sat.clock()), { deregistered: 2 }, '365 days after the last report (or the registration): deregistered');
  const states = Object.fromEntries((await allDevices(sat.ctx.store)).map((d) => [d.udi.sn, d.state]));
  t.same(states, { REPORTED: 'deregistered', NEVER: 'deregistered', LATER: 'registered' }, 'the one silent for 364 days stays');
  t.match(byPool((await control(sat.socketPath, 'GET', '/api/licenses')).body.items)['Default/network-advantage'], { inUse: 2 }, 'its usage stops counting');

  const dereg = await events(sat, 'device.deregistered');
  t.same(dereg.map((e) => [e.actor, e.details.deviceId, e.details.reason]).sort(), [
    ['system', never.body.deviceId, 'silent for 365 days'],
    ['system', reported.deviceId, 'silent for 365 days'],
  ].sort());
  t.same(await deregisterSilentDevices(sat.ctx, sat.clock()), { deregistered: 0 }, 'running it again changes nothing');
  t.ok(later);
});

t.test('the one-minute alert check writes an event for each license alert raised, changed or cleared; since survives a restart', async (t) => {
  const sat = await startSatellite(t);
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 10, endsAt: new Date(now.getTime() + 100 * DAY).toISOString() })]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 2 });
  const check = (s: TestSatellite) => checkAlerts(s.ctx, () => s.services.alertSources, s.clock());

  t.same(await check(sat), { raised: 0, cleared: 0, changed: 0 });
  sat.clock.advanceDays(11);
  t.same(await check(sat), { raised: 1, cleared: 0, changed: 0 }, '89 days left: expiring');
  t.same(await check(sat), { raised: 0, cleared: 0, changed: 0 }, 'a minute later: nothing new');
  sat.clock.advanceDays(60);
  t.same(await check(sat), { raised: 0, cleared: 0, changed: 1 }, '29 days left: a warning now');
  sat.clock.advanceDays(30);
  t.same(await check(sat), { raised: 1, cleared: 1, changed: 0 }, 'ended: expiring clears, expired stands');

  const list = await events(sat, 'alert.');
  t.same(list.map((e) => [e.type, e.actor, e.details.alert, e.details.severity]), [
    ['alert.raised', 'system', 'expiring', 'info'],
    ['alert.changed', 'system', 'expiring', 'warning'],
    ['alert.raised', 'system', 'expired', 'critical'],
    ['alert.cleared', 'system', 'expiring', 'warning'],
  ]);

  await sat.close();
  const again = await startSatellite(t, { dataDir: sat.dataDir, clock: sat.clock });
  const alerts = (await control(again.socketPath, 'GET', '/api/alerts')).body.items;
  t.match(alerts, [{ type: 'expired', since: new Date(now.getTime() + 100 * DAY).toISOString() }]);
  t.same(await check(again), { raised: 0, cleared: 0, changed: 0 }, 'the standing set was kept');
});

t.test('an insufficient alert keeps its since across a restart, and the scheduled check raises it within a minute', async (t) => {
  const sat = await startSatellite(t);
  await applyLines(sat, [line(sat.clock(), { lineId: 'L-1', quantity: 1, type: 'perpetual', endsAt: null })]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 3 });
  const raisedAt = sat.clock().toISOString();
  await sat.schedule.runJob(sat.schedule.jobs.find((j) => j.name === 'alerts')!);
  t.match(await events(sat, 'alert.raised'), [{ details: { alert: 'insufficient', since: raisedAt } }], 'the alerts job raised it');

  sat.clock.advanceDays(3);
  await sat.close();
  const again = await startSatellite(t, { dataDir: sat.dataDir, clock: sat.clock });
  t.match((await control(again.socketPath, 'GET', '/api/alerts')).body.items, [{ type: 'insufficient', since: raisedAt }], 'since is the raise, not the restart');
  t.same(await checkAlerts(again.ctx, () => again.services.alertSources, again.clock()), { raised: 0, cleared: 0, changed: 0 });
});

t.test('a store whose license alerts the old daily job kept raises none of them again, and the old list goes', async (t) => {
  const sat = await startSatellite(t);
  const now = sat.clock();
  await applyLines(sat, [
    line(now, { lineId: 'L-1', quantity: 1, type: 'perpetual', endsAt: null }),
    line(now, { lineId: 'L-2', quantity: 1, type: 'perpetual', endsAt: null, virtualAccount: 'Nowhere/Else' }),
    line(now, { lineId: 'L-3', quantity: 1, type: 'perpetual', endsAt: null, virtualAccount: 'Nowhere/Other' }),
  ]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 5 });
  // What the daily job of the previous version left: its list, without subjects; nothing else stored.
  const legacy = sat.services.licensing.licenseAlerts(sat.clock()).map(({ subject: _s, ...a }) => a);
  t.equal(legacy.length, 3, 'insufficient and two unknown-virtual-account alerts');
  await sat.ctx.writer.run((tx) => {
    tx.put(keys.licenseAlerts, legacy);
    tx.del(keys.standingAlerts);
  });
  t.same(await checkAlerts(sat.ctx, () => sat.services.alertSources, sat.clock()), { raised: 0, cleared: 0, changed: 0 }, 'nothing raised twice');
  t.equal(await sat.ctx.store.get(keys.licenseAlerts), undefined, 'the old list is gone');
  t.equal(((await sat.ctx.store.get<unknown[]>(keys.standingAlerts)) ?? []).length, 3, 'the one set holds them');
  t.same(await checkAlerts(sat.ctx, () => sat.services.alertSources, sat.clock()), { raised: 0, cleared: 0, changed: 0 });
});

t.test('the satellite schedules the license jobs beside the exchange\'s; alerts every minute, no daily license-alert job', async (t) => {
  const sat = await startSatellite(t);
  const table = Object.fromEntries(sat.schedule.jobs.map((j) => [j.name, j.cron]));
  t.match(table, { 'silent-devices': '5 4 * * *', alerts: '* * * * *' });
  t.notOk('license-alerts' in table, 'folded into the one-minute check');
  t.ok(sat.schedule.nextRun('silent-devices'), 'scheduled while the satellite runs');
  await sat.schedule.runJob(sat.schedule.jobs.find((j) => j.name === 'silent-devices')!);
  t.ok(sat.logs.some((l) => l.includes('job silent-devices done')), 'a run is logged with its result');
  await sat.close();
  t.equal(sat.schedule.nextRun('silent-devices'), null, 'stopped with the satellite');
});
