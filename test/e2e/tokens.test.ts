// The token page: create a token and see its secret once (with a working copy button), find it
// in the list, watch its uses count, revoke it — and a device proves each step on the device API.
import t from 'tap';
import { registerDevice } from '../helpers/devices.ts';
import { ADMIN_PASSWORD, notYetMerged, OVERVIEW_READS, setOwnPassword, startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { goTo, loginToOverview, settled } from '../helpers/e2e/ui.ts';

if (chromiumAvailable(t)) {
  const backend = await startBackend(t);
  if (backend) {
    await setOwnPassword(backend, 'admin', backend.initialPassword, ADMIN_PASSWORD);
    const allowed = [/^401 GET \/api\/me$/, /^400 POST \/api\/tokens$/, ...(await notYetMerged(backend, [...OVERVIEW_READS, 'GET /api/virtual-accounts']))];
    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;
    await loginToOverview(page, backend.url, 'admin', ADMIN_PASSWORD);
    let secret = '';
    // A list of VAs once /api/virtual-accounts answers; a typed path before.
    const chooseDefault = async () => {
      const va = page.getByLabel('Virtual account', { exact: true });
      if ((await va.evaluate((el) => el.tagName)) === 'SELECT') await va.selectOption({ label: 'Default' });
      else await va.fill('Default');
    };

    await t.test('the token page starts empty, with a labelled create form', async (t) => {
      await goTo(page, 'tokens');
      t.match(await page.locator('.page').textContent(), /No tokens yet/);
      for (const label of ['Virtual account', 'Description', 'Valid for (days)', 'Maximum uses']) {
        t.equal(await page.getByLabel(label, { exact: true }).count(), 1, `field "${label}" has its label`);
      }
      t.equal(await page.getByLabel('Valid for (days)').inputValue(), '30', 'valid 30 days by default');
    });

    await t.test('creating a token shows its secret once, with a copy button that works', async (t) => {
      await chooseDefault();
      await page.getByLabel('Description').fill('lab switches');
      await page.getByLabel('Valid for (days)').fill('10');
      await page.getByLabel('Maximum uses').fill('2');
      await page.getByRole('button', { name: 'Create token' }).click();
      const dialog = page.getByRole('dialog', { name: 'Your new registration token' });
      await dialog.waitFor();
      t.match(await dialog.textContent(), /shown only this once/);
      secret = await dialog.getByLabel('Token secret').inputValue();
      t.match(secret, /^opt_[A-Za-z0-9_-]{43}$/, 'the secret is in the dialog');
      await b.shot('token-created');
      await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
      await dialog.getByRole('button', { name: 'Copied', exact: true }).waitFor();
      t.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, 'the copy button put the secret on the clipboard');
      await dialog.getByRole('button', { name: 'I have copied it' }).click();
      await dialog.waitFor({ state: 'detached' });
      t.notOk((await page.content()).includes(secret), 'the secret left the page with the dialog');
      t.equal(await page.getByLabel('Valid for (days)').inputValue(), '30', 'the form is back to its defaults');
    });

    await t.test('the list shows the token, and never its secret again', async (t) => {
      await settled(page);
      const row = page.locator('tbody tr', { hasText: 'lab switches' });
      t.equal(await row.count(), 1);
      t.match(await row.textContent(), /Default/);
      t.match(await row.textContent(), /0 of 2/);
      t.match(await row.textContent(), /active/);
      await page.reload();
      await page.locator('.page[data-page="tokens"]').waitFor();
      await settled(page);
      t.notOk((await page.content()).includes(secret), 'a reload does not bring the secret back');
      const listed = await backend.socket('GET', '/api/tokens');
      t.notOk(JSON.stringify(listed.body).includes(secret), 'the API list carries no secret');
      await b.shot('tokens');
    });

    await t.test('the secret registers a device, and the uses count follows', async (t) => {
      const reg = await registerDevice(backend.sat.device, secret, 'FOC0000TOK1');
      t.equal(reg.status, 201, 'the secret shown once is a working token');
      await page.reload();
      await page.locator('.page[data-page="tokens"]').waitFor();
      await settled(page);
      t.match(await page.locator('tbody tr', { hasText: 'lab switches' }).textContent(), /1 of 2/);
    });

    await t.test('revoking asks first; Escape cancels; confirming revokes', async (t) => {
      const row = page.locator('tbody tr', { hasText: 'lab switches' });
      await row.getByRole('button', { name: /Revoke/ }).click();
      const confirm = page.getByRole('dialog', { name: 'Revoke this token?' });
      await confirm.waitFor();
      t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'the focus starts on Cancel');
      await page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'detached' });
      t.match(await row.textContent(), /active/, 'Escape changed nothing');

      await row.getByRole('button', { name: /Revoke/ }).click();
      await confirm.getByRole('button', { name: 'Revoke' }).click();
      await confirm.waitFor({ state: 'detached' });
      await settled(page);
      await row.filter({ hasText: 'revoked' }).waitFor({ timeout: 5000 });
      t.match(await page.locator('tbody tr', { hasText: 'lab switches' }).textContent(), /revoked/);
      t.equal(await page.locator('tbody tr', { hasText: 'lab switches' }).getByRole('button', { name: /Revoke/ }).count(), 0, 'no revoke button on a revoked token');
      const refused = await registerDevice(backend.sat.device, secret, 'FOC0000TOK2');
      t.equal(refused.status, 409);
      t.equal((refused.body as unknown as { error: { code: string } }).error.code, 'TOKEN_REVOKED');
    });

    await t.test('a refused create shows the reason in plain words', async (t) => {
      await chooseDefault();
      await page.getByLabel('Valid for (days)').fill('400');
      // The browser's own check stops 400 days first; lift it to see the API's answer.
      await page.getByLabel('Valid for (days)').evaluate((el) => el.removeAttribute('max'));
      await page.getByRole('button', { name: 'Create token' }).click();
      const alert = page.locator('form .notice.error');
      await alert.waitFor();
      t.match(await alert.textContent(), /Some of what was entered is not valid\..*validDays.*\(INVALID_REQUEST\)/s);
    });

    await t.test('"Connecting devices" names the device listener, and its example registers a device', async (t) => {
      const box = page.getByTestId('connect-register');
      await box.waitFor();
      t.equal(await page.getByTestId('device-url').textContent(), backend.sat.device, 'the device listener this satellite listens on');
      t.match(await page.locator('.page').textContent(), /serves plain HTTP: a token and each device credential travel in the clear/);
      // The copyable request, run as written with a fresh token and serial put in.
      const example = await box.inputValue();
      const url = /-X POST (\S+) /.exec(example)![1]!;
      const body = JSON.parse(/-d '(.+)'/.exec(example)![1]!);
      const { createToken } = await import('../helpers/devices.ts');
      const { token } = await createToken(backend.sat.socketPath, { virtualAccountId: 'Default' });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, token, udi: { ...body.udi, sn: 'FOC-EXAMPLE-1' } }) });
      t.equal(res.status, 201, 'the example request registers a device');
    });

    t.test('no console error, no outside request', async (t) => b.assertClean(t, allowed));
  }
}
