// The account, the VA tree and tag keys through real HTTP: shapes, limits, refusals, and
// refused requests that leave the store and the event log as they were.
import t from 'tap';
import { keys } from '../../daemon/store/index.ts';
import { createVirtualAccounts } from '../../daemon/domain/accounts/virtual-accounts.ts';
import { startSatellite, type TestSatellite } from '../helpers/satellite.ts';
import { control } from '../helpers/control.ts';
import { createToken, registerDevice } from '../helpers/devices.ts';
import { AdminClient, adminClient, createUser, createVa, storeDump, userClient } from '../helpers/admin.ts';

const defaultId = async (sat: TestSatellite): Promise<string> => (await control(sat.socketPath, 'GET', '/api/virtual-accounts/Default')).body.id;

t.test('the tree: create by parent id or path, read, rename, tag, list by path', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  const list0 = await c.call('GET', '/api/virtual-accounts');
  t.match(list0, { status: 200, body: { items: [{ id: /^va_/, name: 'Default', path: 'Default', parentId: null, tags: {} }], next: null } });
  const def = list0.body.items[0];

  const eng = await c.call('POST', '/api/virtual-accounts', { name: 'Eng', parentId: def.id });
  t.match(eng, { status: 201, body: { id: /^va_[A-Za-z0-9_-]+$/, name: 'Eng', path: 'Default/Eng', parentId: def.id, tags: {} } });
  const lab = await c.call('POST', '/api/virtual-accounts', { name: 'Lab', parentId: 'Default/Eng' });
  t.match(lab, { status: 201, body: { path: 'Default/Eng/Lab', parentId: eng.body.id } }, 'the parent may be named by path');
  const top = await c.call('POST', '/api/virtual-accounts', { name: 'Partners' });
  t.match(top, { status: 201, body: { path: 'Partners', parentId: null } }, 'parentId defaults to the top level');

  t.match(await c.call('GET', `/api/virtual-accounts/${lab.body.id}`), { status: 200, body: { path: 'Default/Eng/Lab' } });
  t.match(await c.call('GET', `/api/virtual-accounts/${encodeURIComponent('Default/Eng/Lab')}`), { status: 200, body: { id: lab.body.id } });
  t.match(await c.call('GET', '/api/virtual-accounts/va_nope'), { status: 404, body: { error: { code: 'NOT_FOUND' } } });

  const renamed = await c.call('PATCH', `/api/virtual-accounts/${eng.body.id}`, { name: 'Engineering' });
  t.match(renamed, { status: 200, body: { name: 'Engineering', path: 'Default/Engineering' } });
  t.match(await c.call('GET', `/api/virtual-accounts/${lab.body.id}`), { body: { path: 'Default/Engineering/Lab' } }, 'a rename moves the paths below it');
  t.equal((await c.call('GET', `/api/virtual-accounts/${encodeURIComponent('Default/Eng/Lab')}`)).status, 404, 'the old path is gone');

  t.equal((await c.call('POST', '/api/tags', { key: 'site' })).status, 201);
  t.match(await c.call('PATCH', `/api/virtual-accounts/${lab.body.id}`, { tags: { site: 'Building 7' } }), { status: 200, body: { tags: { site: 'Building 7' } } });
  t.match(await c.call('PATCH', `/api/virtual-accounts/${lab.body.id}`, { tags: { floor: '2' } }), { status: 400, body: { error: { message: /tags\.floor.*no tag key/ } } });
  t.match(await c.call('POST', '/api/virtual-accounts', { name: 'X', parentId: def.id, tags: { rack: '1' } }), { status: 400 });

  const paths = (await c.call('GET', '/api/virtual-accounts')).body.items.map((v: any) => v.path);
  t.same(paths, ['Default', 'Default/Engineering', 'Default/Engineering/Lab', 'Partners']);
  const p1 = await c.call('GET', '/api/virtual-accounts?limit=2');
  t.equal(p1.body.items.length, 2);
  const p2 = await c.call('GET', `/api/virtual-accounts?limit=2&cursor=${p1.body.next}`);
  t.same(p2.body.items.map((v: any) => v.path), ['Default/Engineering/Lab', 'Partners']);
  t.equal(p2.body.next, null);
  t.match(await c.call('GET', '/api/virtual-accounts?limit=1001'), { status: 400 });

  const types = (await c.call('GET', '/api/events?type=virtual-account.*,tag.*')).body.items.map((e: any) => `${e.type} ${e.virtualAccount?.path ?? '-'}`);
  t.same(types, [
    'virtual-account.updated Default/Engineering/Lab',
    'tag.created -',
    'virtual-account.updated Default/Engineering',
    'virtual-account.created Partners',
    'virtual-account.created Default/Engineering/Lab',
    'virtual-account.created Default/Engineering',
    'virtual-account.created Default',
  ], 'every change wrote its event');
});

