// Sessions on the admin listener, through real HTTP on loopback: the first login, cookies,
// fixation, expiry, forged cookies, the Origin check, throttling and password changes.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { request, Agent } from 'undici';
import { startSatellite } from '../helpers/satellite.ts';
import { tempDir } from '../helpers/tmp.ts';
import { control } from '../helpers/control.ts';
import { AdminClient, PASSWORD, adminClient, createUser, createVa, initialPassword, storeDump, userClient } from '../helpers/admin.ts';

const cookieOf = (res: { headers: Record<string, unknown> }): string => {
  const set = res.headers['set-cookie'];
  return String(Array.isArray(set) ? set[0] : set);
};

t.test('first login: the initial admin must change the password before anything else', async (t) => {
  const sat = await startSatellite(t);
  const c = new AdminClient(sat.admin);
  t.match(await c.call('GET', '/api/users'), { status: 401, body: { error: { code: 'UNAUTHENTICATED' } } }, 'no session: 401');
  t.equal((await c.call('GET', '/api/openapi.json')).status, 200, 'the API document needs no session');

  const first = initialPassword(sat);
  const login = await c.login('admin', first);
  t.equal(login.status, 200);
  t.match(login.body, { id: /^usr_/, username: 'admin', roles: [{ role: 'sa-admin', virtualAccount: null }], mustChangePassword: true });
  const cookie = cookieOf(login);
  t.match(cookie, /^outpost_session=[A-Za-z0-9_-]{43};/, '256 random bits');
  t.match(cookie, /; path=\//i);
  t.match(cookie, /; samesite=strict/i);
  t.match(cookie, /; httponly/i);
  t.notMatch(cookie, /; secure/i, 'not Secure over plain HTTP');

  t.match(await c.call('GET', '/api/me'), { status: 200, body: { username: 'admin', mustChangePassword: true } });
  for (const [method, url] of [
    ['GET', '/api/users'],
    ['GET', '/api/virtual-accounts'],
    ['GET', '/api/tokens'],
    ['POST', '/api/tags'],
    ['GET', '/api/events'],
  ] as const) {
    t.match(await c.call(method, url, method === 'POST' ? { key: 'x' } : undefined), { status: 403, body: { error: { code: 'PASSWORD_CHANGE_REQUIRED' } } }, `${method} ${url}`);
  }
  const me = login.body.id;
  const pw = (body: unknown) => c.call('POST', `/api/users/${me}/password`, body);
  t.match(await pw({ newPassword: PASSWORD }), { status: 400, body: { error: { message: /currentPassword/ } } }, 'one\'s own needs the current password');
  t.match(await pw({ currentPassword: 'wrong password!!', newPassword: PASSWORD }), { status: 403, body: { error: { code: 'FORBIDDEN' } } });
  t.match(await pw({ currentPassword: first, newPassword: 'short' }), { status: 400, body: { error: { message: /newPassword.*12/ } } });
  t.match(await pw({ currentPassword: first, newPassword: first }), { status: 400, body: { error: { message: /differ/ } } });
  t.match(await pw({ currentPassword: first, newPassword: PASSWORD, extra: 1 }), { status: 400, body: { error: { message: /extra/ } } });
  const changed = await pw({ currentPassword: first, newPassword: PASSWORD });
  t.equal(changed.status, 200);
  t.equal(changed.body.mustChangePassword, false);
  t.notOk('passwordHash' in changed.body, 'never the hash');
  t.equal((await c.call('GET', '/api/users')).status, 200, 'then the API answers');
  t.equal((await new AdminClient(sat.admin).login('admin', first)).status, 401, 'the initial password is gone');

  const events = (await c.call('GET', '/api/events?type=user.*')).body.items.map((e: any) => `${e.type} ${e.actor}`);
  t.same(
    events,
    ['user.login_failed admin', 'user.password_changed admin', 'user.login_failed admin', 'user.login admin', 'user.created system'],
    'newest first; the wrong current password counted as a failed login',
  );
});

t.test('session fixation, forged and tampered cookies, logout', async (t) => {
  const sat = await startSatellite(t);
  const admin = await adminClient(sat);
  const planted = 'outpost_session=attacker-chosen-value-0000000000000000000000000';
  const victim = new AdminClient(sat.admin);
  victim.cookie = planted;
  t.equal((await victim.call('GET', '/api/me')).status, 401, 'a planted id is no session');
  t.equal((await victim.login('admin', PASSWORD)).status, 200);
  t.not(victim.cookie, planted, 'login issues a new id, whatever the client came with');
  const attacker = new AdminClient(sat.admin);
  attacker.cookie = planted;
  t.equal((await attacker.call('GET', '/api/me')).status, 401, 'the planted id still gets nowhere');

  // A second login replaces the session the client presented.
  const before = victim.cookie!;
  t.equal((await victim.login('admin', PASSWORD)).status, 200);
  t.not(victim.cookie, before);
  const old = new AdminClient(sat.admin);
  old.cookie = before;
  t.equal((await old.call('GET', '/api/me')).status, 401, 'the session presented at login ended');

  const id = victim.cookie!.slice('outpost_session='.length);
  for (const forged of [
    id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A'),
    id.toUpperCase(),
    id + 'x',
    'x'.repeat(4000),
    '',
    "' OR 1=1 --",
  ]) {
    const f = new AdminClient(sat.admin);
    f.cookie = `outpost_session=${encodeURIComponent(forged)}`;
    t.match(await f.call('GET', '/api/me'), { status: 401, body: { error: { code: 'UNAUTHENTICATED' } } }, `forged: ${forged.slice(0, 20)}`);
  }
  t.equal((await victim.call('GET', '/api/me')).status, 200, 'the real one works');

  const out = await victim.call('POST', '/api/logout');
  t.equal(out.status, 204);
  t.match(cookieOf(out), /^outpost_session=;.*(max-age=0|expires=Thu, 01 Jan 1970)/i, 'the cookie is cleared');
  const after = new AdminClient(sat.admin);
  after.cookie = `outpost_session=${id}`;
  t.equal((await after.call('GET', '/api/me')).status, 401, 'a logged-out id is dead');
  t.equal((await new AdminClient(sat.admin).call('POST', '/api/logout')).status, 204, 'logout without a session is harmless');
  const types = (await admin.call('GET', '/api/events?type=user.logout')).body.items;
  t.equal(types.length, 1);
});

t.test('idle and absolute expiry follow the injected clock', async (t) => {
  const sat = await startSatellite(t, { config: { 'admin.session.idleMinutes': 30, 'admin.session.absoluteHours': 2 } });
  const c = await adminClient(sat);
  sat.clock.set(new Date(sat.clock().getTime() + 29 * 60_000));
  t.equal((await c.call('GET', '/api/me')).status, 200, 'used within the idle time');
  sat.clock.set(new Date(sat.clock().getTime() + 30 * 60_000));
  t.match(await c.call('GET', '/api/me'), { status: 401, body: { error: { code: 'UNAUTHENTICATED' } } }, 'idle for 30 minutes: gone');

  t.equal((await c.login('admin', PASSWORD)).status, 200);
  for (let i = 0; i < 5; i++) {
    sat.clock.set(new Date(sat.clock().getTime() + 20 * 60_000));
    t.equal((await c.call('GET', '/api/me')).status, 200, `still active after ${(i + 1) * 20} minutes`);
  }
  sat.clock.set(new Date(sat.clock().getTime() + 20 * 60_000));
  t.equal((await c.call('GET', '/api/me')).status, 401, 'two hours after login: gone however active');
});

t.test('state-changing requests must come from the dashboard\'s own origin', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  const before = await storeDump(sat);
  const body = { name: 'Lab', parentId: null };
  t.match(await c.call('POST', '/api/virtual-accounts', body, { headers: { origin: 'https://evil.example' } }), { status: 403, body: { error: { code: 'ORIGIN_MISMATCH' } } });
  c.origin = null;
  t.match(await c.call('POST', '/api/virtual-accounts', body), { status: 403, body: { error: { code: 'ORIGIN_MISMATCH' } } }, 'no Origin with a cookie');
  t.match(await c.call('DELETE', '/api/tags/x', undefined, { headers: { origin: sat.admin.replace('127.0.0.1', 'localhost') } }), { status: 403 }, 'another host is another origin');
  t.match(await c.call('POST', '/api/logout', undefined, { headers: { origin: 'null' } }), { status: 403 }, 'logout too');
  t.same(await storeDump(sat), before, 'the refused requests changed nothing');
  t.equal((await c.call('GET', '/api/me', undefined, { headers: { origin: 'https://evil.example' } })).status, 200, 'a read is not state-changing');
  c.origin = sat.admin;
  t.equal((await c.call('POST', '/api/virtual-accounts', body)).status, 201, 'the own origin passes');
  t.match(await new AdminClient(sat.admin).call('POST', '/api/login', { username: 'admin', password: PASSWORD }, { headers: { origin: 'https://evil.example' } }), { status: 403 }, 'a login from another origin');

  const dir = tempDir(t);
  const pub = await startSatellite(t, { dataDir: path.join(dir, 'data'), config: { 'admin.publicOrigin': 'https://outpost.example.com' } });
  const p = await adminClient(pub);
  t.equal((await p.call('POST', '/api/tags', { key: 'site' }, { headers: { origin: 'https://outpost.example.com' } })).status, 201, 'admin.publicOrigin passes');
  t.equal((await p.call('POST', '/api/tags', { key: 'room' })).status, 201, 'and so does the own origin');
  t.equal((await p.call('POST', '/api/tags', { key: 'rack' }, { headers: { origin: 'https://outpost.example.com.evil' } })).status, 403);
  // The control socket needs no Origin.
  t.equal((await control(pub.socketPath, 'POST', '/api/tags', { key: 'floor' })).status, 201);
});

