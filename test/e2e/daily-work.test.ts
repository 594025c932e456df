// The dashboard for daily work, in Chromium: license lines per VA (expiring and expired ones
// marked, transfers shown), a transfer dialog that never offers a negative amount and says why
// nothing can move, a page per device (registration, latest usage, reports and their
// acknowledgement, events), the devices list by newest report with a usage column, the sync
// history of both paths with an import counted as a success, a satellite's own export said for
// what it is, refusals naming the form's field, alert types in words, times with their zone, and
// every page at 1366 px and 400 px with nothing cut off and no horizontal overflow (screenshots
// into test-output/screenshots/).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { PAGES } from '../../web-ui/src/routes.ts';
import { ADMIN_PASSWORD, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { cloudKey, line, registrationResponse, writeJwks } from '../helpers/e2e/cloud.ts';
import { LINES, rawSocket, registerOffline, seedDevices, seedVirtualAccounts, syncOffline } from '../helpers/e2e/seed.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';
import { tempDir } from '../helpers/tmp.ts';
import { sampleUsage } from '../../daemon/jobs/index.ts';

/** What overflows or is cut off on the page now (a string: evaluate() must not carry the TS loader's helpers). */
const LAYOUT_PROBLEMS = `(() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const out = [];
  if (doc.scrollWidth > width + 1) out.push('the page scrolls sideways: ' + doc.scrollWidth + ' > ' + width);
  for (const w of document.querySelectorAll('.table-wrap')) {
    if (w.scrollWidth > w.clientWidth + 1) out.push('table "' + ((w.querySelector('caption') || {}).textContent || '') + '" is cut off: ' + w.scrollWidth + ' > ' + w.clientWidth);
  }
  for (const el of document.querySelectorAll('main button, main a, main select, main input, main svg.chart')) {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || el.closest('thead')) continue;
    if (r.right > width + 1 || r.left < -1) out.push(el.tagName + ' "' + (el.textContent || '').trim().slice(0, 30) + '" is clipped at ' + Math.round(r.right));
  }
  return out;
})()`;

if (chromiumAvailable(t)) {
  const dir = tempDir(t);
  const key = await cloudKey();
  const backend = await startBackend(t, {
    config: { 'exchange.cloudKeys': await writeJwks(dir, key), 'device.policyMode.enabled': true },
    needs: ['GET /api/licenses/lines', 'GET /api/licenses/history', 'GET /api/sync/history', 'GET /api/devices', 'GET /api/sync', { method: 'POST', path: '/api/registration' }],
  });
  if (backend) {
    const ws = await seedVirtualAccounts(backend);
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;
    const deviceQueries: URL[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/devices') deviceQueries.push(u);
    });
    await page.setViewportSize({ width: 1366, height: 900 });
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);

    await t.test('an unregistered satellite: registration comes first on the Sync page', async (t) => {
      await goTo(page, 'sync');
      const first = page.locator('.page .grid > .card').first();
      t.match(await first.locator('h2').textContent(), /Register this satellite/);
      t.match(await page.getByTestId('sync-history').textContent(), /No exchange with the cloud yet/);
    });

    // Registered offline with lines that expire soon and one that ended; devices that use more
    // dna-advantage than bought; a transfer of network-advantage into Eng.
    const ended = line('routing-legacy', 3, { virtualAccount: 'Default', sku: 'L-RT-LEGACY', startsAt: '2025-01-01T00:00:00.000Z', endsAt: '2026-10-01T00:00:00.000Z' });
    const lines = [...LINES, ended];
    let devices: Awaited<ReturnType<typeof seedDevices>> = [];
    // Inside a subtest: the root test ends when it has nothing queued, even with the file still awaiting.
    await t.test('setup: registered offline, devices reporting, a transfer into Eng', async (t) => {
    await registerOffline(backend, key, lines);
    devices = await seedDevices(backend, {
      count: 12,
      prefix: 'FOC7',
      usage: [
        { entitlement: 'dna-advantage', count: 1 },
        { entitlement: 'network-advantage', count: 2 },
        { entitlement: 'routing-legacy', count: 1 },
      ],
    });
    const moved = await backend.socket('POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 5, from: 'Default', to: 'Default/Eng' });
    t.equal(moved.status, 201, `transfer: ${JSON.stringify(moved.body)}`);
    });

    await t.test('the API: lines per VA with their standing and transfers, scoped by va', async (t) => {
      const all = await backend.socket('GET', '/api/licenses/lines?va=Default&nested=true');
      t.equal(all.status, 200);
      const na = all.body.items.filter((l: any) => l.entitlement === 'network-advantage');
      t.same(
        na.map((l: any) => [l.virtualAccount.path, l.quantity, l.lineQuantity, l.moves.map((m: any) => `${m.direction} ${m.virtualAccount.path} ${m.quantity}`)]),
        [
          ['Default', 35, 40, ['out Default/Eng 5']],
          ['Default/Eng', 5, 40, ['in Default 5']],
        ],
      );
      const se = all.body.items.find((l: any) => l.entitlement === 'security-essentials');
      t.match(se, { standing: 'expiring', daysLeft: 48 });
      t.match(all.body.items.find((l: any) => l.entitlement === 'routing-legacy'), { standing: 'expired', sku: 'L-RT-LEGACY' });
      const eng = await backend.socket('GET', `/api/licenses/lines?va=${ws.eng.id}`);
      t.ok(eng.body.items.every((l: any) => l.virtualAccount.id === ws.eng.id), 'va alone: only its lines');
      const paged = await backend.socket('GET', '/api/licenses/lines?va=Default&nested=true&limit=2');
      t.equal(paged.body.items.length, 2);
      const rest = await backend.socket('GET', `/api/licenses/lines?va=Default&nested=true&limit=100&cursor=${paged.body.next}`);
      t.equal(paged.body.items.length + rest.body.items.length, all.body.items.length, 'the cursor walks the rest');
      t.equal((await backend.socket('GET', '/api/licenses/lines?bogus=1')).status, 400);
    });

    await t.test('usage over time: daily samples of the pools, summed over the scope, charted on the overview and the license page', async (t) => {
      const now = backend.sat.clock().getTime();
      // Two earlier days as the hourly job would have sampled them, then today.
      for (const d of [2, 1, 0]) await sampleUsage(backend.sat.ctx, backend.sat.services.licensing, new Date(now - d * 86_400_000));
      t.match(await sampleUsage(backend.sat.ctx, backend.sat.services.licensing, new Date(now)), { written: false }, 'an unchanged sample writes nothing');
      const h = await backend.socket('GET', '/api/licenses/history?entitlement=network-advantage');
      t.equal(h.status, 200);
      t.same(
        h.body.items.map((p: any) => [p.day, p.inUse, p.purchased]),
        [
          ['2026-11-26', 24, 40],
          ['2026-11-27', 24, 40],
          ['2026-11-28', 24, 40],
        ],
        'Default and Eng summed per day (the transfer moved nothing out of the account)',
      );
      const eng = await backend.socket('GET', `/api/licenses/history?va=${ws.eng.id}&entitlement=network-advantage`);
      t.same(eng.body.items.map((p: any) => [p.inUse, p.purchased]), [[0, 5], [0, 5], [0, 5]], 'one VA alone');
      t.equal((await backend.socket('GET', '/api/licenses/history?days=401')).status, 400);
      t.equal((await backend.socket('GET', '/api/licenses/history?days=1')).body.items.every((p: any) => p.day === '2026-11-28'), true);
      await goTo(page, 'overview');
      const charts = page.getByTestId('history').locator('figure.history');
      await charts.first().waitFor();
      t.ok((await charts.count()) >= 4, 'one chart per entitlement');
      const na = page.getByTestId('history').locator('svg[data-entitlement="network-advantage"]');
      t.equal(await na.locator('polyline.in-use-line').count(), 1, 'in use drawn as a line');
      t.equal(await na.locator('polyline.purchased-line').count(), 1, 'purchased drawn as a line');
      t.match(await na.locator('desc').textContent(), /3 days from 2026-11-26 to 2026-11-28; on 2026-11-28 24 in use or reserved of 40 purchased/);
      t.ok(await page.getByTestId('history').locator('svg[data-entitlement="dna-advantage"] .in-use-line.over').count(), 'over purchased drawn red');
    });

    await t.test('the Licenses page lists the lines behind each pool; expiring and expired stand out', async (t) => {
      await goTo(page, 'licenses');
      const lines = page.getByTestId('lines');
      await lines.locator('table').first().waitFor();
      const text = (await lines.textContent()) ?? '';
      t.match(text, /SKU-SECURITY-ESSENTIALS/);
      t.match(text, /security-essentials licenses/, 'the description');
      t.match(text, /to Default\/Eng: 5 on Nov 28, 2026 by local/, 'where it was transferred');
      t.match(text, /from Default: 5/);
      const expiring = lines.locator('tr', { hasText: 'SKU-SECURITY-ESSENTIALS' });
      t.match(await expiring.textContent(), /expiring.*48 days/s);
      t.ok(await expiring.locator('.badge.warn').count(), 'expiring is marked');
      const old = lines.locator('tr', { hasText: 'L-RT-LEGACY' });
      t.match(await old.textContent(), /expired.*ended 58 days ago/s);
      t.ok(await old.locator('.badge.bad').count(), 'expired is marked');
      t.ok(await page.getByTestId('history').locator('figure.history').count(), 'the usage over time is on the license page too');
      await b.shot('licenses-1366');
    });

    await t.test('the transfer dialog never offers a negative amount and says why nothing can move', async (t) => {
      await page.getByRole('button', { name: 'Transfer licenses…' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByLabel('From virtual account').selectOption({ label: 'Default' });
      await dlg.getByLabel('Entitlement').locator('option', { hasText: 'dna-advantage' }).waitFor({ state: 'attached' });
      const options = await dlg.getByLabel('Entitlement').locator('option').allTextContents();
      t.notOk(options.some((o) => /-\d/.test(o)), `no negative amount offered: ${options.join(' | ')}`);
      await dlg.getByLabel('Entitlement').selectOption({ label: options.find((o) => o.startsWith('dna-advantage'))! });
      t.match(await dlg.locator('#xfer-avail').textContent(), /^0 available to move\.$/);
      t.match(await dlg.getByTestId('transfer-why').textContent(), /Nothing of dna-advantage can move: 12 in use or reserved take more than all 10 purchased\./);
      t.ok(await dlg.getByRole('button', { name: 'Transfer', exact: true }).isDisabled(), 'the submit waits until something can move');
      await dlg.getByLabel('Entitlement').selectOption({ label: options.find((o) => o.startsWith('network-advantage'))! });
      t.equal(await dlg.getByTestId('transfer-why').textContent(), '');
      t.notOk(await dlg.getByRole('button', { name: 'Transfer', exact: true }).isDisabled());
      await dlg.getByRole('button', { name: 'Close' }).click();
    });

    await t.test('the devices list opens newest report first and shows each device’s usage', async (t) => {
      deviceQueries.length = 0;
      await goTo(page, 'devices');
      t.equal(deviceQueries[0]?.searchParams.get('sort'), '-lastReportAt', 'the dashboard asks for sort=-lastReportAt');
      t.equal(await page.locator('th[aria-sort="descending"]').textContent(), 'Last report ▼');
      const row = page.locator('tbody tr').first();
      t.match(await row.locator('td[data-label="Usage"]').textContent(), /dna-advantage × 1.*network-advantage × 2/s);
      const api = await backend.socket('GET', '/api/devices?limit=1');
      t.equal(api.body.items[0].udi.sn, [...devices].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1))[0]!.sn, 'the API’s default order stays by id');
      t.same(api.body.items[0].usage, { 'dna-advantage': 1, 'network-advantage': 2, 'routing-legacy': 1 });
    });

    const target = { get deviceId() { return devices.find((d) => d.sn === 'FOC700003')!.deviceId; } };
    await t.test('a device’s page: UDI, VA, how it registered, latest usage, reports waiting for the cloud, events', async (t) => {
      await page.getByLabel('Search').fill('FOC700003');
      await page.getByLabel('Search').press('Enter');
      await settled(page);
      await page.getByRole('link', { name: /Details of sw-FOC700003/ }).click();
      await page.locator('.page[data-page="device"]').waitFor();
      await settled(page);
      t.match(page.url(), new RegExp(`#/device\\?id=${target.deviceId}`));
      t.equal(await page.locator('h1').textContent(), 'Device sw-FOC700003');
      t.equal(await page.locator('nav a[aria-current="page"]').textContent(), 'Devices', 'the nav marks Devices');
      const text = (await page.locator('.page').textContent()) ?? '';
      t.match(text, /Product ID \(PID\)\s*C9300-24P/);
      t.match(text, /Serial number\s*FOC700003/);
      t.match(text, /Virtual account\s*Default/);
      t.match(await page.getByTestId('device-registration').textContent(), /with a registration token.*Token\s*tok_/s);
      t.match(text, /dna-advantage\s*1/);
      const reports = page.getByTestId('device-reports');
      t.equal(await reports.locator('tbody tr').count(), 1);
      t.match(await reports.textContent(), /waiting for the cloud/);
      t.match(await page.getByTestId('device-events').textContent(), /device\.registered/);
      t.match(text, /UTC/, 'times show their zone');
      await b.shot('device-1366');
    });

    await t.test('after the cloud answered, the report is acknowledged; the import counts as the last success', async (t) => {
      await syncOffline(backend, key, 2, lines);
      await page.reload();
      await page.locator('.page[data-page="device"]').waitFor();
      await settled(page);
      t.match(await page.getByTestId('device-reports').textContent(), /acknowledged.*with satellite report #1/s);
      const api = await backend.socket('GET', `/api/devices/${target.deviceId}/reports`);
      t.match(api.body.items[0], { acknowledged: { bundleSequence: 1 } });
      t.equal((await backend.socket('GET', '/api/devices/nope/reports')).status, 404);
      const events = await backend.socket('GET', `/api/events?device=${target.deviceId}`);
      t.ok(events.body.items.length > 0 && events.body.items.every((e: any) => e.actor === `device:${target.deviceId}` || e.details.deviceId === target.deviceId), 'events about that device only');

      await goTo(page, 'sync');
      t.match(await page.locator('.page').textContent(), /Last success\s*Nov 28, 2026.*UTC/s, 'an air-gapped import is a success');
      const history = page.getByTestId('sync-history');
      const rows = await history.locator('tbody tr').allTextContents();
      t.equal(rows.length, 4, 'registration request, registration response, report, cloud response');
      t.match(rows[0], /from the cloud.*file \(air-gapped\).*cloud response.*#2.*12 reports acknowledged.*done/s);
      t.match(rows[1], /to the cloud.*satellite report.*#1.*records.*done/s);
      t.match(rows[3], /to the cloud.*registration request/s);
    });

    await t.test('importing the satellite’s own export says what the file is, and the history keeps the refusal', async (t) => {
      const exp = await rawSocket(backend, 'POST', '/api/sync/export', '{}');
      const file = path.join(dir, 'own-report.zip');
      await writeFile(file, exp.body);
      await page.reload();
      await page.locator('.page[data-page="sync"]').waitFor();
      await settled(page);
      await page.getByLabel('Bundle from the cloud (.zip)').setInputFiles(file);
      await page.getByRole('button', { name: 'Import bundle' }).click();
      const said = page.getByTestId('import-result').locator('.notice.error');
      await said.waitFor();
      const text = (await said.textContent()) ?? '';
      t.match(text, /This is a satellite report made by this satellite: carry it to the cloud and import the cloud’s response\./);
      t.notMatch(text, /BUNDLE_KEY_UNKNOWN|BUNDLE_UNEXPECTED/, 'no code in the sentence');
      await page.getByTestId('sync-history').locator('tbody tr', { hasText: 'refused' }).waitFor();
      t.match(await page.getByTestId('sync-history').locator('tbody tr').first().textContent(), /refused.*BUNDLE_UNEXPECTED.*made by this satellite/s);
      await b.shot('sync-1366');
    });

    await t.test('a long key id in a refusal wraps instead of widening the page at 400 px', async (t) => {
      const stranger = await cloudKey();
      const forged = await registrationResponse(stranger, { satellite: 'sat_x', createdAt: backend.sat.clock().toISOString(), lines: [] });
      const file = path.join(dir, 'forged.zip');
      await writeFile(file, forged);
      await page.setViewportSize({ width: 400, height: 860 });
      await page.reload();
      await page.locator('.page[data-page="sync"]').waitFor();
      await settled(page);
      await page.getByLabel('Bundle from the cloud (.zip)').setInputFiles(file);
      await page.getByRole('button', { name: 'Import bundle' }).click();
      const said = page.getByTestId('import-result').locator('.notice.error');
      await said.waitFor();
      t.match(await said.textContent(), new RegExp(stranger.kid), 'the key id is named');
      t.same(await page.evaluate(LAYOUT_PROBLEMS), [], 'and nothing overflows');
      await b.shot('sync-refused-400');
      await page.setViewportSize({ width: 1366, height: 900 });
    });

    await t.test('a refused form names the field as it is labelled', async (t) => {
      await goTo(page, 'users');
      await page.getByRole('button', { name: /Add user/ }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByLabel('Username').fill('not a name!');
      await dlg.getByLabel('Initial password').fill('a long enough password 1');
      await dlg.getByRole('button', { name: /Add user|Create/ }).click();
      const alert = dlg.locator('.notice.error');
      await alert.waitFor();
      const text = (await alert.textContent()) ?? '';
      t.match(text, /“Username”/, `the label, not the API's name: ${text}`);
      t.notMatch(text, /\(INVALID_REQUEST\)|roles\.0|Field "/);
      await dlg.getByRole('button', { name: 'Close' }).click();
    });

    await t.test('alerts say their type in words and date from what the satellite knew', async (t) => {
      await goTo(page, 'overview');
      const alerts = page.getByTestId('alerts');
      const text = (await alerts.textContent()) ?? '';
      t.match(text, /Licenses expiring/);
      t.match(text, /In use without an active license/);
      t.notMatch(text, /\bexpiring\b(?! )|unknown-virtual-account/, 'no raw type');
      const since = await alerts.locator('td[data-label="Since"]').allTextContents();
      t.ok(since.length > 0 && since.every((s) => !/days? ago|month|year/.test(s)), `no alert older than the satellite's knowledge: ${since.join(', ')}`);
    });

    await t.test('every page at 1366 px and 400 px: nothing cut off, no sideways scrolling, tables stacked when narrow', async (t) => {
      const pages = PAGES.filter((p) => !p.under).map((p) => p.path);
      for (const width of [1366, 400]) {
        await page.setViewportSize({ width, height: width === 400 ? 860 : 900 });
        for (const p of [...pages, 'device']) {
          if (p === 'device') {
            await page.goto(`${backend.url}/#/device?id=${target.deviceId}`);
            await page.locator('.page[data-page="device"]').waitFor();
            await settled(page);
          } else {
            await goTo(page, p);
          }
          t.same(await page.evaluate(LAYOUT_PROBLEMS), [], `${p} at ${width} px`);
          if (width === 400 && (await page.locator('.table-wrap tbody tr').count()) > 0) {
            t.equal(await page.locator('.table-wrap tbody tr').first().evaluate((el) => getComputedStyle(el).display), 'block', `${p}: rows are stacked cards`);
          }
          await b.shot(`${p}-${width}`);
        }
        if (width === 1366) {
          await goTo(page, 'devices');
          const actions = page.locator('tbody tr').first().locator('td[data-label="Actions"] button');
          t.ok((await actions.count()) >= 2, 'the row has its actions');
          for (const btn of await actions.all()) {
            const box = await btn.boundingBox();
            t.ok(box && box.x + box.width <= 1366, `${await btn.textContent()} is on screen`);
          }
        }
      }
      await goTo(page, 'overview');
      const chart = page.locator('svg.chart');
      t.match(await chart.getAttribute('class'), /compact/, 'the chart takes its narrow layout');
      const box = await chart.boundingBox();
      t.ok(box && box.width >= 300 && box.width <= 400, `the chart fits the screen (${box?.width} px)`);
      // Its text drawn at no less than 11 px: the picture is not a shrunken wide one.
      const scale = await chart.evaluate((el) => el.getBoundingClientRect().width / (el as SVGSVGElement).viewBox.baseVal.width);
      t.ok(scale * 13 >= 11, `labels at ${(scale * 13).toFixed(1)} px`);
      await page.setViewportSize({ width: 1366, height: 900 });
    });

    t.test('no console error, no outside request', async (t) => b.assertClean(t, [/^401 GET \/api\/me$/, /^422 POST \/api\/sync\/import$/, /^400 POST \/api\/users$/]));
  }
}