t.test('names: 1–64 characters, no "/", not "all", unique among siblings regardless of case', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  const def = await defaultId(sat);
  const create = (name: unknown, parentId: string | null = def) => c.call('POST', '/api/virtual-accounts', { name, parentId });
  for (const bad of ['', 'x'.repeat(65), 'a/b', '/', 'all', 'ALL', ' Lab', 'Lab ', 'tab\there', 'nul\u0000', 7, null]) {
    t.match(await create(bad), { status: 400, body: { error: { code: 'INVALID_REQUEST', message: /"name"/ } } }, JSON.stringify(bad));
  }
  t.equal((await create('x'.repeat(64))).status, 201, '64 characters');
  t.equal((await create('Eng')).status, 201);
  t.match(await create('Eng'), { status: 409, body: { error: { code: 'NAME_TAKEN' } } });
  t.match(await create('ENG'), { status: 409, body: { error: { code: 'NAME_TAKEN' } } }, 'case does not make a new name');
  t.match(await create('default', null), { status: 409, body: { error: { code: 'NAME_TAKEN' } } }, 'nor at the top level');
  const other = await create('Sales');
  t.equal((await create('Eng', other.body.id)).status, 201, 'the same name under another parent');
  t.match(await c.call('PATCH', `/api/virtual-accounts/${other.body.id}`, { name: 'eng' }), { status: 409, body: { error: { code: 'NAME_TAKEN' } } });
  t.equal((await c.call('PATCH', `/api/virtual-accounts/${other.body.id}`, { name: 'SALES' })).status, 200, 'a VA may change its own name\'s case');
  t.match(await c.call('PATCH', `/api/virtual-accounts/${def}`, { name: 'Main' }), { status: 409, body: { error: { code: 'VA_PROTECTED' } } });
  t.match(await c.call('PATCH', `/api/virtual-accounts/${def}`, { color: 'red' }), { status: 400, body: { error: { message: /Unknown field "color"/ } } });
  t.match(await create('Ghost', 'va_nope'), { status: 404 });
});

t.test('nesting stops at 10 levels: the 11th is 409 LIMIT_REACHED', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  let parent = await defaultId(sat);
  let path = 'Default';
  for (let level = 2; level <= 10; level++) {
    const res = await c.call('POST', '/api/virtual-accounts', { name: `L${level}`, parentId: parent });
    t.equal(res.status, 201, `level ${level}`);
    parent = res.body.id;
    path += `/L${level}`;
    t.equal(res.body.path, path);
  }
  t.equal(path.split('/').length, 10);
  t.match(await c.call('POST', '/api/virtual-accounts', { name: 'L11', parentId: parent }), { status: 409, body: { error: { code: 'LIMIT_REACHED', message: /10 levels/ } } });
});

