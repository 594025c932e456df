// The Cisco products page in Chromium against an emulated product over HTTPS: add it (with its
// self-signed certificate), poll it now and see the result, then remove it.
import t from 'tap';
import { ADMIN_PASSWORD, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';
import { startFleet } from '../../scripts/product-emulator.ts';

if (chromiumAvailable(t)) {
  const backend = await startBackend(t);
  if (backend) {
    const fleet = await startFleet({ products: 1, product: () => ({ closedReports: 3 }) });
    t.teardown(() => fleet.close());
    const p = fleet.products[0]!;
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);

    await t.test('add a product, poll it now, see its reports, remove it', async (t) => {
      await goTo(page, 'cisco-products');
      t.match(await page.locator('.page').textContent(), /No products yet/);
      await page.getByLabel('Address', { exact: true }).fill(p.url);
      await page.getByLabel('Username', { exact: true }).fill(p.options.username);
      await page.getByLabel('Password', { exact: true }).fill(p.options.password);
      await page.getByLabel('Certificate or CA (PEM)').fill(fleet.pem.cert);
      await page.getByRole('button', { name: 'Add product' }).click();
      await settled(page);
      const row = page.locator('tbody tr', { hasText: p.url });
      await row.waitFor();
      t.match(await row.textContent(), /never polled/);
      t.notOk((await page.content()).includes(p.options.password), 'the password is not on the page');
      await row.getByRole('button', { name: `Poll ${p.url} now` }).click();
      await page.getByText(/Polling .* the result shows here/).waitFor();
      await backend.sat.services.collector.idle();
      // The page's own reload runs on a timer, which the test's fixed browser clock holds: reload by hand.
      // A loaded machine may start the poll after the answer: wait for it (up to 30 s), not a fixed count.
      for (let i = 0; i < 150 && !/ok (just now|\d|in|a )/.test((await row.textContent()) ?? ''); i++) {
        await new Promise((r) => setTimeout(r, 200));
        await backend.sat.services.collector.idle();
        await goTo(page, 'cisco-products');
        await settled(page);
      }
      t.match(await row.textContent(), /ok (just now|\d|in|a )/);
      // Three closed before, and those close-reports closed since (the product's clock runs).
      t.match(await row.textContent(), new RegExp(`ok .*${p.closedIds.length}0 / 0`), 'the reports collected, no acknowledgements yet');
      await b.shot('collector-polled');
      await row.getByRole('button', { name: `Remove ${p.url}` }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
      await page.locator('tbody tr', { hasText: p.url }).waitFor({ state: 'detached' });
      t.pass('removed');
    });
  }
}
