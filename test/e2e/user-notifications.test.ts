// The Users page (SPEC §10): an admin sets another user's address and notification settings;
// a va-admin does so for a user inside their VAs, and when the API refuses (the user's roles
// changed meanwhile, so the API no longer shows her to them) the dialog says so and nothing changes.
import t from 'tap';
import { ADMIN_PASSWORD, DASHBOARD_ENDPOINTS, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { addUser, seedVirtualAccounts } from '../helpers/e2e/seed.ts';
import { firstLogin, goTo, loginToOverview } from '../helpers/e2e/ui.ts';

interface UserJson {
  id: string;
  username: string;
  email: string | null;
  notifications: { alerts: string; summary: boolean };
}

if (chromiumAvailable(t)) {
  const backend = await startBackend(t, { needs: [...DASHBOARD_ENDPOINTS, { method: 'PATCH', path: '/api/me' }] });
  if (backend) {
    const ws = await seedVirtualAccounts(backend);
    await addUser(backend, 'nia', 'nia-initial-password', [{ role: 'va-user', virtualAccountId: ws.lab.id }]);
    await addUser(backend, 'vic', 'vic-initial-password', [{ role: 'va-admin', virtualAccountId: ws.eng.id }]);
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const user = async (name: string): Promise<UserJson> => {
      const list = (await backend.socket('GET', '/api/users?limit=200')).body as { items: UserJson[] };
      return list.items.find((u) => u.username === name)!;
    };

    await t.test('an admin sets the address, alert level and summary of another user', async (t) => {
      const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
      const { page } = b;
      await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);
      await goTo(page, 'users');
      const row = page.locator('tbody tr', { hasText: 'nia' });
      t.match(await row.locator('td[data-label="Notifications"]').textContent(), /no address/);
      await row.getByRole('button', { name: 'Notifications of nia' }).click();
      const dialog = page.getByRole('dialog', { name: 'Notifications of nia' });
      await dialog.getByLabel('Email address').fill('nia@example.com');
      await dialog.getByLabel('Alert emails').selectOption('warning');
      await dialog.getByLabel(/Send the summary/).check();
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'hidden' });
      t.match(await page.locator('#toasts .toast').last().textContent(), /notification settings of nia were saved/);
      await row.locator('[data-notify="nia"]').waitFor(); // the list reloads after the save
      t.match(await row.locator('td[data-label="Notifications"]').textContent(), /nia@example\.com.*warning alerts and up, summary/s, 'the list shows it');
      t.match(await user('nia'), { email: 'nia@example.com', notifications: { alerts: 'warning', summary: true } }, 'the API has it');

      // Emptying the address removes it; the rest stays.
      await row.getByRole('button', { name: 'Notifications of nia' }).click();
      t.equal(await dialog.getByLabel('Email address').inputValue(), 'nia@example.com', 'the dialog opens with what is set');
      t.equal(await dialog.getByLabel('Alert emails').inputValue(), 'warning');
      await dialog.getByLabel('Email address').fill('');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await row.locator('td[data-label="Notifications"]', { hasText: 'no address' }).waitFor();
      t.match(await user('nia'), { email: null, notifications: { alerts: 'warning', summary: true } });
      const events = (await backend.socket('GET', '/api/events?type=user.updated')).body as { items: Array<{ actor: string; details: { username: string; changes: Record<string, unknown> } }> };
      t.ok(events.items.some((e) => e.actor === 'admin' && e.details.username === 'nia' && 'email' in e.details.changes), 'each change is an event');
      b.assertClean(t, [/^401 GET \/api\/me$/]);
    });

    await t.test('a va-admin edits a user inside their VAs; a refusal by the API shows in the dialog and changes nothing', async (t) => {
      const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
      const { page } = b;
      await firstLogin(page, backend.url, 'vic', 'vic-initial-password', 'vic-own-password-123');
      await goTo(page, 'users');
      t.equal(await page.locator('tbody tr', { hasText: 'admin' }).getByRole('button', { name: /Notifications of/ }).count(), 0, 'no control for a user outside their VAs');
      const row = page.locator('tbody tr', { hasText: 'nia' });
      await row.getByRole('button', { name: 'Notifications of nia' }).click();
      const dialog = page.getByRole('dialog', { name: 'Notifications of nia' });
      await dialog.getByLabel('Alert emails').selectOption('critical');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.locator('#toasts .toast', { hasText: 'notification settings of nia were saved' }).waitFor();
      t.match(await user('nia'), { notifications: { alerts: 'critical' } }, 'a user inside their VAs');

      // Meanwhile an admin gives nia an account-wide role: vic may no longer manage her.
      const nia = await user('nia');
      const set = await backend.socket('PATCH', `/api/users/${nia.id}`, { roles: [{ role: 'va-user', virtualAccountId: ws.lab.id }, { role: 'viewer' }] });
      t.equal(set.status, 200);
      await row.getByRole('button', { name: 'Notifications of nia' }).click();
      await dialog.getByLabel('Email address').fill('nia@elsewhere.example');
      await dialog.getByRole('button', { name: 'Save' }).click();
      const refusal = dialog.locator('[role="alert"]');
      await refusal.waitFor();
      // The API hides a user outside the caller's VAs: 404, as if there were none.
      t.equal(await refusal.getAttribute('data-error-code'), 'NOT_FOUND');
      t.match(await refusal.textContent(), /outside the virtual accounts you can see/);
      t.ok(await dialog.isVisible(), 'the dialog stays open with the refusal');
      t.match(await user('nia'), { email: null, notifications: { alerts: 'critical' } }, 'nothing changed');
      b.assertClean(t, [/^401 GET \/api\/me$/, /^404 PATCH \/api\/users\/[^/]+$/]);
    });
  }
}
