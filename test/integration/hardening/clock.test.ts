// The clock (issue 14, finding 4), through the real interfaces with the satellite's injected
// clock: a clock stepped back never shows more days until the lapse than lapse.days; a start far
// from the store's high-water mark of time raises clock-suspect, and `outpost time confirm --undo`
// reinstates what the lapse did on that clock; a drift while running does the same for the
// silent-device rule; a clock stepped back stretches no session; a real 366 days still lapses.
import t, { type Test } from 'tap';
import { startSatellite, testClock, type TestClock, type TestSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { FakeCloud, importBundle, socketCall } from '../../helpers/exchange.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { control } from '../../helpers/control.ts';
import { daemonEnv, runCli } from '../../helpers/process.ts';
import { adminClient } from '../../helpers/admin.ts';
import { deregisterSilentDevices } from '../../../daemon/jobs/index.ts';

const DAY = 86_400_000;
const T0 = '2026-06-01T00:00:00.000Z';
const at = (days: number, ms = 0) => new Date(Date.parse(T0) + days * DAY + ms);

t.test('daysUntilLapse never exceeds lapse.days when the clock is stepped back', async (t) => {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const clock = testClock(T0);
  const sat = await startSatellite(t, { clock, dataDir: `${dir}/data`, config: { 'exchange.cloudKeys': cloud.jwksPath } });
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
  t.equal((await importBundle(sat.socketPath, await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: clock().toISOString() }))).status, 200);
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/status')).json().daysUntilLapse, 365);
  clock.set('2026-01-01T00:00:00.000Z'); // five months back
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/status')).json().daysUntilLapse, 365, 'status: at most lapse.days');
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/account')).json().daysUntilLapse, 365, 'account: at most lapse.days');
});

/** A registered satellite with two registered devices that reported, then stopped. */
async function registeredWithDevices(t: Test, dir: string, clock: TestClock) {
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const config = { 'exchange.cloudKeys': cloud.jwksPath };
  const sat = await startSatellite(t, { clock, dataDir: `${dir}/data`, config });
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
  await importBundle(sat.socketPath, await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: clock().toISOString() }));
  const { token } = await createToken(sat.socketPath, { maxUses: 10 });
  const creds: string[] = [];
  for (const sn of ['CLOCK0001', 'CLOCK0002']) {
    const reg = await registerDevice(sat.device, token, sn);
    creds.push(reg.body.credential);
    await postReport(sat.device, reg.body.credential, report(clock()));
  }
  await sat.close();
  return { config, creds };
}

const alertTypes = async (sat: TestSatellite) => (await control(sat.socketPath, 'GET', '/api/alerts')).body.items.map((a: { type: string }) => a.type);
const deviceStates = async (sat: TestSatellite) => (await control(sat.socketPath, 'GET', '/api/devices')).body.items.map((d: { state: string }) => d.state);

t.test('a start 400 days ahead raises clock-suspect; `outpost time confirm --undo` reinstates what the lapse did', async (t) => {
  const dir = tempDir(t);
  const clock = testClock(T0);
  const { config, creds } = await registeredWithDevices(t, dir, clock);
  clock.set(at(400));
  const sat = await startSatellite(t, { clock, dataDir: `${dir}/data`, config });
  t.ok((await alertTypes(sat)).includes('clock-suspect'), 'clock-suspect stands');
  const alert = (await control(sat.socketPath, 'GET', '/api/alerts')).body.items.find((a: { type: string }) => a.type === 'clock-suspect');
  t.equal(alert.severity, 'critical');
  t.equal((await control(sat.socketPath, 'GET', '/api/status')).body.registration, 'lapsed', 'SPEC §7 still applies: the lapse ran on that clock');
  t.same(await deviceStates(sat), ['deregistered', 'deregistered']);
  t.equal((await postReport(sat.device, creds[0]!, report(clock()))).status, 503);
  t.match((await control(sat.socketPath, 'GET', '/api/time')).body, { suspect: { reason: /400 days ahead/ } });

  clock.set(at(0, 3_600_000)); // the admin sets the clock right
  const cli = await runCli(['time', 'confirm', '--undo', '--json'], daemonEnv(sat.dataDir));
  t.equal(cli.code, 0, cli.stderr);
  t.same(JSON.parse(cli.stdout), { undo: true, reinstated: 2, registrationRestored: true });
  t.notOk((await alertTypes(sat)).includes('clock-suspect'), 'the alert cleared');
  t.equal((await control(sat.socketPath, 'GET', '/api/status')).body.registration, 'registered');
  t.same(await deviceStates(sat), ['registered', 'registered'], 'both devices reinstated');
  t.equal((await postReport(sat.device, creds[0]!, report(clock()))).status, 202, 'a reinstated device reports again with its credential');
  const events = (await control(sat.socketPath, 'GET', '/api/events?type=device.reinstated,clock.confirmed,satellite.reinstated,clock.suspect')).body.items;
  t.same(events.map((e: { type: string }) => e.type).sort(), ['clock.confirmed', 'clock.suspect', 'device.reinstated', 'device.reinstated', 'satellite.reinstated']);
  t.same((await control(sat.socketPath, 'GET', '/api/time')).body.suspect, null);
  // The daily lapse check on the right clock leaves it registered.
  await sat.lapse.check(clock());
  t.equal((await control(sat.socketPath, 'GET', '/api/status')).body.registration, 'registered');
});

