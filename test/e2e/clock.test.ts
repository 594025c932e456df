// The overview's clock-suspect alert offers sa-admin "Undo what it did": after the clock jumped
// 400 days while running and the silent-device rule deregistered the devices on it, the button
// (and its confirmation) reinstates them and the alert goes.
import t from 'tap';
import { deregisterSilentDevices } from '../../daemon/jobs/index.ts';
import { ADMIN_PASSWORD, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { seedDevices } from '../helpers/e2e/seed.ts';
import { loginToOverview, settled } from '../helpers/e2e/ui.ts';
import { testClock } from '../helpers/satellite.ts';

if (chromiumAvailable(t)) {
  const clock = testClock();
  const backend = await startBackend(t, { clock, needs: ['GET /api/alerts', 'GET /api/time'] });
  if (backend) {
    await seedDevices(backend, { count: 3, prefix: 'CLK' });
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const start = clock().getTime();
    await backend.sat.services.time.tick();
    clock.advanceDays(400);
    await backend.sat.services.time.tick();
    const silent = await deregisterSilentDevices(backend.sat.ctx, clock());
    clock.set(new Date(start + 60_000));

    await t.test('the overview undoes what the wrong clock did', async (t) => {
      t.equal(silent.deregistered, 3, 'the silent-device rule deregistered the devices on the wrong clock');
      const b = await openBrowser(t, backend.url, { now: clock() });
      const { page } = b;
      await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);
      const alert = page.locator('[data-alert-type="clock-suspect"]');
      await alert.waitFor();
      await alert.getByRole('button', { name: 'Undo what it did' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Undo and confirm' }).click();
      await page.getByText('Clock confirmed; 3 device(s) reinstated.').waitFor();
      await settled(page);
      await page.locator('[data-alert-type="clock-suspect"]').waitFor({ state: 'detached' });
      const devices = (await backend.socket('GET', '/api/devices')).body.items.map((d: { state: string }) => d.state);
      t.same(devices, ['registered', 'registered', 'registered'], 'reinstated through the API');
      b.assertClean(t, [/^401 GET \/api\/me$/]);
    });
  }
}
