// API tokens as a domain service over a real LevelDB: rights bounded by the creator now and later,
// secrets stored only hashed, every authentication failure one event, lastUsedAt coalesced.
import path from 'node:path';
import t, { type Test } from 'tap';
import { createAccess } from '../../../../daemon/domain/access/roles.ts';
import { createApiTokens } from '../../../../daemon/domain/access/api-tokens.ts';
import { meet } from '../../../../daemon/domain/access/api-token-rights.ts';
import type { DomainContext } from '../../../../daemon/domain/satellite/context.ts';
import { createLoginThrottle } from '../../../../daemon/domain/access/login-throttle.ts';
import { Sequences } from '../../../../daemon/domain/satellite/sequences.ts';
import { State } from '../../../../daemon/domain/satellite/state.ts';
import type { EventRecord, RoleGrant, UserRecord } from '../../../../daemon/domain/satellite/records.ts';
import { keys, Writer } from '../../../../daemon/store/index.ts';
import { LevelStore } from '../../../../daemon/store/level.ts';
import { testClock } from '../../../helpers/satellite.ts';
import { tempDir } from '../../../helpers/tmp.ts';

const va = (id: string, name: string, parentId: string | null) => ({ id, name, parentId, tags: {}, createdAt: '' });
const user = (id: string, username: string, roles: RoleGrant[], source?: 'ldap'): UserRecord => ({
  id,
  username,
  roles,
  passwordHash: 'x',
  mustChangePassword: false,
  createdAt: '',
  ...(source ? { source } : {}),
});

async function fixture(t: Test, location = path.join(tempDir(t), 'db')) {
  const store = new LevelStore(location);
  await store.open();
  const writer = new Writer(store, { queueLimit: 100 });
  t.teardown(async () => {
    await writer.close();
    await store.close();
  });
  const state = new State();
  state.putVa(va('va_def', 'Default', null));
  state.putVa(va('va_lab', 'Lab', 'va_def'));
  state.putVa(va('va_sub', 'Sub', 'va_lab'));
  state.putVa(va('va_ops', 'Ops', 'va_def'));
  const admin = user('usr_admin', 'admin', [{ role: 'sa-admin', vaId: null }]);
  const labAdmin = user('usr_lab', 'lab-admin', [{ role: 'va-admin', vaId: 'va_lab' }]);
  const dir = user('usr_dir', 'dir-user', [{ role: 'sa-admin', vaId: null }], 'ldap');
  for (const v of state.vas.values()) await store.batch([{ type: 'put', key: keys.va(v.id), value: v }]);
  for (const u of [admin, labAdmin, dir]) {
    state.putUser(u);
    await store.batch([{ type: 'put', key: keys.user(u.id), value: u }]);
  }
  const clock = testClock();
  const ctx = { store, writer, seq: await Sequences.load(store), state, clock } as unknown as DomainContext;
  const access = createAccess(state);
  const throttle = createLoginThrottle({ clock });
  const tokens = createApiTokens(ctx, { access, throttle });
  await tokens.open();
  const events = async (): Promise<EventRecord[]> => {
    const out: EventRecord[] = [];
    for await (const [, e] of store.iterate<EventRecord>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '\uffff' })) out.push(e);
    return out;
  };
  return { store, writer, state, clock, access, tokens, admin, labAdmin, dir, events, location };
}

t.test('meet() narrows each pair of grants to the smaller scope, and VA grants that do not nest meet nowhere', async (t) => {
  const within = (v: string, a: string) => v === a || (v === 'sub' && a === 'lab');
  t.same(meet([{ role: 'sa-user', vaId: null }], [{ role: 'va-user', vaId: 'lab' }], within), [{ role: 'va-user', vaId: 'lab' }]);
  t.same(meet([{ role: 'va-user', vaId: 'sub' }], [{ role: 'va-admin', vaId: 'lab' }], within), [{ role: 'va-user', vaId: 'sub' }]);
  t.same(meet([{ role: 'va-user', vaId: 'lab' }], [{ role: 'va-admin', vaId: 'sub' }], within), [{ role: 'va-admin', vaId: 'sub' }]);
  t.same(meet([{ role: 'va-user', vaId: 'lab' }], [{ role: 'va-user', vaId: 'ops' }], within), []);
  t.same(meet([{ role: 'sa-user', vaId: null }], [], within), [], 'a creator with no role gives the token nothing');
});

