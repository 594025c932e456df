// Identity through the admin API of a real satellite: API tokens (bearer, bounded by their creator
// now and later, refused where SPEC §11 says), directory login against a real slapd, single sign-on
// against a real oidc-provider, and sessions that survive a restart. Every failed authentication
// writes one event; every refusal changes nothing.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { AdminClient, adminClient, createUser, createVa, PASSWORD, userClient } from '../../helpers/admin.ts';
import { control } from '../../helpers/control.ts';
import { freePort, group, haveSlapd, LDAP_USERS, PEOPLE, SERVICE_DN, startSlapd } from '../../helpers/ldap.ts';
import { loginAtProvider, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startProvider } from '../../helpers/oidc.ts';
import { http, startSatellite, testClock, type TestSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';

const bearer = (sat: TestSatellite, token: string) => (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
  http(method, sat.admin + url, { body, headers: { authorization: `Bearer ${token}`, ...headers } });

async function events(sat: TestSatellite, type: string): Promise<any[]> {
  return (await control(sat.socketPath, 'GET', `/api/events?type=${type}`)).body.items;
}

t.test('API tokens over HTTP', async (t) => {
  const sat = await startSatellite(t);
  const admin = await adminClient(sat);
  const lab = await createVa(sat, 'Lab');

  const made = await admin.call('POST', '/api/api-tokens', { name: 'ansible', roles: [{ role: 'sa-user' }], expiresInDays: 30 });
  t.equal(made.status, 201);
  t.match(made.body, { id: /^atk_/, name: 'ansible', token: /^oat_/, roles: [{ role: 'sa-user', virtualAccount: null }], createdBy: 'admin', lastUsedAt: null });
  const as = bearer(sat, made.body.token);

  await t.test('a token reads and writes what sa-user may, cookies ignored, no Origin needed, audited as api-token:<id>', async (t) => {
    t.equal((await as('GET', '/api/licenses?va=all')).status, 200);
    t.equal((await as('GET', '/api/reports/licenses?format=csv')).status, 200);
    const tok = await as('POST', '/api/tokens', { virtualAccountId: lab.id, description: 'from a script' }, { cookie: 'outpost_session=forged', origin: 'https://evil.example' });
    t.equal(tok.status, 201, 'no ORIGIN_MISMATCH for a bearer request');
    const created = (await events(sat, 'token.created'))[0];
    t.equal(created.actor, `api-token:${made.body.id}`);
    t.equal((await as('GET', '/api/api-tokens')).status, 403);
    t.not((await admin.call('GET', '/api/api-tokens')).body.items[0].lastUsedAt, null, 'last use shown');
  });

  await t.test('a token cannot make tokens, manage users or change passwords; nothing changes', async (t) => {
    const me = (await admin.call('GET', '/api/me')).body;
    const before = (await control(sat.socketPath, 'GET', '/api/users')).body.items.length;
    t.equal((await as('POST', '/api/api-tokens', { name: 'x', roles: [{ role: 'viewer' }], expiresInDays: 1 })).status, 403);
    t.equal((await as('POST', '/api/users', { username: 'mallory', password: 'long enough password', roles: [{ role: 'viewer' }] })).status, 403);
    t.equal((await as('POST', `/api/users/${me.id}/password`, { newPassword: 'another long password' })).status, 403);
    t.equal((await as('PATCH', `/api/users/${me.id}`, { username: 'renamed' })).status, 403);
    t.equal((await as('DELETE', `/api/users/${me.id}/sessions`)).status, 403);
    t.equal((await control(sat.socketPath, 'GET', '/api/users')).body.items.length, before);
    t.equal((await admin.login('admin', PASSWORD)).status, 200, 'the password is unchanged');
    t.equal((await admin.call('GET', '/api/api-tokens')).body.items.length, 1);
  });

  await t.test('bad, revoked and expired tokens are 401 with one event each', async (t) => {
    const n = (await events(sat, 'api_token.auth_failed')).length;
    t.match(await bearer(sat, 'oat_' + 'x'.repeat(43))('GET', '/api/licenses'), { status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    t.equal((await http('GET', sat.admin + '/api/licenses', { headers: { authorization: 'Basic YWRtaW46eA==' } })).status, 401);
    const short = await admin.call('POST', '/api/api-tokens', { name: 'short', roles: [{ role: 'viewer' }], expiresInDays: 1 });
    const revoked = await admin.call('POST', '/api/api-tokens', { name: 'gone', roles: [{ role: 'viewer' }], expiresInDays: 5 });
    t.equal((await admin.call('DELETE', `/api/api-tokens/${revoked.body.id}`)).status, 204);
    t.equal((await bearer(sat, revoked.body.token)('GET', '/api/licenses')).status, 401);
    sat.clock.advanceDays(1);
    t.equal((await bearer(sat, short.body.token)('GET', '/api/licenses')).status, 401);
    sat.clock.advanceDays(-1);
    const failed = await events(sat, 'api_token.auth_failed');
    t.equal(failed.length - n, 4);
    t.same(failed.slice(0, 4).map((e: any) => e.actor).reverse(), ['api-token:unknown', 'api-token:unknown', 'api-token:unknown', `api-token:${short.body.id}`]);
  });

  await t.test('a token never outranks its creator, now or later', async (t) => {
    const { client: labAdmin, user } = await userClient(sat, 'lab-admin', [{ role: 'va-admin', virtualAccountId: lab.id }]);
    t.equal((await labAdmin.call('POST', '/api/api-tokens', { name: 'x', roles: [{ role: 'sa-user' }], expiresInDays: 1 })).status, 403, 'asking for more than one holds');
    const mine = await labAdmin.call('POST', '/api/api-tokens', { name: 'lab', roles: [{ role: 'va-user', virtualAccountId: lab.id }], expiresInDays: 5 });
    t.equal(mine.status, 201);
    const as2 = bearer(sat, mine.body.token);
    t.equal((await as2('POST', '/api/tokens', { virtualAccountId: lab.id })).status, 201);
    t.equal((await as2('GET', '/api/virtual-accounts')).body.items.length, 1, 'sees Lab only');
    // The creator is reduced to viewer of Lab: the token loses license.write at once.
    t.equal((await control(sat.socketPath, 'PATCH', `/api/users/${user.id}`, { roles: [{ role: 'viewer', virtualAccountId: lab.id }] })).status, 200);
    const tokensBefore = (await control(sat.socketPath, 'GET', '/api/tokens')).body.items.length;
    t.equal((await as2('POST', '/api/tokens', { virtualAccountId: lab.id })).status, 403);
    t.equal((await control(sat.socketPath, 'GET', '/api/tokens')).body.items.length, tokensBefore);
    t.equal((await as2('GET', '/api/tokens')).status, 200, 'what both still allow, it may');
    t.equal((await labAdmin.call('GET', '/api/me')).status, 401, 'the role change ended the creator\'s sessions');
    t.equal((await control(sat.socketPath, 'DELETE', `/api/users/${user.id}`)).status, 204);
    t.equal((await as2('GET', '/api/tokens')).status, 401, 'a deleted creator makes the token 401');
  });

  await t.test('the CLI path: the control socket makes a token for a named user', async (t) => {
    const res = await control(sat.socketPath, 'POST', '/api/api-tokens?user=admin', { name: 'cli', roles: [{ role: 'viewer' }], expiresInDays: 7 });
    t.match(res, { status: 201, body: { createdBy: 'admin', token: /^oat_/ } });
    t.equal((await control(sat.socketPath, 'POST', '/api/api-tokens', { name: 'cli', roles: [{ role: 'viewer' }], expiresInDays: 7 })).status, 400);
  });
});

t.test('sessions survive a restart, and sign out everywhere ends them', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const clock = testClock();
  const first = await startSatellite(t, { dataDir, clock });
  const a = await adminClient(first);
  const b = new AdminClient(first.admin);
  t.equal((await b.login('admin', PASSWORD)).status, 200);
  await first.close();
  const sat = await startSatellite(t, { dataDir, clock });
  const moved = (c: AdminClient) => Object.assign(new AdminClient(sat.admin), { cookie: c.cookie });
  const a2 = moved(a);
  const b2 = moved(b);
  const me = await a2.call('GET', '/api/me');
  t.equal(me.status, 200, 'a restart logs no one out');
  const list = await a2.call('GET', `/api/users/${me.body.id}/sessions`);
  t.equal(list.body.items.length, 2);
  t.equal(list.body.items.filter((s: any) => s.current).length, 1);
  t.equal((await a2.call('DELETE', `/api/users/${me.body.id}/sessions`)).status, 204);
  t.equal((await a2.call('GET', '/api/me')).status, 401);
  t.equal((await b2.call('GET', '/api/me')).status, 401);
  t.equal((await events(sat, 'user.sessions_ended')).length, 1);
});

t.test('directory login against slapd', async (t) => {
  if (!haveSlapd(t)) return;
  const slapd = await startSlapd(t);
  const sat = await startSatellite(t, {
    config: {
      'auth.ldap': {
        url: slapd.url,
        startTls: true,
        caFile: slapd.caFile,
        bindDn: SERVICE_DN,
        bindPasswordFile: slapd.bindPasswordFile,
        userBase: PEOPLE,
        roleMap: [
          { group: group('licensing'), role: 'sa-user' },
          { group: group('lab'), role: 'va-admin', virtualAccount: 'Default' },
        ],
        timeoutSeconds: 1,
      },
    },
  });
  const admin = await adminClient(sat);

  await t.test('a directory user logs in, is created with its groups\' roles, and cannot make tokens or set its password', async (t) => {
    const c = new AdminClient(sat.admin);
    const res = await c.login('alice', LDAP_USERS.alice!.password);
    t.match(res, { status: 200, body: { username: 'alice', roles: [{ role: 'sa-user', virtualAccount: null }], mustChangePassword: false } });
    const users = (await admin.call('GET', '/api/users')).body.items;
    const alice = users.find((u: any) => u.username === 'alice');
    t.equal(alice.source, 'ldap');
    t.equal((await c.call('POST', '/api/api-tokens', { name: 'x', roles: [{ role: 'viewer' }], expiresInDays: 1 })).status, 403);
    t.equal((await c.call('POST', `/api/users/${alice.id}/password`, { currentPassword: LDAP_USERS.alice!.password, newPassword: 'a new long password' })).status, 403);
    t.equal((await admin.call('PATCH', `/api/users/${alice.id}`, { roles: [{ role: 'sa-admin' }] })).status, 403, 'its roles come from its groups');
    t.equal((await admin.call('POST', `/api/users/${alice.id}/password`, { newPassword: 'a new long password' })).status, 403);
    const carol = await new AdminClient(sat.admin).login('carol', LDAP_USERS.carol!.password);
    t.match(carol.body.roles, [{ role: 'va-admin', virtualAccount: { path: 'Default' } }]);
  });

  await t.test('refusals: wrong password, injection, no mapped group, a local user\'s name — each one event', async (t) => {
    const c = new AdminClient(sat.admin);
    const n = (await events(sat, 'user.login_failed')).length;
    t.equal((await c.login('alice', 'wrong password here')).status, 401);
    t.equal((await c.login('*', LDAP_USERS.alice!.password)).status, 401);
    t.equal((await c.login('al*', LDAP_USERS.alice!.password)).status, 401);
    t.equal((await c.login('alice)(uid=*', LDAP_USERS.alice!.password)).status, 401);
    t.equal((await c.login('alice\u0000', LDAP_USERS.alice!.password)).status, 400, 'a NUL is refused as input before any directory request');
    t.equal((await c.login('alice\\00', LDAP_USERS.alice!.password)).status, 401, 'an escaped NUL matches itself only');
    t.match(await c.login('nogroup', LDAP_USERS.nogroup!.password), { status: 403, body: { error: { code: 'NO_ROLE' } } });
    t.equal((await c.login('admin', LDAP_USERS.admin!.password)).status, 401, 'a local user is never logged in by the directory');
    const failed = await events(sat, 'user.login_failed');
    t.equal(failed.length - n, 7);
    t.equal(failed[1].details.reason, 'no-role');
    t.notOk((await admin.call('GET', '/api/users')).body.items.some((u: any) => u.username === 'nogroup'), 'no user was made');
  });

  await t.test('a directory that does not answer is 503, and local users still log in', async (t) => {
    slapd.pause();
    try {
      t.match(await new AdminClient(sat.admin).login('bob', LDAP_USERS.bob!.password), { status: 503, body: { error: { code: 'DIRECTORY_UNAVAILABLE' } } });
      t.equal((await new AdminClient(sat.admin).login('admin', PASSWORD)).status, 200);
    } finally {
      slapd.resume();
    }
  });
});

t.test('single sign-on against oidc-provider', async (t) => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const op = await startProvider(t, `${origin}/api/sso/callback`);
  const secretFile = path.join(tempDir(t), 'oidc-secret');
  writeFileSync(secretFile, OIDC_CLIENT_SECRET);
  const sat = await startSatellite(t, {
    config: {
      'admin.listen': `127.0.0.1:${port}`,
      'admin.publicOrigin': origin,
      'auth.oidc': {
        issuer: op.issuer,
        clientId: OIDC_CLIENT_ID,
        clientSecretFile: secretFile,
        roleMap: [
          { group: 'outpost-admins', role: 'sa-admin' },
          { group: 'outpost-lab', role: 'va-user', virtualAccount: 'Default' },
        ],
      },
    },
  });
  await createUser(sat, 'someone', [{ role: 'viewer' }]);

  /** The browser's part: /api/sso/login, the provider, back to the callback. */
  const ssoLogin = async (login: string, edit: (u: URL) => URL = (u) => u) => {
    const start = await http('GET', `${sat.admin}/api/sso/login`);
    t.equal(start.status, 302);
    const setCookie = String(start.headers['set-cookie']);
    t.match(setCookie, /outpost_sso=.*HttpOnly/i);
    t.match(setCookie, /samesite=lax/i);
    const cookie = /outpost_sso=([^;]*)/.exec(setCookie)![1]!;
    const back = edit(await loginAtProvider(String(start.headers.location), login, `${origin}/api/sso/callback`));
    return http('GET', back.href, { headers: { cookie: `outpost_sso=${cookie}` } });
  };

  t.same((await http('GET', `${sat.admin}/api/sso`)).body, { enabled: true });

  await t.test('a provider user signs in, gets a session and its groups\' roles', async (t) => {
    const res = await ssoLogin('sub-ann');
    t.equal(res.status, 302);
    t.equal(res.headers.location, '/');
    const session = /outpost_session=([^;]+)/.exec(String(res.headers['set-cookie']))![1];
    const me = await http('GET', `${sat.admin}/api/me`, { headers: { cookie: `outpost_session=${session}` } });
    t.match(me.body, { username: 'ann', roles: [{ role: 'sa-admin', virtualAccount: null }] });
    const again = await ssoLogin('sub-ann');
    t.equal(again.status, 302, 'the second sign-in finds the same user');
    const users = (await control(sat.socketPath, 'GET', '/api/users')).body.items.filter((u: any) => u.source === 'oidc');
    t.same(users.map((u: any) => u.username), ['ann']);
  });

  await t.test('refusals: no mapped group, a name held by a local user, a wrong state — each one event, no user made', async (t) => {
    const n = (await events(sat, 'user.login_failed')).length;
    t.match(await ssoLogin('sub-none'), { status: 403, body: { error: { code: 'NO_ROLE' } } });
    t.match(await ssoLogin('sub-imposter'), { status: 409, body: { error: { code: 'NAME_TAKEN' } } });
    t.match(await ssoLogin('sub-ben', (u) => (u.searchParams.set('state', 'forged'), u)), { status: 401 });
    t.match(await http('GET', `${sat.admin}/api/sso/callback?code=x&state=y`), { status: 401 }, 'no sign-in cookie');
    t.equal((await events(sat, 'user.login_failed')).length - n, 4);
    const names = (await control(sat.socketPath, 'GET', '/api/users')).body.items.map((u: any) => u.username);
    t.notOk(names.includes('nobody') || names.includes('ben'));
  });

  await t.test('SSO users count toward the limited-use cap of 3 users', async (t) => {
    t.equal((await control(sat.socketPath, 'PATCH', '/api/account', { type: 'limited-use' })).status, 200);
    t.equal((await control(sat.socketPath, 'GET', '/api/users')).body.items.length, 3, 'admin, someone and ann');
    t.match(await ssoLogin('sub-ben'), { status: 409, body: { error: { code: 'LIMIT_REACHED' } } });
    t.equal((await control(sat.socketPath, 'GET', '/api/users')).body.items.length, 3, 'no user made');
    t.equal((await ssoLogin('sub-ann')).status, 302, 'an existing SSO user still signs in');
  });
});

t.test('single sign-on off: its entry points say so and start nothing', async (t) => {
  const sat = await startSatellite(t);
  t.same((await http('GET', `${sat.admin}/api/sso`)).body, { enabled: false });
  t.match(await http('GET', `${sat.admin}/api/sso/login`), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.match(await http('GET', `${sat.admin}/api/sso/callback?code=x&state=y`), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.equal((await events(sat, 'user.login_failed')).length, 0, 'no failed sign-in recorded');
});

t.test('a session that runs out is ended with one event, by the flush and at start', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const clock = testClock();
  const first = await startSatellite(t, { dataDir, clock });
  const a = await adminClient(first);
  const { client: dana, user } = await userClient(first, 'dana', [{ role: 'viewer' }]);
  t.equal((await dana.call('GET', '/api/me')).status, 200);
  // 31 idle minutes (the default is 30): the flush removes both sessions, one event per user.
  clock.set(new Date(clock().getTime() + 31 * 60_000));
  await first.services.sessions.flush();
  const expired = await events(first, 'user.session_expired');
  t.same(
    expired.map((e: any) => [e.actor, e.details.username, e.details.sessions]).sort(),
    [['system', 'admin', 1], ['system', 'dana', 1]],
  );
  t.equal(expired.find((e: any) => e.details.username === 'dana').details.userId, user.id);
  t.equal((await dana.call('GET', '/api/me')).status, 401);
  t.equal((await a.call('GET', '/api/me')).status, 401);

  // A session that ran out while the satellite was stopped ends at the next start.
  const b = new AdminClient(first.admin);
  t.equal((await b.login('dana', PASSWORD)).status, 200);
  await first.close();
  clock.set(new Date(clock().getTime() + 13 * 3_600_000));
  const sat = await startSatellite(t, { dataDir, clock });
  const after = await events(sat, 'user.session_expired');
  t.equal(after.length, 3);
  t.match(after[0], { actor: 'system', details: { username: 'dana', sessions: 1 } });
});
