// Every page, with data: a registered satellite with entitlements, nested VAs with a tag, devices
// over and under their licenses, a reservation, a second user — each page read as a user reads
// it, screenshotted, and the report downloads checked. Guarded until the endpoints are merged.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { tempDir } from '../helpers/tmp.ts';
import { ADMIN_PASSWORD, DASHBOARD_ENDPOINTS, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { cloudKey, writeJwks } from '../helpers/e2e/cloud.ts';
import { addUser, registerOffline, requestCode, seedDevices, seedVirtualAccounts } from '../helpers/e2e/seed.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';

if (chromiumAvailable(t)) {
  const key = await cloudKey();
  const cloudKeys = await writeJwks(tempDir(t), key);
  const backend = await startBackend(t, { config: { 'exchange.cloudKeys': cloudKeys }, needs: DASHBOARD_ENDPOINTS });
  if (backend) {
    // The VAs first: the cloud's snapshot pools licenses into Default/Eng, which must exist then.
    const ws = await seedVirtualAccounts(backend);
    await registerOffline(backend, key);
    // Default: 25 devices × 2 network-advantage = 50 in use of 40 purchased → insufficient (the
    // only short one); Default/Eng: 4 × 1 wireless-premier of 5; security-essentials ends within 90 days.
    await seedDevices(backend, { count: 25, prefix: 'FOC1', usage: [{ entitlement: 'network-advantage', count: 2 }] });
    await seedDevices(backend, { count: 4, va: ws.eng.path, prefix: 'FOC2', pid: 'C9800-40', usage: [{ entitlement: 'wireless-premier', count: 1 }] });
    await backend.socket('POST', '/api/reservations', { requestCode: await requestCode({ pid: 'ISR4331', sn: 'FDO2201A0BC' }), virtualAccount: 'Default', licenses: [{ entitlement: 'dna-advantage', count: 2 }] });
    await addUser(backend, 'vera', 'vera-initial-password', [{ role: 'viewer' }]);
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);

    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);

    await t.test('overview: compliance, registration, sync, alerts, devices and the chart', async (t) => {
      t.match(await page.getByTestId('compliance').textContent(), /1 of 4 entitlements short of licenses/);
      t.match(await page.getByTestId('compliance').textContent(), /network-advantage: 50 used of 40/);
      t.match(await page.getByTestId('registration').textContent(), /registered/);
      t.match(await page.getByTestId('registration').textContent(), /Days until lapse\s*365/);
      t.match(await page.getByTestId('sync').textContent(), /air-gapped/);
      t.match(await page.getByTestId('alerts').textContent(), /Short of licenses/, 'the alert type in words');
      t.equal(await page.getByTestId('alerts').locator('[data-alert-type="insufficient"]').count() > 0, true);
      t.match(await page.getByTestId('devices').textContent(), /Registered devices\s*29/);
      const bars = page.locator('svg.chart g.row');
      t.equal(await bars.count(), 4, 'one bar pair per entitlement');
      t.equal(await page.locator('svg.chart g.row.over').getAttribute('data-entitlement'), 'network-advantage', 'the short entitlement is drawn as over');
      t.equal(await page.locator('svg.chart').getAttribute('role'), 'img');
      t.match(await page.locator('svg.chart title').first().textContent(), /in use against purchased/);
      t.match(await page.getByTestId('compliance').getByTestId('ending').textContent(), /security-essentials: \d+ in Default end on/, 'the lines ending within 90 days');
      t.match(await page.getByTestId('virtual-accounts').locator('tr', { has: page.locator('[data-va="Default"]') }).textContent(), /network-advantage -10/, 'each VA with its shortages');
      t.match(await page.getByTestId('virtual-accounts').locator('tr', { has: page.locator('[data-va="Default/Eng"]') }).textContent(), /Default\/Eng\s*1\s*—/);
      t.match(await page.getByTestId('devices').textContent(), /Silent for 30 days or more\s*0/);
      await b.shot('overview');
    });

    await t.test('the overview reads the summary once, not the alerts, sync and licenses one by one', async (t) => {
      await goTo(page, 'devices');
      const reads: string[] = [];
      const onRequest = (r: { url(): string }) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/api/')) reads.push(u.pathname);
      };
      page.on('request', onRequest);
      await goTo(page, 'overview');
      page.off('request', onRequest);
      t.equal(reads.filter((r) => r === '/api/summary').length, 1, 'one read of /api/summary');
      t.same(reads.filter((r) => r === '/api/alerts' || r === '/api/sync' || r === '/api/licenses'), [], 'no separate reads of what the summary holds');
    });

    await t.test('licenses: pools per VA with status and flags', async (t) => {
      await goTo(page, 'licenses');
      // The pools; the lines behind them follow in their own section.
      const rows = page.locator('.pools tbody tr');
      await rows.nth(3).waitFor(); // the pools render after the page settles
      t.ok((await rows.count()) >= 4);
      t.match(await page.locator('.pools tbody tr', { hasText: 'network-advantage' }).textContent(), /insufficient/);
      t.match(await page.locator('.pools tbody tr', { hasText: 'security-essentials' }).textContent(), /expiring/);
      await page.getByLabel('Virtual account').selectOption({ label: '\u00a0\u00a0Default/Eng' });
      await settled(page);
      t.match(await page.locator('.pools tbody').textContent(), /wireless-premier/);
      await b.shot('licenses');
    });

    await t.test('virtual accounts: the tree with tags', async (t) => {
      await goTo(page, 'virtual-accounts');
      t.equal(await page.locator('.va-tree li[data-va="Default/Eng/Lab"]').count(), 1, 'Lab is nested under Eng');
      t.match(await page.locator('li[data-va="Default/Eng"] > .va-node').textContent(), /site: Berlin/);
      t.equal(await page.locator('li[data-va="Default"] > .va-node').getByRole('button', { name: /Delete/ }).count(), 0, 'Default cannot be deleted');
      t.match(await page.locator('.card', { hasText: 'Tag keys' }).textContent(), /site/);
      await b.shot('virtual-accounts');
    });

    await t.test('devices: a page of devices, search, state filter', async (t) => {
      await goTo(page, 'devices');
      t.equal(await page.locator('tbody tr').count(), 29);
      await b.shot('devices');
      await page.getByLabel('Search').fill('FOC200003');
      // The search runs after a pause in typing: wait for it to reach the address (the row is
      // on the page before the search already).
      await page.waitForFunction(() => location.hash.includes('q=FOC200003'));
      await settled(page);
      t.equal(await page.locator('tbody tr').count(), 1, 'the search narrows to one device');
      t.match(page.url(), /q=FOC200003/, 'the filter is in the address');
    });

    await t.test('tokens, reservations, reports, sync, users, events all render', async (t) => {
      await goTo(page, 'tokens');
      t.ok((await page.locator('tbody tr').count()) >= 2, 'the seeding tokens are listed');
      await b.shot('tokens-list');

      await goTo(page, 'reservations');
      t.match(await page.locator('tbody').textContent(), /FDO2201A0BC/);
      t.match(await page.locator('tbody').textContent(), /2 × dna-advantage/);
      await b.shot('reservations');

      await goTo(page, 'reports');
      const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('[data-report="licenses.csv"]').click()]);
      const csvText = await readFile((await csv.path())!, 'utf8');
      t.match(csvText, /network-advantage/, 'the CSV holds the pools');
      const [xlsx] = await Promise.all([page.waitForEvent('download'), page.locator('[data-report="devices.xlsx"]').click()]);
      const xlsxBytes = await readFile((await xlsx.path())!);
      t.equal(xlsxBytes.subarray(0, 2).toString(), 'PK', 'the XLSX is a zip file');
      await page.locator('.progress-text', { hasText: /^Saved / }).first().waitFor();
      await b.shot('reports');

      await goTo(page, 'sync');
      t.match(await page.locator('.page').textContent(), /registered/);
      await b.shot('sync');

      await goTo(page, 'users');
      t.match(await page.locator('tbody').textContent(), /vera/);
      t.match(await page.locator('tbody tr', { hasText: 'vera' }).textContent(), /must change at next login/);
      await b.shot('users');

      await goTo(page, 'events');
      t.ok((await page.locator('tbody tr').count()) > 5);
      await page.getByLabel('Type').fill('token.created');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.locator('.page[data-page="events"]').waitFor();
      await settled(page);
      const types = await page.locator('tbody tr td[data-label="Type"]').allTextContents();
      t.ok(types.length > 0 && types.every((x) => x === 'token.created'), 'the type filter applies');
      await b.shot('events');
    });

    await t.test('every field on every page has a label', async (t) => {
      for (const p of ['overview', 'licenses', 'virtual-accounts', 'devices', 'tokens', 'reservations', 'reports', 'sync', 'users', 'events']) {
        await goTo(page, p);
        const unlabelled = await page.evaluate<string[]>(`Array.from(document.querySelectorAll('main input, main select, main textarea'))
          .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML.slice(0, 80))`);
        t.same(unlabelled, [], `${p}: every field is labelled`);
      }
    });

    t.test('no console error, no outside request', async (t) => b.assertClean(t, [/^401 GET \/api\/me$/]));
  }
}
