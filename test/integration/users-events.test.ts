// Users and roles, VA admins' reach, and the event log's filters, pages and scope, through
// real HTTP.
import t from 'tap';
import { startSatellite, type TestSatellite } from '../helpers/satellite.ts';
import { control } from '../helpers/control.ts';
import { createToken } from '../helpers/devices.ts';
import { AdminClient, PASSWORD, adminClient, createVa, userClient } from '../helpers/admin.ts';

const defaultId = async (sat: TestSatellite): Promise<string> => (await control(sat.socketPath, 'GET', '/api/virtual-accounts/Default')).body.id;

t.test('users: add, list, edit roles and name, delete; the last sa-admin stays', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  const def = await defaultId(sat);
  const eng = await createVa(sat, 'Eng', def);

  const dana = await c.call('POST', '/api/users', { username: 'dana', password: 'initial password', roles: [{ role: 'va-user', virtualAccountId: 'Default/Eng' }, { role: 'viewer' }] });
  t.match(dana, {
    status: 201,
    body: { id: /^usr_/, username: 'dana', roles: [{ role: 'va-user', virtualAccount: { id: eng.id, path: 'Default/Eng' } }, { role: 'viewer', virtualAccount: null }], mustChangePassword: true, createdAt: sat.clock().toISOString() },
  });
  t.same(Object.keys(dana.body).sort(), ['createdAt', 'email', 'id', 'mustChangePassword', 'notifications', 'roles', 'source', 'username'], 'never the hash');

  const list = await c.call('GET', '/api/users');
  t.same(list.body.items.map((u: any) => u.username), ['admin', 'dana']);
  t.notMatch(JSON.stringify(list.body), /scrypt|passwordHash/);
  const p1 = await c.call('GET', '/api/users?limit=1');
  t.equal(p1.body.items[0].username, 'admin');
  t.equal((await c.call('GET', `/api/users?limit=1&cursor=${p1.body.next}`)).body.items[0].username, 'dana');

  t.match(await c.call('POST', '/api/users', { username: 'x', password: 'initial password', roles: [] }), { status: 400, body: { error: { message: /"roles"/ } } });
  t.match(await c.call('POST', '/api/users', { username: 'x', password: 'initial password', roles: [{ role: 'va-admin' }] }), { status: 400, body: { error: { message: /virtualAccountId" is required/ } } });
  t.match(await c.call('POST', '/api/users', { username: 'x', password: 'initial password', roles: [{ role: 'sa-user', virtualAccountId: eng.id }] }), { status: 400, body: { error: { message: /account role/ } } });
  t.match(await c.call('POST', '/api/users', { username: 'x', password: 'initial password', roles: [{ role: 'va-user', virtualAccountId: 'Nowhere' }] }), { status: 404 });
  t.match(await c.call('POST', '/api/users', { username: 'x', password: 'initial password', roles: [{ role: 'root' }] }), { status: 400 });
  t.match(await c.call('POST', '/api/users', { username: 'x', password: 'initial password', roles: [{ role: 'viewer' }], passwordHash: 'x' }), { status: 400, body: { error: { message: /passwordHash/ } } });

  const edited = await c.call('PATCH', `/api/users/${dana.body.id}`, { username: 'Dana', roles: [{ role: 'sa-user' }] });
  t.match(edited, { status: 200, body: { username: 'Dana', roles: [{ role: 'sa-user', virtualAccount: null }] } });
  t.match(await c.call('PATCH', `/api/users/${dana.body.id}`, { username: 'ADMIN' }), { status: 409, body: { error: { code: 'NAME_TAKEN' } } });
  t.match(await c.call('PATCH', `/api/users/${dana.body.id}`, { password: 'sneaky password' }), { status: 400 }, 'a password changes only through its own route');
  t.match(await new AdminClient(sat.admin).login('dana', 'initial password'), { status: 200, body: { username: 'Dana' } }, 'the renamed user logs in by the new name in any case');

  const adminId = (await c.call('GET', '/api/me')).body.id;
  t.match(await c.call('DELETE', `/api/users/${adminId}`), { status: 409, body: { error: { code: 'LAST_ADMIN' } } });
  t.match(await c.call('PATCH', `/api/users/${adminId}`, { roles: [{ role: 'sa-user' }] }), { status: 409, body: { error: { code: 'LAST_ADMIN' } } });
  t.equal((await c.call('PATCH', `/api/users/${dana.body.id}`, { roles: [{ role: 'sa-admin' }] })).status, 200);
  t.equal((await c.call('PATCH', `/api/users/${adminId}`, { roles: [{ role: 'sa-admin' }, { role: 'sa-admin' }] })).status, 200, 'duplicates fold');
  t.equal((await c.call('DELETE', `/api/users/${dana.body.id}`)).status, 204, 'another sa-admin remains');
  t.match(await c.call('DELETE', `/api/users/${dana.body.id}`), { status: 404 });

  const types = (await c.call('GET', '/api/events?type=user.created,user.updated,user.deleted')).body.items.map((e: any) => e.type);
  t.same(types, ['user.deleted', 'user.updated', 'user.updated', 'user.created', 'user.created']);
});

t.test('a VA admin: VAs below its VAs, users whose every role is within them', async (t) => {
  const sat = await startSatellite(t);
  const admin = await adminClient(sat);
  const def = await defaultId(sat);
  const eng = await createVa(sat, 'Eng', def);
  const lab = await createVa(sat, 'Lab', eng.id);
  const sales = await createVa(sat, 'Sales', def);
  const { client: ea, user: eaUser } = await userClient(sat, 'eng-admin', [{ role: 'va-admin', virtualAccountId: eng.id }]);

  t.same((await ea.call('GET', '/api/virtual-accounts')).body.items.map((v: any) => v.path), ['Default/Eng', 'Default/Eng/Lab'], 'sees its VAs only');
  t.match(await ea.call('GET', `/api/virtual-accounts/${sales.id}`), { status: 404 });
  t.match(await ea.call('POST', '/api/virtual-accounts', { name: 'Bench', parentId: lab.id }), { status: 201, body: { path: 'Default/Eng/Lab/Bench' } });
  t.match(await ea.call('POST', '/api/virtual-accounts', { name: 'Top', parentId: null }), { status: 403, body: { error: { code: 'FORBIDDEN' } } }, 'top level: 403');
  t.match(await ea.call('POST', '/api/virtual-accounts', { name: 'X', parentId: sales.id }), { status: 404 }, 'another VA: as if it did not exist');
  t.match(await ea.call('PATCH', `/api/virtual-accounts/${lab.id}`, { name: 'Labs' }), { status: 200, body: { path: 'Default/Eng/Labs' } });
  t.match(await ea.call('PATCH', `/api/virtual-accounts/${eng.id}`, { name: 'Engineering' }), { status: 403 }, 'not its own VA');
  t.match(await ea.call('DELETE', `/api/virtual-accounts/${eng.id}`), { status: 403 });
  t.match(await ea.call('DELETE', `/api/virtual-accounts/${sales.id}`), { status: 404 });
  t.match(await ea.call('POST', '/api/tags', { key: 'k' }), { status: 403 });
  t.match(await ea.call('PATCH', '/api/account', { name: 'n' }), { status: 403 });
  t.match(await ea.call('GET', '/api/account'), { status: 200 }, 'every role reads the account');

  const mk = (username: string, roles: unknown[]) => ea.call('POST', '/api/users', { username, password: 'initial password', roles });
  const u1 = await mk('lab-user', [{ role: 'va-user', virtualAccountId: lab.id }]);
  t.equal(u1.status, 201);
  t.equal((await mk('lab-viewer', [{ role: 'viewer', virtualAccountId: lab.id }])).status, 201, 'a VA-scoped viewer is a VA role');
  t.equal((await mk('lab-admin', [{ role: 'va-admin', virtualAccountId: lab.id }])).status, 201);
  t.match(await mk('boss', [{ role: 'sa-admin' }]), { status: 403 }, 'an account role: 403');
  t.match(await mk('viewer-all', [{ role: 'viewer' }]), { status: 403 }, 'an account-scope viewer: 403');
  t.match(await mk('sales-user', [{ role: 'va-user', virtualAccountId: sales.id }]), { status: 404 }, 'a VA outside: 404');
  t.match(await mk('mixed', [{ role: 'va-user', virtualAccountId: lab.id }, { role: 'va-user', virtualAccountId: sales.id }]), { status: 404 });

  const salesUser = (await admin.call('POST', '/api/users', { username: 'sales-user', password: 'initial password', roles: [{ role: 'va-user', virtualAccountId: sales.id }] })).body;
  const mixed = (await admin.call('POST', '/api/users', { username: 'mixed', password: 'initial password', roles: [{ role: 'va-user', virtualAccountId: lab.id }, { role: 'sa-approver' }] })).body;
  t.same((await ea.call('GET', '/api/users')).body.items.map((u: any) => u.username), ['eng-admin', 'lab-admin', 'lab-user', 'lab-viewer'], 'sees only users within its VAs');
  t.match(await ea.call('PATCH', `/api/users/${mixed.id}`, { roles: [{ role: 'va-user', virtualAccountId: lab.id }] }), { status: 404 }, 'a user with an account role is out of its view');
  t.match(await ea.call('DELETE', `/api/users/${salesUser.id}`), { status: 404 });
  t.match(await ea.call('PATCH', `/api/users/${u1.body.id}`, { roles: [{ role: 'sa-user' }] }), { status: 403 }, 'cannot raise a user to an account role');
  t.match(await ea.call('PATCH', `/api/users/${u1.body.id}`, { roles: [{ role: 'va-user', virtualAccountId: sales.id }] }), { status: 404 }, 'nor move one outside');
  t.match(await ea.call('PATCH', `/api/users/${eaUser.id}`, { roles: [{ role: 'va-admin', virtualAccountId: def }] }), { status: 404 }, 'nor widen its own scope');
  t.match(await ea.call('PATCH', `/api/users/${u1.body.id}`, { roles: [{ role: 'va-admin', virtualAccountId: lab.id }] }), { status: 200 });
  t.equal((await ea.call('DELETE', `/api/users/${u1.body.id}`)).status, 204);

  const { client: lu } = await userClient(sat, 'plain', [{ role: 'va-user', virtualAccountId: lab.id }]);
  t.match(await lu.call('GET', '/api/users'), { status: 403 }, 'a va-user manages no users');
  t.match(await lu.call('POST', '/api/virtual-accounts', { name: 'Y', parentId: lab.id }), { status: 403 });
});

t.test('events: newest first, filters, pages, and each reader\'s scope', async (t) => {
  const sat = await startSatellite(t);
  const admin = await adminClient(sat);
  const def = await defaultId(sat);
  const eng = await createVa(sat, 'Eng', def);
  const lab = await createVa(sat, 'Lab', eng.id);
  sat.clock.advanceDays(1);
  t.equal((await admin.login('admin', PASSWORD)).status, 200, 'a day later the session has expired');
  const sales = await createVa(sat, 'Sales', def);
  await createToken(sat.socketPath, { virtualAccountId: lab.id });
  await createToken(sat.socketPath, { virtualAccountId: sales.id });
  const { client: ea } = await userClient(sat, 'eng-admin', [{ role: 'va-admin', virtualAccountId: eng.id }]);
  const { client: viewer } = await userClient(sat, 'viewer', [{ role: 'viewer' }]);
  const { client: vaUser } = await userClient(sat, 'va-user', [{ role: 'va-user', virtualAccountId: eng.id }]);

  const all = (await admin.call('GET', '/api/events?limit=1000')).body.items;
  t.ok(all.length > 10);
  for (let i = 1; i < all.length; i++) t.ok(all[i - 1].id > all[i].id && all[i - 1].at >= all[i].at, 'newest first');
  t.match(all.find((e: any) => e.type === 'token.created'), { id: /^evt_\d{16}$/, at: String, actor: 'local', type: 'token.created', virtualAccount: { id: sales.id, path: 'Default/Sales' }, details: { tokenId: /^tok_/ } });
  t.same(Object.keys(all[0]).sort(), ['actor', 'at', 'details', 'id', 'type', 'virtualAccount']);

  // Pages.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: any = (await admin.call('GET', `/api/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).body;
    t.ok(page.items.length <= 3);
    seen.push(...page.items.map((e: any) => e.id));
    cursor = page.next;
  } while (cursor);
  t.same(seen, all.map((e: any) => e.id), 'the pages together are the whole log, once');

  // Filters.
  const q = async (client: AdminClient, query: string) => (await client.call('GET', `/api/events?limit=1000&${query}`)).body.items as any[];
  t.same((await q(admin, 'type=token.created')).map((e) => e.virtualAccount.path), ['Default/Sales', 'Default/Eng/Lab']);
  t.same((await q(admin, `va=${eng.id}&type=virtual-account.*,token.*`)).map((e) => e.type), ['virtual-account.created']);
  t.same((await q(admin, 'va=Default/Eng&nested=true&type=virtual-account.*,token.*')).map((e) => `${e.type} ${e.virtualAccount.path}`), [
    'token.created Default/Eng/Lab',
    'virtual-account.created Default/Eng/Lab',
    'virtual-account.created Default/Eng',
  ]);
  t.same((await q(admin, `va=${eng.id}&type=user.created`)).map((e) => e.details.username), ['va-user', 'eng-admin'], 'user events belong to the VA their roles are in');
  const dayTwo = new Date(Date.parse('2026-11-29T10:00:00.000Z')).toISOString();
  const before = await q(admin, `until=${dayTwo}`);
  const after = await q(admin, `since=${dayTwo}`);
  t.equal(before.length + after.length, all.length, 'since and until split the log');
  t.ok(before.every((e) => e.at < dayTwo) && after.every((e) => e.at >= dayTwo));
  t.same(await q(admin, 'va=all&type=virtual-account.created'), await q(admin, 'type=virtual-account.created'), 'va=all is the whole account');

  // Scope.
  const mine = await q(ea, '');
  t.ok(mine.length > 0);
  t.ok(mine.every((e) => e.virtualAccount && ['Default/Eng', 'Default/Eng/Lab'].includes(e.virtualAccount.path)), 'a VA admin sees its VAs\' events only');
  t.ok(mine.some((e) => e.type === 'user.created' && e.details.username === 'va-user'), 'including the users of its VAs');
  t.notOk(mine.some((e) => e.virtualAccount === null), 'no account-level events');
  t.match(await ea.call('GET', `/api/events?va=${sales.id}`), { status: 404 });
  t.match(await ea.call('GET', '/api/events?va=Default'), { status: 404 }, 'not even the parent of its VA');
  t.equal((await q(viewer, '')).length, (await q(admin, '')).length, 'an account-scope viewer sees everything');
  t.match(await vaUser.call('GET', '/api/events'), { status: 403 }, 'a va-user has no event log');

  for (const bad of ['limit=0', 'limit=1001', 'since=yesterday', 'until=2026-13-01T00:00:00Z', 'type=Bad Type', 'cursor=bm9wZQ', 'nested=yes', 'color=red']) {
    t.match(await admin.call('GET', `/api/events?${bad}`), { status: 400, body: { error: { code: 'INVALID_REQUEST' } } }, bad);
  }
  t.match(await admin.call('GET', '/api/events?va=Nowhere'), { status: 404 });
  await admin.call('POST', '/api/logout');
  t.equal((await admin.login('admin', PASSWORD)).status, 200);
  t.same((await q(admin, 'type=user.login,user.logout')).slice(0, 2).map((e) => e.type), ['user.login', 'user.logout']);
});
