// The OIDC adapter against a real OpenID provider (oidc-provider): the code flow with PKCE, state
// and nonce in a single-use signed cookie, and every ID-token check the SPEC names, each refused.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createSso, SsoRefused, type OidcOptions } from '../../../daemon/directory/oidc.ts';
import { freePort } from '../../helpers/ldap.ts';
import { loginAtProvider, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, resign, startProvider } from '../../helpers/oidc.ts';
import { tempDir } from '../../helpers/tmp.ts';

const REDIRECT = 'http://127.0.0.1:9/api/sso/callback';

t.test('SSO against oidc-provider', async (t) => {
  const op = await startProvider(t, REDIRECT);
  const secretFile = path.join(tempDir(t), 'secret');
  writeFileSync(secretFile, OIDC_CLIENT_SECRET + '\n');
  const opts: OidcOptions = {
    issuer: op.issuer,
    clientId: OIDC_CLIENT_ID,
    clientSecretFile: secretFile,
    scopes: ['openid', 'profile', 'email'],
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    timeoutSeconds: 5,
  };
  let now = Date.now();
  const sso = createSso(opts, { redirectUri: REDIRECT, now: () => now });

  const signIn = async (login: string) => {
    const { url, cookie } = await sso.begin();
    const back = await loginAtProvider(url, login, REDIRECT);
    return { back, cookie };
  };

  await t.test('a sign-in answers (iss, sub), the username claim and the groups', async (t) => {
    const { url } = await sso.begin();
    const u = new URL(url);
    t.equal(u.searchParams.get('code_challenge_method'), 'S256');
    t.ok(u.searchParams.get('state') && u.searchParams.get('nonce') && u.searchParams.get('code_challenge'));
    const { back, cookie } = await signIn('sub-ann');
    t.same(await sso.finish(back, cookie), { iss: op.issuer, sub: 'sub-ann', username: 'ann', groups: ['outpost-admins'] });
  });

  await t.test('the cookie is single use: the same callback again is refused, and the provider was not asked twice', async (t) => {
    const { back, cookie } = await signIn('sub-ben');
    await sso.finish(back, cookie);
    const asked = op.tokenAnswers.length;
    await t.rejects(sso.finish(back, cookie), SsoRefused);
    t.equal(op.tokenAnswers.length, asked);
  });

  await t.test('a replayed code with a fresh cookie is refused by the provider', async (t) => {
    const first = await signIn('sub-ben');
    await sso.finish(first.back, first.cookie);
    // An attacker's own fresh attempt, fed the victim's used code and state.
    const { cookie } = await sso.begin();
    await t.rejects(sso.finish(first.back, cookie), SsoRefused, 'state does not match');
  });

  await t.test('a wrong state, a missing or forged cookie, or an expired attempt are refused', async (t) => {
    const { back, cookie } = await signIn('sub-ann');
    const wrongState = new URL(back);
    wrongState.searchParams.set('state', 'not-the-state');
    await t.rejects(sso.finish(wrongState, cookie), SsoRefused);
    const again = await signIn('sub-ann');
    await t.rejects(sso.finish(again.back, undefined), SsoRefused);
    await t.rejects(sso.finish(again.back, again.cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))), SsoRefused);
    const slow = await signIn('sub-ann');
    now += 11 * 60_000;
    await t.rejects(sso.finish(slow.back, slow.cookie), SsoRefused);
    now = Date.now();
  });

  await t.test('control: the same ID token re-signed by the real key is taken (so each refusal below is its one change)', async (t) => {
    const { back, cookie } = await signIn('sub-ann');
    op.tamper = resign((p) => p);
    try {
      t.match(await sso.finish(back, cookie), { sub: 'sub-ann' });
    } finally {
      op.tamper = null;
    }
  });

  const tampered: Array<[string, Parameters<typeof resign>]> = [
    ['a wrong nonce', [(p) => ({ ...p, nonce: 'other-nonce' })]],
    ['signed by another key', [(p) => p, { key: 'other' }]],
    ['alg none', [(p) => p, { alg: 'none' }]],
    ['expired', [(p) => ({ ...p, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })]],
    ['for another audience', [(p) => ({ ...p, aud: 'someone-else' })]],
    ['from another issuer', [(p) => ({ ...p, iss: 'http://127.0.0.1:1' })]],
  ];
  for (const [name, args] of tampered) {
    await t.test(`an ID token ${name} is refused`, async (t) => {
      const { back, cookie } = await signIn('sub-ann');
      op.tamper = resign(...args);
      try {
        const err = await sso.finish(back, cookie).then(() => null, (e: unknown) => e);
        t.ok(err instanceof SsoRefused, `refused: ${(err as Error)?.message}`);
      } finally {
        op.tamper = null;
      }
    });
  }

  await t.test('an unreachable provider is 503 DIRECTORY_UNAVAILABLE', async (t) => {
    const down = createSso({ ...opts, issuer: `http://127.0.0.1:${await freePort()}` }, { redirectUri: REDIRECT, now: () => now });
    await t.rejects(down.begin(), { code: 'DIRECTORY_UNAVAILABLE', status: 503 });
  });
});