t.test('brute force: 5 failures per username lock it for 15 minutes, even with the right password', async (t) => {
  const sat = await startSatellite(t);
  const admin = await adminClient(sat);
  await createUser(sat, 'Alice', [{ role: 'viewer' }]);
  const c = new AdminClient(sat.admin);
  const before = await storeDump(sat);
  for (let i = 0; i < 5; i++) {
    t.match(await c.login(i % 2 ? 'alice' : 'ALICE', `wrong password ${i}`), { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'Wrong username or password.' } } });
  }
  const after = await storeDump(sat);
  const added = after.filter(([k]) => !before.some(([b]) => b === k)).map(([k]) => k.replace(/\d+$/, 'N'));
  t.same([...new Set(added)], ['evt!N'], 'a failed login writes an event and nothing else');
  t.equal(after.length - before.length, 5);

  const locked = await c.login('alice', 'temporary password 1');
  t.match(locked, { status: 429, body: { error: { code: 'LOGIN_THROTTLED' } } }, 'the right password is refused too');
  t.equal(locked.headers['retry-after'], '900');
  t.equal(after.length, (await storeDump(sat)).length, 'a throttled attempt writes nothing');
  const failed = (await admin.call('GET', '/api/events?type=user.login_failed')).body.items;
  t.equal(failed.length, 5);
  t.same(failed.map((e: any) => e.actor), ['ALICE', 'alice', 'ALICE', 'alice', 'ALICE'], 'actor: the username tried, as typed');
  t.match(failed[0], { details: { address: String, reason: 'login', throttledUntil: String } }, 'the fifth failure says the lock started');

  sat.clock.set(new Date(sat.clock().getTime() + 10 * 60_000));
  t.match(await c.login('alice', 'temporary password 1'), { status: 429, headers: { 'retry-after': '300' } });
  t.equal((await admin.login('admin', PASSWORD)).status, 200, 'other usernames are not locked');
  sat.clock.set(new Date(sat.clock().getTime() + 5 * 60_000));
  t.match(await c.login('alice', 'temporary password 1'), { status: 200, body: { username: 'Alice', mustChangePassword: true } }, 'after 15 minutes');

  // Unknown usernames are throttled alike, and a burst in parallel cannot slip through.
  const burst = await Promise.all(Array.from({ length: 12 }, () => new AdminClient(sat.admin).login('nobody', 'guess guess guess')));
  const statuses = burst.map((r) => r.status).sort();
  t.equal(statuses.filter((s) => s === 401).length, 5, 'five guesses get checked');
  t.equal(statuses.filter((s) => s === 429).length, 7, 'the rest are throttled');
});

