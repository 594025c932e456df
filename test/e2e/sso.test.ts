// Single sign-on through the real login page in Chromium: "Sign in with SSO" → the real OpenID
// provider's login form (oidc-provider) → back to the dashboard, signed in with the roles the
// provider's groups map to; and the user's sessions, ended by "Sign out everywhere".
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startBackend } from '../helpers/e2e/backend.ts';
import { chromiumAvailable, openBrowser } from '../helpers/e2e/browser.ts';
import { freePort } from '../helpers/ldap.ts';
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startProvider } from '../helpers/oidc.ts';
import { tempDir } from '../helpers/tmp.ts';

if (chromiumAvailable(t)) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const op = await startProvider(t, `${origin}/api/sso/callback`);
  const secretFile = path.join(tempDir(t), 'oidc-secret');
  writeFileSync(secretFile, OIDC_CLIENT_SECRET);
  const backend = await startBackend(t, {
    config: {
      'admin.listen': `127.0.0.1:${port}`,
      'admin.publicOrigin': origin,
      'auth.oidc': { issuer: op.issuer, clientId: OIDC_CLIENT_ID, clientSecretFile: secretFile, roleMap: [{ group: 'outpost-lab', role: 'va-user', virtualAccount: 'Default' }] },
    },
  });
  if (backend) {
    const b = await openBrowser(t, backend.url, { now: backend.sat.clock() });
    const { page } = b;

    await t.test('Sign in with SSO leads through the provider back to the dashboard', async (t) => {
      await page.goto(`${backend.url}/`);
      const sso = page.getByRole('link', { name: 'Sign in with SSO' });
      await sso.waitFor();
      await b.shot('login-with-sso');
      await sso.click();
      await page.waitForURL(new RegExp(`^${op.issuer.replace(/[.]/g, '\\.')}/interaction/`));
      await page.locator('input[name="login"]').fill('sub-ben');
      await page.locator('input[name="password"]').fill('any password');
      await page.locator('button[type="submit"]').click();
      await page.waitForURL(new RegExp(`^${origin}/`));
      await page.locator('nav[aria-label="Main"]').waitFor();
      t.match(await page.locator('header .who').textContent(), /ben/);
      t.match(await page.locator('header .who').textContent(), /va-user/);
      t.equal(await page.getByRole('button', { name: 'Change password' }).count(), 0, 'no password to change for an SSO user');
      await b.shot('signed-in-with-sso');
    });

    await t.test('the API tokens page tells an SSO user it cannot make tokens', async (t) => {
      await page.goto(`${backend.url}/#/api-tokens`);
      await page.getByText('cannot make API tokens').waitFor();
      t.pass();
    });

    await t.test('the sessions dialog lists this session, and Sign out everywhere ends it', async (t) => {
      await page.getByTestId('my-sessions').click();
      await page.getByRole('dialog').getByText('this one').waitFor();
      await page.getByTestId('sign-out-everywhere').click();
      await page.getByRole('dialog').last().getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.getByRole('link', { name: 'Sign in with SSO' }).waitFor();
      const me = await page.evaluate(async () => (await fetch('/api/me')).status);
      t.equal(me, 401);
    });
  }
}