t.test('create() answers the secret once, stores only its hash, and bounds roles by the creator', async (t) => {
  const f = await fixture(t);
  const made = await f.tokens.create({ name: 'ansible', roles: [{ role: 'sa-user' }], expiresInDays: 30 }, f.admin, 'admin');
  t.match(made.token, /^oat_[A-Za-z0-9_-]{43}$/);
  t.match(made, { name: 'ansible', roles: [{ role: 'sa-user', virtualAccount: null }], createdBy: 'admin', lastUsedAt: null, expiresAt: '2026-12-28T10:00:00.000Z' });
  let seen = false;
  for await (const [, v] of f.store.iterate<unknown>({})) if (JSON.stringify(v).includes(made.token.slice(4))) seen = true;
  t.notOk(seen, 'the secret is nowhere in the store');

  // A va-admin of Lab asking for an account role, or a VA role outside Lab: refused, nothing written.
  const before = (await f.events()).length;
  await t.rejects(f.tokens.create({ name: 'x', roles: [{ role: 'sa-user' }], expiresInDays: 1 }, f.labAdmin, 'lab-admin'), { code: 'FORBIDDEN' });
  await t.rejects(f.tokens.create({ name: 'x', roles: [{ role: 'va-user', virtualAccountId: 'va_ops' }], expiresInDays: 1 }, f.labAdmin, 'lab-admin'), { code: 'NOT_FOUND' });
  await t.rejects(f.tokens.create({ name: 'x', roles: [{ role: 'sa-user' }], expiresInDays: 1 }, f.dir, 'dir-user'), { code: 'FORBIDDEN' }, 'directory users make no tokens');
  for (const bad of [{ name: 'x', roles: [{ role: 'sa-user' }], expiresInDays: 0 }, { name: 'x', roles: [{ role: 'sa-user' }], expiresInDays: 366 }, { name: '', roles: [{ role: 'sa-user' }], expiresInDays: 3 }, { name: 'x', roles: [], expiresInDays: 3 }, { name: 'x', roles: [{ role: 'va-user' }], expiresInDays: 3 }]) {
    await t.rejects(f.tokens.create(bad, f.admin, 'admin'), { code: 'INVALID_REQUEST' }, JSON.stringify(bad));
  }
  t.equal((await f.events()).length, before, 'refusals write nothing');
  t.equal(f.tokens.size, 1);

  const sub = await f.tokens.create({ name: 'lab', roles: [{ role: 'va-user', virtualAccountId: 'Default/Lab/Sub' }], expiresInDays: 2 }, f.labAdmin, 'lab-admin');
  t.same(sub.roles, [{ role: 'va-user', virtualAccount: { id: 'va_sub', path: 'Default/Lab/Sub' } }]);
});

