// Role-aware: a viewer finds no control that would change anything on any page, and a VA-scoped
// user sees only the pages and the virtual accounts their role covers.
import t from 'tap';
import { tempDir } from '../helpers/tmp.ts';
import { ADMIN_PASSWORD, DASHBOARD_ENDPOINTS, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { cloudKey, writeJwks } from '../helpers/e2e/cloud.ts';
import { addUser, registerOffline, requestCode, seedDevices, seedVirtualAccounts } from '../helpers/e2e/seed.ts';
import { firstLogin, goTo, writeControls } from '../helpers/e2e/ui.ts';

/** A viewer reads everything but users (it has no users.read). */
const VIEWER_NAV = ['Overview', 'Licenses', 'Virtual accounts', 'Devices', 'Tokens', 'Cisco products', 'Reservations', 'Reports', 'Sync', 'Event log', 'API tokens', 'Notifications'];

if (chromiumAvailable(t)) {
  const key = await cloudKey();
  const backend = await startBackend(t, {
    config: { 'exchange.cloudKeys': await writeJwks(tempDir(t), key) },
    needs: DASHBOARD_ENDPOINTS,
  });
  if (backend) {
    await registerOffline(backend, key);
    const ws = await seedVirtualAccounts(backend);
    await seedDevices(backend, { count: 4, prefix: 'FOC3' });
    await seedDevices(backend, { count: 3, va: ws.eng.path, prefix: 'FOC4' });
    await backend.socket('POST', '/api/reservations', { requestCode: await requestCode({ pid: 'ISR4331', sn: 'FDO0000VIEW' }), virtualAccount: 'Default', licenses: [{ entitlement: 'dna-advantage', count: 1 }] });
    await addUser(backend, 'vera', 'vera-initial-password', [{ role: 'viewer' }]);
    await addUser(backend, 'ed', 'ed-initial-password!', [{ role: 'va-user', virtualAccountId: ws.eng.id }]);
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);

    await t.test('a viewer sees every page it may read, and no write control on any of them', async (t) => {
      const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
      const { page } = b;
      await firstLogin(page, backend.url, 'vera', 'vera-initial-password', 'vera-own-password-1');
      t.same(await page.locator('nav[aria-label="Main"] a').allTextContents(), VIEWER_NAV, 'a viewer has no users page');
      for (const p of ['overview', 'licenses', 'virtual-accounts', 'devices', 'tokens', 'reservations', 'reports', 'sync', 'events']) {
        await goTo(page, p);
        t.same(await writeControls(page), [], `${p}: no write control`);
        await b.shot(`viewer-${p}`);
      }
      b.assertClean(t, [/^401 GET \/api\/me$/]);
    });

    await t.test('a va-user of Default/Eng sees its VAs only, and no users, sync or event log', async (t) => {
      const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
      const { page } = b;
      await firstLogin(page, backend.url, 'ed', 'ed-initial-password!', 'ed-own-password-12');
      const nav = await page.locator('nav[aria-label="Main"] a').allTextContents();
      t.notOk(nav.includes('Users and roles'), 'no users page');
      t.notOk(nav.includes('Sync'), 'no sync page');
      t.notOk(nav.includes('Event log'), 'no event log');
      await goTo(page, 'devices');
      const vas = await page.locator('tbody tr td[data-label="Virtual account"]').allTextContents();
      t.ok(vas.length === 3 && vas.every((v) => v.startsWith('Default/Eng')), 'only the devices of Default/Eng');
      t.ok((await page.locator('tbody tr').first().getByRole('button', { name: /Deregister/ }).count()) === 1, 'license work is allowed in its VA');
      await goTo(page, 'virtual-accounts');
      t.equal(await page.getByRole('button', { name: 'New top-level account' }).count(), 0, 'no top-level creation');
      b.assertClean(t, [/^401 GET \/api\/me$/]);
    });
  }
}