t.test('20 failures from one address lock the address', async (t) => {
  const sat = await startSatellite(t);
  await createUser(sat, 'bob', [{ role: 'viewer' }]);
  for (let i = 0; i < 20; i++) {
    t.equal((await new AdminClient(sat.admin).login(`user${i}`, 'not the password')).status, 401);
  }
  const res = await new AdminClient(sat.admin).login('bob', 'temporary password 1');
  t.match(res, { status: 429, body: { error: { code: 'LOGIN_THROTTLED' } } }, 'a fresh username from the same address');
  t.equal(res.headers['retry-after'], '900');
});

t.test('passwords: nobody changes another\'s without rights over them (CVE-2024-20419)', async (t) => {
  const sat = await startSatellite(t);
  const admin = await adminClient(sat);
  const adminId = (await admin.call('GET', '/api/me')).body.id;
  const lab = await createVa(sat, 'Lab', (await control(sat.socketPath, 'GET', '/api/virtual-accounts/Default')).body.id);
  const other = await createVa(sat, 'Other');
  const { client: vaAdmin, user: labAdmin } = await userClient(sat, 'lab-admin', [{ role: 'va-admin', virtualAccountId: lab.id }]);
  const labAdminId = labAdmin.id;
  const { client: vaUser, user: vaUserRecord } = await userClient(sat, 'lab-user', [{ role: 'va-user', virtualAccountId: lab.id }]);
  const { client: approver } = await userClient(sat, 'approver', [{ role: 'sa-approver' }]);
  const outsider = await createUser(sat, 'other-user', [{ role: 'va-user', virtualAccountId: other.id }]);
  const anonymous = new AdminClient(sat.admin);

  const before = await storeDump(sat);
  const attempts: Array<[string, AdminClient, string, number, string]> = [
    ['anonymous → admin', anonymous, adminId, 401, 'UNAUTHENTICATED'],
    ['va-user → admin (out of its reach)', vaUser, adminId, 404, 'NOT_FOUND'],
    ['va-user → a user of another VA', vaUser, outsider.id, 404, 'NOT_FOUND'],
    ['va-user → a user of its own VA (in reach, no rights)', vaUser, labAdminId, 403, 'FORBIDDEN'],
    ['va-admin → admin (account role: out of its view)', vaAdmin, adminId, 404, 'NOT_FOUND'],
    ['va-admin → user of another VA', vaAdmin, outsider.id, 404, 'NOT_FOUND'],
    ['sa-approver → admin (sees, may not manage)', approver, adminId, 403, 'FORBIDDEN'],
    ['va-user → nonexistent', vaUser, 'usr_nope', 404, 'NOT_FOUND'],
  ];
  for (const [name, client, target, status, code] of attempts) {
    for (const body of [{ newPassword: 'attacker password 1' }, { currentPassword: 'whatever it was', newPassword: 'attacker password 1' }]) {
      t.match(await client.call('POST', `/api/users/${target}/password`, body), { status, body: { error: { code } } }, name);
    }
  }
  t.same(await storeDump(sat), before, 'the refused requests changed nothing');
  t.equal((await new AdminClient(sat.admin).login('admin', PASSWORD)).status, 200, 'the admin password is unchanged');

  // A va-admin manages the users of its VAs: their password is set, and they must change it.
  const set = await vaAdmin.call('POST', `/api/users/${vaUserRecord.id}/password`, { newPassword: 'reset by lab admin' });
  t.match(set, { status: 200, body: { mustChangePassword: true } });
  t.equal((await vaUser.call('GET', '/api/me')).status, 401, 'the user\'s sessions ended');
  const again = new AdminClient(sat.admin);
  t.match(await again.login('lab-user', 'reset by lab admin'), { status: 200, body: { mustChangePassword: true } });
  t.match(await again.call('GET', '/api/tokens'), { status: 403, body: { error: { code: 'PASSWORD_CHANGE_REQUIRED' } } });

  // The control socket may reset anyone's (the operator's way back in).
  t.match(await control(sat.socketPath, 'POST', `/api/users/${adminId}/password`, { newPassword: 'operator reset pw' }), { status: 200, body: { mustChangePassword: true } });
  t.equal((await admin.call('GET', '/api/me')).status, 401, 'the admin\'s sessions ended');
});

