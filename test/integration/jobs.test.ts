// The daily jobs, called directly with a moved clock: devices silent for 365 days leave, alert
// changes become events. And the satellite runs its job table.
import t from 'tap';
import { allDevices } from '../helpers/devices.ts';
import { keys } from '../../daemon/store/index.ts';
import { checkLicenseAlerts, deregisterSilentDevices } from '../../daemon/jobs/index.ts';
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

t.test('the license-alert job writes an event for each alert raised, changed or cleared; since survives a restart', async (t) => {
  const sat = await startSatellite(t);
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 10, endsAt: new Date(now.getTime() + 100 * DAY).toISOString() })]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 2 });
  const { licensing } = sat.services;

  t.same(await checkLicenseAlerts(sat.ctx, licensing, sat.clock()), { raised: 0, cleared: 0, changed: 0 });
  sat.clock.advanceDays(11);
  t.same(await checkLicenseAlerts(sat.ctx, licensing, sat.clock()), { raised: 1, cleared: 0, changed: 0 }, '89 days left: expiring');
  t.same(await checkLicenseAlerts(sat.ctx, licensing, sat.clock()), { raised: 0, cleared: 0, changed: 0 }, 'the same day again: nothing new');
  sat.clock.advanceDays(60);
  t.same(await checkLicenseAlerts(sat.ctx, licensing, sat.clock()), { raised: 0, cleared: 0, changed: 1 }, '29 days left: a warning now');
  sat.clock.advanceDays(30);
  t.same(await checkLicenseAlerts(sat.ctx, licensing, sat.clock()), { raised: 1, cleared: 1, changed: 0 }, 'ended: expiring clears, expired stands');

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
  t.same(await checkLicenseAlerts(again.ctx, again.services.licensing, again.clock()), { raised: 0, cleared: 0, changed: 0 }, 'the standing list was kept');
});

t.test('the satellite schedules the license jobs beside the exchange\'s', async (t) => {
  const sat = await startSatellite(t);
  const table = Object.fromEntries(sat.schedule.jobs.map((j) => [j.name, j.cron]));
  t.match(table, { 'silent-devices': '5 4 * * *', 'license-alerts': '20 4 * * *' });
  t.ok(sat.schedule.nextRun('silent-devices'), 'scheduled while the satellite runs');
  await sat.schedule.runJob(sat.schedule.jobs.find((j) => j.name === 'silent-devices')!);
  t.ok(sat.logs.some((l) => l.includes('job silent-devices done')), 'a run is logged with its result');
  await sat.close();
  t.equal(sat.schedule.nextRun('silent-devices'), null, 'stopped with the satellite');
});
