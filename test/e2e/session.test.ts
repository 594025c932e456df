// A lost session in the browser: expired, or ended. A restart of the daemon is not one: sessions
// are kept in the store (SPEC §11). A reload or any API call answering 401 brings back the login form, saying why, over
// whatever was open; logging in returns to the page the user was on.
import t from 'tap';
import { ADMIN_PASSWORD, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';
import { startSatellite } from '../helpers/satellite.ts';
import type { Page } from 'playwright-core';
import type { Test } from 'tap';

/** Past `admin.session.idleMinutes` (30). */
const IDLE_MS = 31 * 60_000;
const root = t;

if (chromiumAvailable(t)) {
  const backend = await startBackend(t);
  if (backend) {
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const clock = backend.sat.clock;
    const idle = () => clock.set(new Date(clock().getTime() + IDLE_MS));
    const b = await openBrowser(t, backend.url, { now: clock() });
    const { page } = b;
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);

    /** The login form is there and usable: nothing covers it, the username field has the focus. */
    const loginForm = async (t: Test, p: Page) => {
      await p.getByLabel('Username').waitFor();
      t.equal(await p.locator('dialog[open]').count(), 0, 'no dialog is left over the login form');
      t.equal(await p.locator('nav[aria-label="Main"]').count(), 0, 'the dashboard is gone');
      t.equal(await p.title(), 'Log in · Outpost');
      t.equal(await p.evaluate(() => document.activeElement?.getAttribute('name')), 'username', 'the username field has the focus');
      return (await p.locator('.login-card').textContent()) ?? '';
    };
    const logIn = async (p: Page) => {
      await p.getByLabel('Username').fill('admin');
      await p.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.locator('nav[aria-label="Main"]').waitFor();
      await settled(p);
    };

    await t.test('a reload after the session expired shows the login form, and logging in returns to the page', async (t) => {
      await goTo(page, 'devices');
      await page.getByLabel('Search').fill('FOC');
      await page.waitForFunction(() => location.hash.includes('q=FOC'));
      await settled(page);
      idle();
      await page.reload();
      const text = await loginForm(t, page);
      t.match(text, /Your session expired, after a while without use or because the satellite restarted\. Log in again to return to Devices\./);
      t.match(page.url(), /#\/devices\?.*q=FOC/, 'the address still names the page');
      await b.shot('session-expired');
      await logIn(page);
      t.match(page.url(), /#\/devices\?.*q=FOC/);
      t.equal(await page.locator('main h1').textContent(), 'Devices');
      t.equal(await page.getByLabel('Search').inputValue(), 'FOC', 'with its filter');
    });

    await t.test('a page opened after the session expired leads to the login form, then back to that page', async (t) => {
      idle();
      await page.locator('nav[aria-label="Main"] a[data-page="tokens"]').click();
      const text = await loginForm(t, page);
      t.match(text, /Your session expired.*Log in again to return to Tokens\./);
      await logIn(page);
      t.match(page.url(), /#\/tokens$/);
      t.equal(await page.locator('main h1').textContent(), 'Tokens');
    });

    await t.test('a 401 answered inside a dialog closes it and shows the login form', async (t) => {
      await page.getByRole('button', { name: 'Change password' }).click();
      const dialog = page.getByRole('dialog', { name: 'Change your password' });
      await dialog.waitFor();
      await dialog.getByLabel('Current password').fill(ADMIN_PASSWORD);
      await dialog.getByLabel('New password', { exact: true }).fill(`${ADMIN_PASSWORD} 2`);
      await dialog.getByLabel('New password, again').fill(`${ADMIN_PASSWORD} 2`);
      idle();
      await dialog.getByRole('button', { name: 'Change password' }).click();
      const text = await loginForm(t, page);
      t.match(text, /Your session expired.*return to Tokens\./);
      await logIn(page); // the password did not change
      t.equal(await page.locator('main h1').textContent(), 'Tokens');
    });

    await t.test('a reload after the daemon restarted keeps the session and the page', async (t) => {
      await goTo(page, 'sync');
      const port = new URL(backend.url).port;
      await backend.sat.close();
      // The same data dir and address; it lives until the end of the file, not of this test.
      await startSatellite(root, { dataDir: backend.sat.dataDir, clock, config: { 'admin.listen': `127.0.0.1:${port}` } });
      await page.reload();
      await page.locator('nav[aria-label="Main"]').waitFor();
      t.match(page.url(), /#\/sync$/);
      t.equal(await page.locator('main h1').textContent(), 'Sync');
      t.equal(await page.getByLabel('Username').count(), 0, 'no login form');
    });

    await t.test('after logging out, a reload shows the login form without the notice', async (t) => {
      await page.getByTestId('logout').click();
      await page.getByLabel('Username').waitFor();
      await page.reload();
      const text = await loginForm(t, page);
      t.notMatch(text, /session expired|logged out/);
    });

    t.test('no console error, no outside request, no error answer but the lost sessions', async (t) =>
      b.assertClean(t, [/^401 GET \/api\/me$/, /^401 GET \/api\/(tokens|status|virtual-accounts)$/, /^401 POST \/api\/users\/[^/]+\/password$/]),
    );
  }
}
