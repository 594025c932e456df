// What has no value yet reads as words on every page, never as "null", "undefined", "NaN" or
// "Invalid Date": a satellite that never exported or reached the cloud, a device without a
// hostname that never reported, a token without a use limit, events whose details hold nulls —
// then the same pages after the first export and after the cloud's answer.
import t from 'tap';
import type { Page } from 'playwright-core';
import { tempDir } from '../helpers/tmp.ts';
import { registerDevice } from '../helpers/devices.ts';
import { ADMIN_PASSWORD, DASHBOARD_ENDPOINTS, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { cloudKey, writeJwks } from '../helpers/e2e/cloud.ts';
import { rawSocket, registerOffline, seedDevices, seedVirtualAccounts, syncOffline } from '../helpers/e2e/seed.ts';
import { goTo, loginToOverview } from '../helpers/e2e/ui.ts';
import { PAGES } from '../../web-ui/src/routes.ts';

const LEAK = /\bnull\b|\bundefined\b|\bNaN\b|Invalid Date|\[object Object\]/;

/** Lines of visible text, and tooltips, on the page that show a missing value as code would. */
async function leaks(page: Page): Promise<string[]> {
  const text = await page.locator('#app').innerText();
  const titles = await page.locator('#app [title]').evaluateAll((els) => els.map((el) => `title: ${el.getAttribute('title')}`));
  return [...text.split('\n'), ...titles].filter((l) => LEAK.test(l));
}

if (chromiumAvailable(t)) {
  const key = await cloudKey();
  const cloudKeys = await writeJwks(tempDir(t), key);
  const backend = await startBackend(t, { config: { 'exchange.cloudKeys': cloudKeys }, needs: DASHBOARD_ENDPOINTS });
  if (backend) {
    await seedVirtualAccounts(backend);
    await seedDevices(backend, { count: 2 });
    // A device with no hostname that never reported, through a token with no use limit.
    const token = await backend.socket('POST', '/api/tokens', { virtualAccountId: 'Default', validDays: 3 });
    await registerDevice(backend.sat.device, token.body.token, 'FOC9NEVER1', { hostname: undefined });
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);

    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);

    await t.test('before the first export and registration, no page shows a missing value as code', async (t) => {
      for (const p of PAGES.filter((x) => !x.under)) {
        await goTo(page, p.path);
        t.same(await leaks(page), [], `${p.title}: nothing null`);
      }
    });

    await t.test('the overview and the sync page say the satellite never exported and never reached the cloud', async (t) => {
      await goTo(page, 'overview');
      t.match(await page.getByTestId('sync').textContent(), /Satellite reports\s*never exported/);
      t.match(await page.getByTestId('sync').textContent(), /Last success\s*never/);
      t.match(await page.getByTestId('registration').textContent(), /Last cloud contact\s*never/);
      t.match(await page.getByTestId('registration').textContent(), /Days until lapse\s*not registered/);
      await goTo(page, 'sync');
      t.match(await page.locator('.page').textContent(), /Satellite reports\s*never exported/);
      t.match(await page.locator('.page').textContent(), /Last attempt\s*never/);
    });

    await t.test('devices and events say what is missing in words', async (t) => {
      await goTo(page, 'devices');
      const row = page.locator('tbody tr', { hasText: 'FOC9NEVER1' });
      const cells = row.locator('td');
      t.equal(await cells.nth(0).textContent(), '—', 'no hostname: a dash');
      t.equal(await cells.nth(6).textContent(), 'never', 'never reported');
      await goTo(page, 'events');
      t.match(await page.locator('tbody').textContent(), /maxUses: —/, 'a null in the details: a dash');
    });

    await t.test('after the first export, the report is exported and none is acknowledged yet', async (t) => {
      await registerOffline(backend, key);
      const exp = await rawSocket(backend, 'POST', '/api/sync/export', '{}');
      t.equal(exp.status, 200);
      await goTo(page, 'sync');
      t.match(await page.locator('.page').textContent(), /Satellite reports\s*#1 exported, none acknowledged yet/);
      await goTo(page, 'overview');
      t.match(await page.getByTestId('sync').textContent(), /Satellite reports\s*#1 exported, none acknowledged yet/);
      for (const p of PAGES.filter((x) => !x.under)) {
        await goTo(page, p.path);
        t.same(await leaks(page), [], `${p.title}: nothing null`);
      }
    });

    await t.test('after the cloud answered, the acknowledged report is named', async (t) => {
      await syncOffline(backend, key, 2);
      await goTo(page, 'sync');
      t.match(await page.locator('.page').textContent(), /Satellite reports\s*#2 exported, #2 acknowledged by the cloud/);
      t.same(await leaks(page), []);
    });

    await t.test('no console error, no outside request, no error answer but before logging in', async (t) => b.assertClean(t, [/^401 GET \/api\/me$/]));
  }

  // Network mode with a cloud that does not answer: the failure, its time and the retry.
  await t.test('a failed network sync is said with its code and time, and nothing reads null', async (t) => {
    const failing = await startBackend(t, { config: { 'exchange.cloudKeys': cloudKeys, 'exchange.url': 'http://127.0.0.1:9' }, needs: DASHBOARD_ENDPOINTS });
    if (!failing) return;
    await registerOffline(failing, key);
    const sync = await failing.socket('POST', '/api/sync');
    t.equal(sync.status, 502, 'the sync failed: the cloud is unreachable');
    const code = sync.body.error.code as string;
    await setOwnPassword(failing, 'admin', failing.initialPassword, ADMIN_PASSWORD);
    const b = await openBrowser(t, failing.url, { now: failing.sat.clock() });
    const { page } = b;
    await loginToOverview(page, failing.url, 'admin', ADMIN_PASSWORD);

    t.match(await page.getByTestId('sync').textContent(), new RegExp(`Last error: .+ \\(${code}, \\w{3} \\d+, \\d{4}`));
    // The offline registration was a successful exchange with the cloud; the network sync failed after it.
    t.match(await page.getByTestId('sync').textContent(), /Last success\s*just now/);
    t.same(await leaks(page), [], 'overview: nothing null');
    await goTo(page, 'sync');
    t.match(await page.locator('.page').textContent(), new RegExp(`Last error.+\\(${code}, `));
    t.match(await page.locator('.page').textContent(), /Satellite reports\s*#1 exported, none acknowledged yet/);
    t.same(await leaks(page), [], 'sync: nothing null');
    b.assertClean(t, [/^401 GET \/api\/me$/]);
  });
}