t.test('usernames are unique regardless of case; login ignores case', async (t) => {
  const sat = await startSatellite(t);
  await createUser(sat, 'Carol', [{ role: 'viewer' }]);
  for (const name of ['carol', 'CAROL', 'cArOl']) {
    t.match(await control(sat.socketPath, 'POST', '/api/users', { username: name, password: 'some password 1', roles: [{ role: 'viewer' }] }), { status: 409, body: { error: { code: 'NAME_TAKEN' } } }, name);
  }
  t.match(await control(sat.socketPath, 'POST', '/api/users', { username: 'Admin', password: 'some password 1', roles: [{ role: 'viewer' }] }), { status: 409 });
  t.match(await control(sat.socketPath, 'POST', '/api/users', { username: 'LOCAL', password: 'some password 1', roles: [{ role: 'viewer' }] }), { status: 409 }, 'actor names are reserved');
  t.match(await new AdminClient(sat.admin).login('CAROL', 'temporary password 1'), { status: 200, body: { username: 'Carol' } });
});

t.test('under TLS the session cookie is Secure', async (t) => {
  const dir = tempDir(t);
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const sat = await startSatellite(t, { dataDir: path.join(dir, 'data'), config: { 'admin.tls': { cert, key } } });
  t.match(sat.admin, /^https:/);
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  t.teardown(() => dispatcher.close());
  const res = await request(`${sat.admin}/api/login`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', origin: sat.admin },
    body: JSON.stringify({ username: 'admin', password: initialPassword(sat) }),
  });
  await res.body.text();
  t.equal(res.statusCode, 200);
  t.match(String(res.headers['set-cookie']), /; secure/i);
});
