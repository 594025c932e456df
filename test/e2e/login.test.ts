// Logging in: the login page, a wrong password, the forced first-login password change, the
// shell, logging out and back in — by keyboard where a user would.
import t from 'tap';
import { ADMIN_PASSWORD, notYetMerged, OVERVIEW_READS, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { changePasswordAtFirstLogin, settled } from '../helpers/e2e/ui.ts';

if (chromiumAvailable(t)) {
  const backend = await startBackend(t);
  if (backend) {
    const allowed = [/^401 GET \/api\/me$/, /^401 POST \/api\/login$/, ...(await notYetMerged(backend, OVERVIEW_READS))];
    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;

    await t.test('the login page has a labelled form and the focus in it', async (t) => {
      await page.goto(`${backend.url}/`);
      await page.getByRole('heading', { name: 'Outpost' }).waitFor();
      t.equal(await page.title(), 'Log in · Outpost');
      t.ok(await page.getByLabel('Username').isVisible(), 'a labelled username field');
      t.ok(await page.getByLabel('Password', { exact: true }).isVisible(), 'a labelled password field');
      t.equal(await page.getByLabel('Password', { exact: true }).getAttribute('type'), 'password');
      t.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'username', 'the username field has the focus');
      await b.shot('login');
    });

    await t.test('a wrong password is refused with a message, and nothing else happens', async (t) => {
      await page.keyboard.type('admin');
      await page.keyboard.press('Tab');
      await page.keyboard.type('not the password');
      await page.keyboard.press('Enter');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      t.match(await alert.textContent(), /The username or password is wrong\./);
      t.notMatch(await alert.textContent(), /session has ended/, 'not mistaken for a lost session');
      t.ok(await page.getByLabel('Username').isVisible(), 'still on the login page');
    });

    await t.test('the one-time password leads to the forced password change first', async (t) => {
      await page.getByLabel('Password', { exact: true }).fill(backend.initialPassword);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      t.equal(await page.locator('nav[aria-label="Main"]').count(), 0, 'no navigation before the password is changed');
      await b.shot('password-change');

      // Two different new passwords are stopped before they reach the API.
      await page.getByLabel('Current (one-time) password').fill(backend.initialPassword);
      await page.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByLabel('New password, again').fill(`${ADMIN_PASSWORD}!`);
      await page.getByRole('button', { name: 'Set new password' }).click();
      t.equal(await page.getByLabel('New password, again').evaluate((el) => (el as HTMLInputElement).validationMessage), 'The two new passwords differ.');
      // Too short is stopped too.
      await changePasswordAtFirstLogin(page, backend.initialPassword, 'short');
      t.ok(await page.getByLabel('New password', { exact: true }).evaluate((el) => !(el as HTMLInputElement).checkValidity()), 'a 5-character password is refused');

      await changePasswordAtFirstLogin(page, backend.initialPassword, ADMIN_PASSWORD);
      await page.locator('nav[aria-label="Main"]').waitFor();
      await settled(page);
      t.match(page.url(), /#\/overview$/);
      t.equal(await page.title(), 'Overview · Outpost');
    });

    await t.test('the shell: navigation for an sa-admin, the satellite, the registration state', async (t) => {
      await b.shot('shell');
      const links = await page.locator('nav[aria-label="Main"] a').allTextContents();
      t.same(links, ['Overview', 'Licenses', 'Virtual accounts', 'Devices', 'Tokens', 'Cisco products', 'Reservations', 'Reports', 'Sync', 'Users and roles', 'Event log', 'API tokens', 'Notifications']);
      t.equal(await page.locator('nav a[aria-current="page"]').textContent(), 'Overview');
      const registration = page.getByTestId('registration');
      t.match(await registration.textContent(), /unregistered/);
      t.match(await page.locator('.topbar').textContent(), /admin/);
      t.equal(await page.getByTestId('lapse-banner').count(), 0, 'no lapse banner before registration');
      // Keyboard: the skip link moves the focus to the content.
      await page.keyboard.press('Home');
      await page.evaluate(() => (document.querySelector('.skip-link') as HTMLElement).focus());
      await page.keyboard.press('Enter');
      t.equal(await page.evaluate(() => document.activeElement?.id), 'main');
      t.match(page.url(), /#\/overview$/, 'the skip link leaves the route alone');
    });

    await t.test('logging out returns to the login page; the session is gone', async (t) => {
      await page.getByTestId('logout').click();
      await page.getByLabel('Username').waitFor();
      t.match(await page.locator('.login-card').textContent(), /You are logged out/);
      const me = await page.evaluate(async () => (await fetch('/api/me')).status);
      t.equal(me, 401);
    });

    await t.test('the new password logs in straight to the overview', async (t) => {
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByLabel('Password', { exact: true }).press('Enter');
      await page.locator('nav[aria-label="Main"]').waitFor();
      await settled(page);
      t.equal(await page.title(), 'Overview · Outpost');
    });

    await t.test('after 5 failures a username is throttled, and the page says for how long', async (t) => {
      await page.getByTestId('logout').click();
      await page.getByLabel('Username').waitFor();
      for (let i = 0; i < 6; i++) {
        await page.getByLabel('Username').fill('mallory');
        await page.getByLabel('Password', { exact: true }).fill(`guess number ${i}`);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.locator('form .notice.error').waitFor();
      }
      const notice = page.locator('form .notice.error');
      t.match(await notice.textContent(), /Too many failed logins\. Try again in 15 minutes\./);
      t.equal(await notice.getAttribute('data-error-code'), 'LOGIN_THROTTLED', 'the code stays on the element');
    });
    allowed.push(/^429 POST \/api\/login$/);

    t.test('no console error, no outside request', async (t) => b.assertClean(t, allowed));
  }
}
