// The devices page: one page at a time through the API's cursor (never the whole list), next and
// previous, search, state filter, sort, deregister, move, and a policy device's key thumbprint
// with its reset.
import { randomUUID } from 'node:crypto';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import t from 'tap';
import { request } from 'undici';
import { ADMIN_PASSWORD, missingFeature, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { seedDevices } from '../helpers/e2e/seed.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';

if (chromiumAvailable(t)) {
  const backend = await startBackend(t, {
    config: { 'device.policyMode.enabled': true },
    needs: ['GET /api/devices', 'GET /api/virtual-accounts', { method: 'POST', path: '/api/virtual-accounts' }],
  });
  if (backend) {
    await seedDevices(backend, { count: 130, prefix: 'FOC5' });
    const eng = await backend.socket('POST', '/api/virtual-accounts', { name: 'Eng', parentId: null });
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;
    const deviceQueries: URL[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/devices') deviceQueries.push(u);
    });
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);
    const serials = () => page.locator('tbody tr code.serial').allTextContents();

    await t.test('the first page comes fast, and only one page is read', async (t) => {
      const start = Date.now();
      await goTo(page, 'devices');
      const ms = Date.now() - start;
      t.equal(await page.locator('tbody tr').count(), 50, '50 a page by default');
      t.match(await page.locator('.pager').textContent(), /Page 1/);
      t.ok(ms < 2000, `first page shown in ${ms} ms`);
      t.same(deviceQueries.map((u) => u.searchParams.get('limit')), ['50'], 'one request, for one page');
    });

    await t.test('next and previous walk the cursor', async (t) => {
      const first = await serials();
      await page.getByRole('button', { name: 'Next page' }).click();
      await settled(page);
      const second = await serials();
      t.equal(second.length, 50);
      t.notOk(second.some((s) => first.includes(s)), 'page 2 holds other devices');
      t.ok(deviceQueries.at(-1)!.searchParams.get('cursor'), 'page 2 was asked by cursor');
      await page.getByRole('button', { name: 'Next page' }).click();
      await settled(page);
      t.equal((await serials()).length, 30, 'the last page holds the rest');
      t.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled(), 'no page after the last');
      await page.getByRole('button', { name: 'Previous page' }).click();
      await settled(page);
      t.same(await serials(), second, 'previous returns to page 2');
      t.ok(deviceQueries.every((u) => Number(u.searchParams.get('limit')) <= 200), 'never more than a page asked for');
    });

    await t.test('search and the state filter narrow the list, and live in the address', async (t) => {
      await page.getByLabel('Search').fill('FOC500012');
      // The search runs after a pause in typing: wait for it to reach the address, not for the
      // row (the page shown may hold FOC500012 already, depending on the API's order).
      await page.waitForFunction(() => location.hash.includes('q=FOC500012'));
      await settled(page);
      t.equal(await page.locator('tbody tr').count(), 1);
      t.match(page.url(), /#\/devices\?q=FOC500012/);
      await page.getByLabel('Search').fill('');
      await page.getByLabel('Search').press('Enter');
      await settled(page);
      t.equal(await page.locator('tbody tr').count(), 50);
    });

    await t.test('deregister asks, then the device is deregistered', async (t) => {
      const row = page.locator('tbody tr', { hasText: 'FOC500007' });
      await page.getByLabel('Search').fill('FOC500007');
      await page.getByLabel('Search').press('Enter');
      await settled(page);
      await row.getByRole('button', { name: /Deregister/ }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Deregister' }).click();
      await row.filter({ hasText: 'deregistered' }).waitFor();
      await page.getByLabel('Search').fill('');
      await page.getByLabel('State').selectOption('deregistered');
      await settled(page);
      t.same(await serials(), ['FOC500007'], 'the state filter finds it');
      await page.getByLabel('State').selectOption('');
      await settled(page);
    });

    await t.test('move puts a device in another VA', async (t) => {
      await page.getByLabel('Search').fill('FOC500008');
      await page.getByLabel('Search').press('Enter');
      await settled(page);
      const row = page.locator('tbody tr', { hasText: 'FOC500008' });
      await row.getByRole('button', { name: /Move/ }).click();
      await page.getByRole('dialog').getByLabel('To virtual account').selectOption({ label: 'Eng' });
      await page.getByRole('dialog').getByRole('button', { name: 'Move' }).click();
      await row.filter({ hasText: 'Eng' }).waitFor();
      const listed = await backend.socket('GET', `/api/devices?va=${eng.body.id}`);
      t.same(listed.body.items.map((d: { udi: { sn: string } }) => d.udi.sn), ['FOC500008']);
    });

    await t.test('sorting by a column asks the API and marks the header', async (t) => {
      await page.getByLabel('Search').fill('');
      await page.getByLabel('Search').press('Enter');
      await settled(page);
      await page.getByRole('button', { name: 'Sort by Hostname' }).click();
      await settled(page);
      t.match(page.url(), /sort=hostname&order=asc/);
      t.equal(await page.locator('th[aria-sort="ascending"]').textContent(), 'Hostname ▲');
      const asc = await page.locator('tbody tr td[data-label="Hostname"]').allTextContents();
      t.same(asc, [...asc].sort(), 'ascending');
      await page.getByRole('button', { name: 'Sort by Hostname' }).click();
      await settled(page);
      const desc = await page.locator('tbody tr td[data-label="Hostname"]').allTextContents();
      t.same(desc, [...desc].sort().reverse(), 'descending');
      await b.shot('devices-sorted');
    });

    await t.test('a policy device shows "via: policy" and its key, and the key can be reset', async (t) => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const jwk = await exportJWK(publicKey);
      const now = backend.sat.clock();
      const payload = {
        udi: { pid: 'C9200L-24P', sn: 'JAE0000POL1' },
        hostname: 'policy-switch',
        reportId: randomUUID(),
        window: { start: new Date(now.getTime() - 3_600_000).toISOString(), end: now.toISOString() },
        usage: [{ entitlement: 'network-advantage', count: 1 }],
      };
      const jws = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', jwk }).sign(privateKey);
      const res = await request(`${backend.sat.device}/v1/usage`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws });
      await res.body.dump();
      if (res.statusCode === 404) {
        // Skipped outside CI, failed under CI=true, naming the endpoint.
        missingFeature(t, 'devices.test.ts policy mode', ['POST /v1/usage']);
        return;
      }
      t.equal(res.statusCode, 202);
      await page.getByLabel('Search').fill('JAE0000POL1');
      await page.getByLabel('Search').press('Enter');
      await settled(page);
      const row = page.locator('tbody tr', { hasText: 'JAE0000POL1' });
      t.match(await row.textContent(), /via: policy/);
      t.match(await row.locator('.thumb code').getAttribute('data-thumbprint'), /^[A-Za-z0-9_-]{43}$/, 'the pinned key thumbprint');
      await b.shot('devices-policy');
      await row.getByRole('button', { name: /Reset the key/ }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Reset key' }).click();
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      const events = await backend.socket('GET', '/api/events');
      t.ok(JSON.stringify(events.body).includes('key'), 'the reset left an event');
    });

    // The overview asks GET /api/sync, which answers 404 until the exchange's daemon side is merged.
    t.test('no console error, no outside request', async (t) => b.assertClean(t, [/^401 GET \/api\/me$/, /^404 GET \/api\/sync$/]));
  }
}
