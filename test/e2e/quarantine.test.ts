// The Sync page lists the reports an export set aside (with the reason) and removes one after a
// confirmation; the rest of the export went out.
import t from 'tap';
import { keys } from '../../daemon/store/index.ts';
import type { QueuedReport } from '../../daemon/domain/satellite/records.ts';
import { ADMIN_PASSWORD, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { seedDevices } from '../helpers/e2e/seed.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';
import { socketCall } from '../helpers/exchange.ts';

if (chromiumAvailable(t)) {
  const backend = await startBackend(t, { needs: ['GET /api/sync', 'GET /api/quarantine', { method: 'POST', path: '/api/sync/export' }] });
  if (backend) {
    await seedDevices(backend, { count: 3, prefix: 'QRN' });
    // A report as stored before instants were checked strictly.
    let poisoned = '';
    await backend.sat.ctx.writer.run(async (tx) => {
      const q = (await tx.get<QueuedReport>(keys.unacked(2)))!;
      poisoned = q.reportId;
      tx.put(keys.unacked(2), { ...q, window: { ...q.window, end: '2026-02-30T10:00:00.000Z' } });
    });
    // (No assertion at the top level: tap would end the root test with it.)
    const exported = await socketCall(backend.sat.socketPath, 'POST', '/api/sync/export');
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);

    await t.test('the Sync page shows the quarantined report and removes it', async (t) => {
      t.equal(exported.status, 200, 'the export went out');
      const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
      const { page } = b;
      await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);
      await goTo(page, 'sync');
      const row = page.locator(`[data-quarantine] tr[data-key="${poisoned}"]`);
      await row.waitFor();
      t.match(await row.locator('td[data-label="Why"]').textContent(), /window\.end: expected a real instant/);
      await b.shot('sync-quarantine');
      await row.getByRole('button', { name: 'Remove' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
      await page.locator('[data-quarantine]').getByText('No report is quarantined.').waitFor();
      await settled(page);
      t.equal((await backend.socket('GET', '/api/quarantine')).body.items.length, 0, 'removed through the API');
      b.assertClean(t, [/^401 GET \/api\/me$/]);
    });
  }
}