t.test('delete: Default never; a VA only when empty of VAs, devices, usable tokens, licenses and roles', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  const def = await defaultId(sat);
  const del = (id: string) => c.call('DELETE', `/api/virtual-accounts/${id}`);
  t.match(await del(def), { status: 409, body: { error: { code: 'VA_PROTECTED' } } });

  const eng = await createVa(sat, 'Eng', def);
  const lab = await createVa(sat, 'Lab', eng.id);
  t.match(await del(eng.id), { status: 409, body: { error: { code: 'VA_NOT_EMPTY', message: /1 virtual account/ } } }, 'a child');
  t.equal((await del(lab.id)).status, 204);
  t.equal((await c.call('GET', `/api/virtual-accounts/${lab.id}`)).status, 404);

  const tok = await createToken(sat.socketPath, { virtualAccountId: eng.id });
  t.match(await del(eng.id), { status: 409, body: { error: { code: 'VA_NOT_EMPTY', message: /1 usable token/ } } }, 'a usable token');
  const reg = await registerDevice(sat.device, tok.token);
  t.equal(reg.status, 201);
  await control(sat.socketPath, 'DELETE', `/api/tokens/${tok.id}`);
  t.match(await del(eng.id), { status: 409, body: { error: { code: 'VA_NOT_EMPTY', message: /1 device/ } } }, 'a device');

  const ops = await createVa(sat, 'Ops', def);
  const user = await createUser(sat, 'ops-user', [{ role: 'va-user', virtualAccountId: ops.id }]);
  t.match(await del(ops.id), { status: 409, body: { error: { code: 'VA_NOT_EMPTY', message: /roles of 1 user/ } } }, 'a user\'s role');
  t.equal((await c.call('DELETE', `/api/users/${user.id}`)).status, 204);

  const licensed = createVirtualAccounts(sat.ctx, { hasLicenses: (id) => id === ops.id });
  await t.rejects(licensed.remove(ops.id, 'test'), { code: 'VA_NOT_EMPTY', message: /licenses/ }, 'licenses, as the license engine says');

  const dead = await createToken(sat.socketPath, { virtualAccountId: ops.id });
  await control(sat.socketPath, 'DELETE', `/api/tokens/${dead.id}`);
  t.equal((await del(ops.id)).status, 204, 'a revoked token does not keep a VA');
  t.equal(sat.ctx.state.tokens.has(dead.id), false, 'it goes with the VA');
  t.equal(await sat.ctx.store.get(keys.token(dead.id)), undefined);
  const ev = (await c.call('GET', '/api/events?type=virtual-account.deleted')).body.items;
  t.match(ev[0], { actor: 'admin', virtualAccount: { id: def, path: 'Default' }, details: { id: ops.id, path: 'Default/Ops', removedTokens: [dead.id] } }, 'recorded on the parent');
});

t.test('tag keys: sa-admin defines them; one in use cannot be deleted', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  for (const bad of ['', 'Site', 'a b', '-x', 'x'.repeat(65), "x';--"]) {
    t.match(await c.call('POST', '/api/tags', { key: bad }), { status: 400, body: { error: { message: /"key"/ } } }, JSON.stringify(bad));
  }
  t.match(await c.call('POST', '/api/tags', { key: 'cost-center' }), { status: 201, body: { key: 'cost-center', createdAt: String } });
  t.match(await c.call('POST', '/api/tags', { key: 'cost-center' }), { status: 409, body: { error: { code: 'NAME_TAKEN' } } });
  t.same((await c.call('GET', '/api/tags')).body.items.map((k: any) => k.key), ['cost-center']);
  const va = await createVa(sat, 'Fin', null, { 'cost-center': 'CC-12' });
  t.match(await c.call('DELETE', '/api/tags/cost-center'), { status: 409, body: { error: { code: 'TAG_IN_USE', message: /Fin/ } } });
  t.equal((await c.call('PATCH', `/api/virtual-accounts/${va.id}`, { tags: {} })).status, 200);
  t.equal((await c.call('DELETE', '/api/tags/cost-center')).status, 204);
  t.match(await c.call('DELETE', '/api/tags/cost-center'), { status: 404 });
  t.match(await c.call('DELETE', '/api/tags/constructor'), { status: 404 }, 'no prototype keys');
});