t.test('authenticate(): expired, revoked, unknown, malformed and orphaned tokens are 401 with one event each', async (t) => {
  const f = await fixture(t);
  const a = await f.tokens.create({ name: 'a', roles: [{ role: 'viewer' }], expiresInDays: 1 }, f.admin, 'admin');
  const b = await f.tokens.create({ name: 'b', roles: [{ role: 'va-user', virtualAccountId: 'va_lab' }], expiresInDays: 5 }, f.labAdmin, 'lab-admin');
  const ok = await f.tokens.authenticate(a.token, '10.0.0.1');
  t.equal(ok.token.id, a.id);
  t.equal(ok.user.id, 'usr_admin');

  const count = async () => (await f.events()).filter((e) => e.type === 'api_token.auth_failed');
  await t.rejects(f.tokens.authenticate('oat_' + 'A'.repeat(43), '10.0.0.1'), { code: 'UNAUTHENTICATED' });
  await t.rejects(f.tokens.authenticate('nonsense', '10.0.0.1'), { code: 'UNAUTHENTICATED' });
  f.clock.advanceDays(1);
  await t.rejects(f.tokens.authenticate(a.token, '10.0.0.1'), { code: 'UNAUTHENTICATED' }, 'expired');
  await f.tokens.revoke(b.id, 'lab-admin');
  await t.rejects(f.tokens.authenticate(b.token, '10.0.0.1'), { code: 'UNAUTHENTICATED' }, 'revoked');
  const failed = await count();
  t.same(failed.map((e) => [e.actor, e.details.reason]), [
    ['api-token:unknown', 'unknown'],
    ['api-token:unknown', 'unknown'],
    [`api-token:${a.id}`, 'expired'],
    ['api-token:unknown', 'unknown'],
  ]);
  t.notOk(JSON.stringify(failed).includes(a.token.slice(4)), 'no secret in events');

  const c = await f.tokens.create({ name: 'c', roles: [{ role: 'viewer' }], expiresInDays: 5 }, f.admin, 'admin');
  f.state.deleteUser('usr_admin');
  await t.rejects(f.tokens.authenticate(c.token, '10.0.0.2'), { code: 'UNAUTHENTICATED' }, 'a deleted creator makes the token 401');
  t.equal((await count()).at(-1)!.details.reason, 'creator-deleted');
});

t.test('bearer failures count toward the per-address throttle', async (t) => {
  const f = await fixture(t);
  for (let i = 0; i < 5; i++) await t.rejects(f.tokens.authenticate(`oat_${String(i).padStart(43, 'x')}`, '10.9.9.9'), { code: 'UNAUTHENTICATED' });
  await t.rejects(f.tokens.authenticate('oat_' + 'y'.repeat(43), '10.9.9.9'), { code: 'LOGIN_THROTTLED' });
  await t.rejects(f.tokens.authenticate('oat_' + 'y'.repeat(43), '10.9.9.8'), { code: 'UNAUTHENTICATED' }, 'another address is not locked');
  // A known token guessed at from many addresses locks itself: 5 failures (here: expired).
  const a = await f.tokens.create({ name: 'a', roles: [{ role: 'viewer' }], expiresInDays: 1 }, f.admin, 'admin');
  f.clock.advanceDays(2);
  for (let i = 0; i < 5; i++) await t.rejects(f.tokens.authenticate(a.token, `10.1.1.${i}`), { code: 'UNAUTHENTICATED' });
  await t.rejects(f.tokens.authenticate(a.token, '10.1.1.99'), { code: 'LOGIN_THROTTLED' });
});

t.test('lastUsedAt is written in one batch per flush and read back after a restart', async (t) => {
  const dir = path.join(tempDir(t), 'db');
  {
    const f = await fixture(t, dir);
    const a = await f.tokens.create({ name: 'a', roles: [{ role: 'viewer' }], expiresInDays: 3 }, f.admin, 'admin');
    for (let i = 0; i < 50; i++) await f.tokens.authenticate(a.token, '127.0.0.1');
    t.equal(f.tokens.unflushed, 1, 'fifty uses, one pending write');
    t.equal(f.tokens.list(() => true)[0]!.lastUsedAt, '2026-11-28T10:00:00.000Z', 'shown before it is written');
    t.equal(await f.tokens.flushLastUsed(), 1);
    t.equal(await f.tokens.flushLastUsed(), 0);
    await f.writer.close();
    await f.store.close();
  }
  const store = new LevelStore(dir);
  await store.open();
  t.teardown(() => store.close());
  const rec = [];
  for await (const [, v] of store.iterate<{ lastUsedAt: string }>({ gte: keys.apiTokenPrefix, lt: keys.apiTokenPrefix + '\uffff' })) rec.push(v);
  t.equal(rec[0]!.lastUsedAt, '2026-11-28T10:00:00.000Z');
});