t.test('a real 366 days later still lapses; confirming without --undo keeps it so', async (t) => {
  const dir = tempDir(t);
  const clock = testClock(T0);
  const { config } = await registeredWithDevices(t, dir, clock);
  clock.set(at(366));
  const sat = await startSatellite(t, { clock, dataDir: `${dir}/data`, config });
  t.equal((await control(sat.socketPath, 'GET', '/api/status')).body.registration, 'lapsed');
  t.same(await deviceStates(sat), ['deregistered', 'deregistered']);
  t.ok((await alertTypes(sat)).includes('clock-suspect'), 'more than lapse.days / 2 ahead: the admin is asked');
  const r = await control(sat.socketPath, 'POST', '/api/time/confirm', {});
  t.same(r.body, { undo: false, reinstated: 0, registrationRestored: false });
  t.notOk((await alertTypes(sat)).includes('clock-suspect'));
  t.equal((await control(sat.socketPath, 'GET', '/api/status')).body.registration, 'lapsed', 'the lapse stands');
  t.same(await deviceStates(sat), ['deregistered', 'deregistered']);
  // A restart on the confirmed clock raises nothing.
  await sat.close();
  const again = await startSatellite(t, { clock, dataDir: `${dir}/data`, config });
  t.notOk((await alertTypes(again)).includes('clock-suspect'));
});

t.test('a wall clock drifting from monotonic time raises clock-suspect; --undo reinstates what the silent-device rule did', async (t) => {
  const clock = testClock(T0);
  const sat = await startSatellite(t, { clock });
  const { token } = await createToken(sat.socketPath);
  const reg = await registerDevice(sat.device, token, 'DRIFT0001');
  t.equal(reg.status, 201);
  await sat.services.time.tick();
  t.notOk((await alertTypes(sat)).includes('clock-suspect'), 'no drift, no alert');
  clock.set(at(400)); // the clock jumps while running
  const tick = await sat.services.time.tick();
  t.ok(tick.suspect && tick.driftMs > 399 * DAY, 'the minute check sees the jump');
  t.ok((await alertTypes(sat)).includes('clock-suspect'));
  t.same(await deregisterSilentDevices(sat.ctx, clock()), { deregistered: 1 }, 'the silent-device rule acts on that clock');
  clock.set(at(0, 60_000));
  const r = await control(sat.socketPath, 'POST', '/api/time/confirm', { undo: true });
  t.same(r.body, { undo: true, reinstated: 1, registrationRestored: false });
  t.same(await deviceStates(sat), ['registered']);
  t.equal((await postReport(sat.device, reg.body.credential, report(clock()))).status, 202);
  t.equal((await control(sat.socketPath, 'POST', '/api/time/confirm', { undo: 'yes' })).status, 400, 'a bad body is refused');
});

t.test('a clock stepped back stretches no session (measured against the high-water mark)', async (t) => {
  const clock = testClock(T0);
  const sat = await startSatellite(t, { clock, config: { 'admin.session.idleMinutes': 30, 'admin.session.absoluteHours': 12 } });
  const admin = await adminClient(sat);
  t.equal((await admin.call('GET', '/api/me')).status, 200);
  clock.set(at(0, 13 * 3_600_000)); // 13 hours on: past the absolute limit
  await sat.services.time.tick(); // the minute's check records the time
  clock.set(at(0, 60_000)); // then the clock is stepped back to a minute after login
  t.equal((await admin.call('GET', '/api/me')).status, 401, 'the session is over: the mark is 13 hours on');
  // A fresh login works (sessions are measured from the mark too).
  const again = await adminClient(sat);
  t.equal((await again.call('GET', '/api/me')).status, 200);
});