t.test('account: name, domain checked as a domain, type only before registration', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  t.match(await c.call('GET', '/api/account'), {
    status: 200,
    body: { id: null, name: String, domain: null, type: 'customer', registration: 'unregistered', lastCloudContact: null, daysUntilLapse: null },
  });
  t.match(await c.call('PATCH', '/api/account', { name: 'ACME Corp', domain: 'ACME.example.COM' }), { status: 200, body: { name: 'ACME Corp', domain: 'acme.example.com' } });
  for (const bad of ['localhost', 'a..b.com', '-a.com', 'a-.com', 'exa mple.com', 'example.123', 'x.' + 'a'.repeat(64) + '.com', `${'a.'.repeat(130)}com`, 'http://example.com', 'example.com.', '1.2.3.4']) {
    t.match(await c.call('PATCH', '/api/account', { domain: bad }), { status: 400, body: { error: { message: /"domain"/ } } }, bad);
  }
  t.match(await c.call('PATCH', '/api/account', { domain: null }), { status: 200, body: { domain: null } });
  const tok = await createToken(sat.socketPath);
  t.match(await c.call('PATCH', '/api/account', { type: 'partner-holding' }), { status: 200, body: { type: 'partner-holding' } });
  t.match(await registerDevice(sat.device, tok.token), { status: 403, body: { error: { code: 'ACCOUNT_CANNOT_CONSUME' } } }, 'a partner-holding account cannot consume');
  t.match(await c.call('PATCH', '/api/account', { type: 'enterprise' }), { status: 400 });
  t.match(await c.call('PATCH', '/api/account', { registration: 'registered' }), { status: 400, body: { error: { message: /Unknown field "registration"/ } } });

  const { client: approver } = await userClient(sat, 'approver', [{ role: 'sa-approver' }]);
  t.match(await approver.call('PATCH', '/api/account', { name: 'Approved Name' }), { status: 200, body: { name: 'Approved Name' } }, 'sa-approver edits properties');
  t.match(await approver.call('PATCH', '/api/account', { type: 'customer' }), { status: 403, body: { error: { code: 'FORBIDDEN' } } }, 'not the type');
  t.equal((await approver.call('PATCH', '/api/account', { type: 'partner-holding' })).status, 200, 'naming the current type changes nothing');

  await sat.ctx.writer.run(async (tx) => {
    const s = { ...(await tx.get<any>(keys.satellite)), registration: 'registered', lastCloudContact: sat.clock().toISOString() };
    tx.put(keys.satellite, s);
    tx.after(() => sat.ctx.state.setSatellite(s));
  });
  t.match(await c.call('PATCH', '/api/account', { type: 'customer' }), { status: 409, body: { error: { code: 'ACCOUNT_REGISTERED' } } });
  t.match(await c.call('GET', '/api/account'), { body: { registration: 'registered', daysUntilLapse: 365 } });
  t.match(await c.call('PATCH', '/api/account', { name: 'Still editable' }), { status: 200 });
  const changes = (await c.call('GET', '/api/events?type=account.updated')).body.items;
  t.equal(changes.length, 5, JSON.stringify(changes.map((e: any) => e.details)));
  t.match(changes[changes.length - 1], { actor: 'admin', virtualAccount: null, details: { changes: { name: { to: 'ACME Corp' }, domain: { from: null, to: 'acme.example.com' } } } });
});

t.test('limited-use: at most 3 users and 3 VAs (the initial admin and Default count), no tags', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  const def = await defaultId(sat);
  await c.call('POST', '/api/tags', { key: 'site' });
  t.match(await c.call('PATCH', '/api/account', { type: 'limited-use' }), { status: 409, body: { error: { code: 'LIMIT_REACHED', message: /tags/ } } });
  await c.call('DELETE', '/api/tags/site');
  const vas = [await createVa(sat, 'A', def), await createVa(sat, 'B', def), await createVa(sat, 'C', def)];
  t.match(await c.call('PATCH', '/api/account', { type: 'limited-use' }), { status: 409, body: { error: { code: 'LIMIT_REACHED', message: /4 virtual accounts/ } } });
  await c.call('DELETE', `/api/virtual-accounts/${vas[2].id}`);
  t.match(await c.call('PATCH', '/api/account', { type: 'limited-use' }), { status: 200, body: { type: 'limited-use' } });

  t.match(await c.call('POST', '/api/virtual-accounts', { name: 'D', parentId: def }), { status: 409, body: { error: { code: 'LIMIT_REACHED' } } }, 'a 4th VA');
  t.match(await c.call('POST', '/api/tags', { key: 'site' }), { status: 409, body: { error: { code: 'LIMIT_REACHED' } } }, 'tags');
  t.match(await c.call('PATCH', `/api/virtual-accounts/${vas[0].id}`, { tags: { site: 'x' } }), { status: 409, body: { error: { code: 'LIMIT_REACHED' } } });
  const body = (n: string) => ({ username: n, password: 'a long password', roles: [{ role: 'viewer' }] });
  t.equal((await c.call('POST', '/api/users', body('two'))).status, 201);
  t.equal((await c.call('POST', '/api/users', body('three'))).status, 201);
  t.match(await c.call('POST', '/api/users', body('four')), { status: 409, body: { error: { code: 'LIMIT_REACHED', message: /3 users/ } } }, 'a 4th user');
  // Parallel creations cannot both pass the cap.
  const two = (await c.call('GET', '/api/users')).body.items.find((u: any) => u.username === 'two');
  await c.call('DELETE', `/api/users/${two.id}`);
  const race = await Promise.all(['p1', 'p2', 'p3'].map((n) => c.call('POST', '/api/users', body(n))));
  t.same(race.map((r) => r.status).sort(), [201, 409, 409], 'one of three parallel creations fits');
  t.equal(sat.ctx.state.users.size, 3);
});

