// The air-gapped exchange through the dashboard: register offline (request file out, signed
// response in), refused bundles said in plain words, export and import a report round, a nested
// VA made in the tree and a transfer into it, and the lapse banner once the contact grows old.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/tmp.ts';
import { ADMIN_PASSWORD, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { cloudKey, cloudResponse, readManifest, registrationResponse, writeJwks } from '../helpers/e2e/cloud.ts';
import { LINES, satelliteId } from '../helpers/e2e/seed.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';

if (chromiumAvailable(t)) {
  const dir = tempDir(t);
  const key = await cloudKey();
  const stranger = await cloudKey();
  const backend = await startBackend(t, {
    config: { 'exchange.cloudKeys': await writeJwks(dir, key) },
    needs: [
      'GET /api/sync',
      'GET /api/licenses',
      'GET /api/virtual-accounts',
      { method: 'POST', path: '/api/registration' },
      { method: 'POST', path: '/api/sync/import', raw: Buffer.from('not a zip'), type: 'application/zip' },
      { method: 'POST', path: '/api/licenses/transfer' },
      { method: 'POST', path: '/api/virtual-accounts' },
    ],
  });
  if (backend) {
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);
    const satId = await satelliteId(backend);
    const importFile = async (name: string, bytes: Buffer) => {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      await page.getByLabel('Bundle from the cloud (.zip)').setInputFiles(file);
      await page.getByRole('button', { name: 'Import bundle' }).click();
      await page.getByTestId('import-result').locator('.notice').waitFor();
      return page.getByTestId('import-result');
    };

    await t.test('offline registration: the request file downloads', async (t) => {
      await goTo(page, 'sync');
      t.match(await page.locator('.page').textContent(), /unregistered/);
      await page.getByLabel('Satellite registration token (from the license cloud)').fill('cloud-satellite-token');
      t.ok(await page.getByLabel(/Offline/).isChecked(), 'offline is the choice without a cloud URL');
      t.ok(await page.getByLabel(/Over the network/).isDisabled(), 'network registration needs exchange.url');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Register', exact: true }).click()]);
      const manifest = await readManifest(await readFile((await dl.path())!));
      t.equal(manifest.kind, 'registration-request');
      t.equal(manifest.token, 'cloud-satellite-token');
      t.equal(manifest.satellite, satId);
      await page.locator('.progress-text', { hasText: /^Saved / }).waitFor();
    });

    await t.test('a bundle signed by an unknown key is refused, in plain words, and nothing changes', async (t) => {
      const forged = await registrationResponse(stranger, { satellite: satId, createdAt: backend.sat.clock().toISOString(), lines: LINES });
      const result = await importFile('forged.zip', forged);
      const text = await result.textContent();
      t.match(text, /The bundle was refused and nothing changed\./);
      t.match(text, /signed by a key this satellite does not trust/);
      t.notMatch(text, /BUNDLE_KEY_UNKNOWN/, 'the code is not shown to a person');
      t.equal(await result.locator('.notice').getAttribute('data-error-code'), 'BUNDLE_KEY_UNKNOWN', 'it stays on the element');
      await b.shot('import-refused');
      const notZip = await importFile('notes.zip', Buffer.from('these are my notes, not a bundle'));
      t.match(await notZip.textContent(), /This file is not a bundle: it is not a zip file\./);
      t.equal(await notZip.locator('.notice').getAttribute('data-error-code'), 'BUNDLE_NOT_ZIP');
      t.equal((await backend.socket('GET', '/api/status')).body.registration, 'unregistered');
    });

    await t.test('the signed registration response registers the satellite', async (t) => {
      const response = await registrationResponse(key, { satellite: satId, createdAt: backend.sat.clock().toISOString(), lines: LINES });
      const result = await importFile('registration-response.zip', response);
      t.match(await result.textContent(), /Applied the registration-response #1\..*4 entitlement lines/s);
      await goTo(page, 'overview');
      t.match(await page.getByTestId('registration').textContent(), /registered.*Days until lapse\s*365/s);
      t.equal(await page.locator('svg.chart g.row').count(), 4);
    });

    await t.test('export downloads the next report; its answer imports once', async (t) => {
      await goTo(page, 'sync');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export satellite report' }).click()]);
      const manifest = await readManifest(await readFile((await dl.path())!));
      t.equal(manifest.kind, 'satellite-report');
      t.equal(manifest.sequence, 1);
      await page.locator('.progress-text', { hasText: /^Saved / }).waitFor();
      const answer = await cloudResponse(key, { satellite: satId, sequence: 2, inReplyTo: 1, createdAt: backend.sat.clock().toISOString(), lines: LINES });
      t.match(await (await importFile('cloud-response.zip', answer)).textContent(), /Applied the cloud-response #2/);
      await goTo(page, 'sync');
      t.match(await (await importFile('cloud-response.zip', answer)).textContent(), /applied before; nothing changed/);
      await b.shot('sync-imported');
    });

    await t.test('a nested VA made in the tree, and a transfer into it', async (t) => {
      await goTo(page, 'virtual-accounts');
      await page.getByRole('button', { name: 'Add an account inside Default' }).click();
      await page.getByRole('dialog').getByLabel('Name').fill('Eng');
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
      await page.locator('li[data-va="Default/Eng"]').waitFor();

      await goTo(page, 'licenses');
      await page.getByRole('button', { name: 'Transfer licenses…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Transfer licenses' });
      await dialog.getByLabel('From virtual account').selectOption({ label: 'Default' });
      await dialog.locator('select[name="entitlement"] option[value="network-advantage"]').waitFor({ state: 'attached' });
      await dialog.getByLabel('Entitlement').selectOption('network-advantage');
      await dialog.getByLabel('Quantity').fill('5');
      await dialog.getByLabel('To virtual account').selectOption({ label: '\u00a0\u00a0Default/Eng' });
      await b.shot('transfer');
      await dialog.getByRole('button', { name: 'Transfer' }).click();
      await dialog.waitFor({ state: 'detached' });
      await settled(page);
      t.match(await page.locator('#toasts').textContent(), /Moved 5 network-advantage from Default to Default\/Eng/);
      const eng = await backend.socket('GET', '/api/licenses?va=Default/Eng');
      t.equal(eng.body.items.find((p: { entitlement: string }) => p.entitlement === 'network-advantage')?.purchased, 5);
    });

    await t.test('inside 90 days of the lapse, every page carries the banner', async (t) => {
      backend.sat.clock.advanceDays(300);
      await page.clock.setFixedTime(backend.sat.clock());
      // 300 days on, the session has long expired (idle 30 minutes): log in again.
      await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);
      const banner = page.getByTestId('lapse-banner');
      await banner.waitFor();
      t.match(await banner.textContent(), /The registration lapses in 65 days/);
      await goTo(page, 'devices');
      t.equal(await banner.count(), 1, 'still there on another page');
    });

    t.test('no console error, no outside request', async (t) => b.assertClean(t, [/^401 GET \/api\/me$/, /^4(22|13) POST \/api\/sync\/import$/]));
  }
}
