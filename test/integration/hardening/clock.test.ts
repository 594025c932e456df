// The clock (issue 14, finding 4, in part): a clock stepped back never shows more days until the
// lapse than lapse.days, through GET /api/status and GET /api/account.
import t from 'tap';
import { startSatellite, testClock } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { FakeCloud, importBundle, socketCall } from '../../helpers/exchange.ts';

t.test('daysUntilLapse never exceeds lapse.days when the clock is stepped back', async (t) => {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const clock = testClock('2026-06-01T00:00:00.000Z');
  const sat = await startSatellite(t, { clock, dataDir: `${dir}/data`, config: { 'exchange.cloudKeys': cloud.jwksPath } });
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
  t.equal((await importBundle(sat.socketPath, await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: clock().toISOString() }))).status, 200);
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/status')).json().daysUntilLapse, 365);
  clock.set('2026-01-01T00:00:00.000Z'); // five months back
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/status')).json().daysUntilLapse, 365, 'status: at most lapse.days');
  t.equal((await socketCall(sat.socketPath, 'GET', '/api/account')).json().daysUntilLapse, 365, 'account: at most lapse.days');
});