t.test('SQL-ish, control and oversized strings in every text field: refused or stored verbatim, never a 500', async (t) => {
  const sat = await startSatellite(t);
  const c = await adminClient(sat);
  const def = await defaultId(sat);
  const sqlish = "x'); DROP TABLE users; --";
  const big = 'A'.repeat(100_000);

  // Stored verbatim where the characters are allowed.
  const va = await c.call('POST', '/api/virtual-accounts', { name: sqlish, parentId: def });
  t.match(va, { status: 201, body: { name: sqlish, path: `Default/${sqlish}` } });
  t.equal((await c.call('GET', `/api/virtual-accounts/${encodeURIComponent(`Default/${sqlish}`)}`)).body.id, va.body.id);
  t.match(await c.call('PATCH', '/api/account', { name: sqlish }), { status: 200, body: { name: sqlish } });
  await c.call('POST', '/api/tags', { key: 'note' });
  t.match(await c.call('PATCH', `/api/virtual-accounts/${va.body.id}`, { tags: { note: `${sqlish} <script>alert(1)</script>` } }), { status: 200 });
  const tok = await c.call('POST', '/api/tokens', { virtualAccountId: va.body.id, description: sqlish });
  t.match(tok, { status: 201, body: { description: sqlish } });

  const refused: Array<[string, string, unknown]> = [
    ['POST', '/api/virtual-accounts', { name: big, parentId: def }],
    ['POST', '/api/virtual-accounts', { name: 'ok', parentId: big }],
    ['POST', '/api/virtual-accounts', { name: 'ok', parentId: def, tags: { note: big } }],
    ['POST', '/api/virtual-accounts', { name: 'ok', parentId: def, tags: { [big]: 'x' } }],
    ['PATCH', `/api/virtual-accounts/${va.body.id}`, { name: big }],
    ['PATCH', '/api/account', { name: big }],
    ['PATCH', '/api/account', { domain: big }],
    ['PATCH', '/api/account', { domain: sqlish }],
    ['POST', '/api/tags', { key: big }],
    ['POST', '/api/tags', { key: sqlish }],
    ['POST', '/api/users', { username: sqlish, password: 'long enough pw', roles: [{ role: 'viewer' }] }],
    ['POST', '/api/users', { username: big, password: 'long enough pw', roles: [{ role: 'viewer' }] }],
    ['POST', '/api/users', { username: 'ok', password: big, roles: [{ role: 'viewer' }] }],
    ['POST', '/api/users', { username: 'ok', password: 'long enough pw', roles: [{ role: sqlish }] }],
    ['POST', '/api/users', { username: 'ok', password: 'long enough pw', roles: [{ role: 'va-user', virtualAccountId: big }] }],
    ['POST', '/api/tokens', { virtualAccountId: def, description: big }],
    ['POST', '/api/tokens', { virtualAccountId: big }],
    ['POST', '/api/login', { username: big, password: 'x' }],
    ['POST', '/api/login', { username: 'admin', password: big }],
    ['POST', '/api/login', { username: sqlish, password: sqlish }],
  ];
  for (const [method, url, body] of refused) {
    const res = await c.call(method, url, body);
    t.ok([400, 401, 404].includes(res.status), `${method} ${url} ${JSON.stringify(body).slice(0, 60)} → ${res.status}`);
    t.match(res.body, { error: { code: /^[A-Z_]+$/, message: String } });
  }
  for (const q of [`type=${encodeURIComponent(sqlish)}`, `va=${encodeURIComponent(sqlish)}`, `since=${encodeURIComponent(sqlish)}`, `type=${big.slice(0, 5000)}`, 'limit=-1', 'cursor=%27%3B--', 'bogus=1', 'type=a&type=b']) {
    const res = await c.call('GET', `/api/events?${q}`);
    t.ok([400, 404].includes(res.status), `events?${q.slice(0, 40)} → ${res.status}`);
  }
  const huge = await c.call('POST', '/api/virtual-accounts', undefined, { raw: JSON.stringify({ name: 'x'.repeat(300_000) }), type: 'application/json' });
  t.match(huge, { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } }, 'over the admin body limit');
  t.match(await c.call('POST', '/api/virtual-accounts', undefined, { raw: 'name=x', type: 'application/x-www-form-urlencoded' }), { status: 415 });
  t.match(await c.call('POST', '/api/virtual-accounts', undefined, { raw: '{"name":', type: 'application/json' }), { status: 400 });
});

t.test('a refused request leaves the store and the event log unchanged', async (t) => {
  const sat = await startSatellite(t);
  const admin = await adminClient(sat);
  const def = await defaultId(sat);
  const eng = await createVa(sat, 'Eng', def);
  await createVa(sat, 'Lab', eng.id);
  await admin.call('POST', '/api/tags', { key: 'site' });
  await createVa(sat, 'Tagged', def, { site: 'x' });
  const { client: viewer } = await userClient(sat, 'viewer', [{ role: 'viewer' }]);
  const { client: labAdmin } = await userClient(sat, 'lab-admin', [{ role: 'va-admin', virtualAccountId: eng.id }]);
  const anonymous = new AdminClient(sat.admin);
  const adminId = (await admin.call('GET', '/api/me')).body.id;

  const before = await storeDump(sat);
  const eventsBefore = (await admin.call('GET', '/api/events?limit=1000')).body.items;
  const refusals: Array<[AdminClient, string, string, unknown, number]> = [
    [anonymous, 'POST', '/api/virtual-accounts', { name: 'X', parentId: def }, 401],
    [viewer, 'POST', '/api/virtual-accounts', { name: 'X', parentId: def }, 403],
    [viewer, 'PATCH', '/api/account', { name: 'X' }, 403],
    [viewer, 'POST', '/api/tags', { key: 'x' }, 403],
    [labAdmin, 'POST', '/api/virtual-accounts', { name: 'Top', parentId: null }, 403],
    [labAdmin, 'DELETE', `/api/virtual-accounts/${eng.id}`, undefined, 403],
    [labAdmin, 'POST', '/api/users', { username: 'boss', password: 'long enough pw', roles: [{ role: 'sa-admin' }] }, 403],
    [labAdmin, 'DELETE', `/api/users/${adminId}`, undefined, 404],
    [admin, 'POST', '/api/virtual-accounts', { name: 'Eng', parentId: def }, 409],
    [admin, 'DELETE', `/api/virtual-accounts/${def}`, undefined, 409],
    [admin, 'DELETE', `/api/virtual-accounts/${eng.id}`, undefined, 409],
    [admin, 'DELETE', '/api/tags/site', undefined, 409],
    [admin, 'DELETE', `/api/users/${adminId}`, undefined, 409],
    [admin, 'PATCH', `/api/users/${adminId}`, { roles: [{ role: 'viewer' }] }, 409],
    [admin, 'POST', '/api/users', { username: 'VIEWER', password: 'long enough pw', roles: [{ role: 'viewer' }] }, 409],
    [admin, 'POST', '/api/users', { username: 'new', password: 'short', roles: [{ role: 'viewer' }] }, 400],
    [admin, 'POST', '/api/users', { username: 'new', password: 'long enough pw', roles: [{ role: 'va-user' }] }, 400],
    [admin, 'POST', '/api/users', { username: 'new', password: 'long enough pw', roles: [{ role: 'sa-user', virtualAccountId: def }] }, 400],
    [admin, 'POST', '/api/virtual-accounts', { name: 'all', parentId: def }, 400],
    [admin, 'PATCH', '/api/account', { domain: 'not a domain' }, 400],
    [admin, 'POST', '/api/tokens', { virtualAccountId: 'va_nope' }, 404],
    [admin, 'POST', `/api/users/${adminId}/password`, { newPassword: 'too short' }, 400],
  ];
  for (const [client, method, url, body, status] of refusals) {
    const res = await client.call(method, url, body);
    t.equal(res.status, status, `${method} ${url} ${JSON.stringify(body) ?? ''}: ${JSON.stringify(res.body)}`);
  }
  t.same(await storeDump(sat), before, 'the store is byte for byte as it was');
  t.same((await admin.call('GET', '/api/events?limit=1000')).body.items, eventsBefore, 'no event was written');
});
