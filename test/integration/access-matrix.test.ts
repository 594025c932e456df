// The role × action matrix through real HTTP: every admin route, every role (account-scope and
// VA-scope), on an object inside the caller's VAs and one outside, as a local user, as an API
// token, as a directory user (a real slapd, its groups mapped to the role) and as a single
// sign-on user (a real oidc-provider, its group claim mapped to the role). Each row names the
// roles that may; a test holds those lists to the role table, and another fails when the admin
// app serves a route that has no row here (add the row with the route).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { stageDevice } from '../../daemon/domain/devices/device-index.ts';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { encodeRequestCode } from '../../daemon/domain/licenses/core/index.ts';
import { ACCOUNT_WIDE, ACTIONS, ROLE_ACTIONS, ROLES, type Action } from '../../daemon/domain/access/roles.ts';
import { TOKEN_NEVER } from '../../daemon/domain/access/api-token-rights.ts';
import { THROTTLE_DEFAULTS } from '../../daemon/domain/access/login-throttle.ts';
import type { DeviceRecord, Role } from '../../daemon/domain/satellite/records.ts';
import { startSatellite, type Answer, type TestSatellite } from '../helpers/satellite.ts';
import { control } from '../helpers/control.ts';
import { AdminClient, PASSWORD, createUser, createVa, userClient } from '../helpers/admin.ts';
import { freePort, group, haveSlapd, PEOPLE, SERVICE_DN, startSlapd } from '../helpers/ldap.ts';
import { loginAtProvider, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startProvider } from '../helpers/oidc.ts';
import { http } from '../helpers/satellite.ts';
import { tempDir } from '../helpers/tmp.ts';

type Scope = 'in' | 'out';
/**
 * account: an account-level object; object: an existing object in a VA (404 outside the
 * caller's VAs, whatever the action); create: names a VA to create in (403 first when the role
 * may never do it); list: a scoped list (the object outside is left out); open: any session, or none.
 */
type Kind = 'account' | 'object' | 'create' | 'list' | 'open';

interface World {
  sat: TestSatellite;
  /** Per scope: the VA, a user whose one role is in it, and a token of it. */
  va: Record<Scope, { id: string; path: string; user: string; token: string }>;
  n: () => number;
}

interface Row {
  route: string;
  action: Action | 'none';
  kind: Kind;
  /** The roles that may (held to ROLE_ACTIONS below). */
  may: Role[];
  ok: number;
  run(c: AdminClient, w: World, scope: Scope): Promise<Answer>;
  /** For lists: is the object of `scope` in the answer? */
  holds?(a: Answer, w: World, scope: Scope): boolean;
  /** What an API token answers here when its action does not decide it (open rows about oneself); default: as its role. */
  asToken?: number;
  /** The same for a directory user and an SSO user (their password and tokens are not Outpost's to keep). */
  asDirectory?: number;
  asSso?: number;
}

const ALL: Role[] = [...ROLES];
const sock = (w: World, method: string, url: string, body?: unknown) => control(w.sat.socketPath, method, url, body);
const made = async (p: Promise<Answer>) => {
  const a = await p;
  if (a.status >= 300) throw new Error(`setup failed: ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
};
const token = (w: World, s: Scope) => made(sock(w, 'POST', '/api/tokens', { virtualAccountId: w.va[s].id }));
/** A collector target in the scope's VA, at an address of its own (nothing listens there). */
const targetBody = (w: World, s: Scope) => ({
  address: `https://127.0.0.1:${20000 + w.n()}`,
  username: 'collector',
  password: 'collector-password',
  virtualAccount: w.va[s].id,
  tls: { verify: false, ca: null, pin: null },
});
const targetIn = async (w: World, s: Scope): Promise<string> => (await made(sock(w, 'POST', '/api/collector/targets', targetBody(w, s)))).id;
const childVa = (w: World, s: Scope) => createVa(w.sat, `c${w.n()}`, w.va[s].id);
const vaUser = (w: World, s: Scope) => createUser(w.sat, `u${w.n()}`, [{ role: 'va-user', virtualAccountId: w.va[s].id }]);
/** A policy-mode device in the scope's VA, as policy mode records one (the pin is what reset-key clears). */
async function policyDeviceIn(w: World, s: Scope): Promise<string> {
  const id = `dev_matrix${w.n()}`;
  const device: DeviceRecord = {
    id,
    udi: { pid: 'C9200L-24T', sn: id },
    hostname: null,
    vaId: w.va[s].id,
    state: 'registered',
    via: 'policy',
    registeredAt: w.sat.clock().toISOString(),
    credentialId: null,
    revoked: false,
    keyThumbprint: 'matrix-thumbprint',
  };
  await w.sat.ctx.writer.run((tx) => stageDevice(tx, w.sat.ctx.state, undefined, device));
  return id;
}
/** The caller's own grants, as a body names them. */
const ownRoles = (me: any) => me.roles.map((g: any) => ({ role: g.role, ...(g.virtualAccount ? { virtualAccountId: g.virtualAccount.id } : {}) }));

/** A client that authenticates with an API token (Authorization: Bearer), never a cookie. */
class TokenClient extends AdminClient {
  constructor(base: string, readonly secret: string) {
    super(base);
    this.origin = null;
  }
  override async call<T = any>(method: string, url: string, body?: unknown, opts: { headers?: Record<string, string>; raw?: string; type?: string } = {}): Promise<Answer<T>> {
    return super.call<T>(method, url, body, { ...opts, headers: { authorization: `Bearer ${this.secret}`, ...opts.headers } });
  }
  override async login(): Promise<Answer> {
    return { status: 200, headers: {}, body: null };
  }
}

/** A user who signs in through single sign-on: the provider's login form, then the satellite's callback. */
class SsoClient extends AdminClient {
  constructor(base: string, readonly sub: string) {
    super(base);
  }
  override async login(): Promise<Answer> {
    const start = await http('GET', `${this.base}/api/sso/login`);
    if (start.status !== 302) return start;
    const sso = /outpost_sso=([^;]*)/.exec(String(start.headers['set-cookie']))![1]!;
    const back = await loginAtProvider(String(start.headers.location), this.sub, `${this.base}/api/sso/callback`);
    const done = await this.call('GET', back.pathname + back.search, undefined, { headers: { cookie: `outpost_sso=${sso}` } });
    return done.status === 302 ? { ...done, status: 200 } : done;
  }
}

const ids = (a: Answer) => (a.body.items ?? []).map((i: any) => i.id ?? i.key);

const LICENSED = 'matrix-entitlement';
const readers: Role[] = ['sa-admin', 'sa-user', 'va-admin', 'va-user', 'viewer'];
const writers: Role[] = ['sa-admin', 'sa-user', 'va-admin', 'va-user'];
const licensed = new WeakSet<World>();
/**
 * Once per world: a line of each scope's VA (ending in 30 days, so each VA also has an expiring
 * alert), a device and a reservation in each.
 */
async function licensedWorld(w: World): Promise<void> {
  if (licensed.has(w)) return;
  licensed.add(w);
  const now = w.sat.clock().getTime();
  await w.sat.services.licensing.applyEntitlementSnapshot(
    (['in', 'out'] as const).map((s) => ({
      lineId: `L-${s}`,
      sku: 'SKU',
      entitlement: LICENSED,
      description: '',
      quantity: 100_000,
      type: 'term' as const,
      startsAt: new Date(now - 86_400_000).toISOString(),
      endsAt: new Date(now + 30 * 86_400_000).toISOString(),
      virtualAccount: w.va[s].path,
    })),
    { actor: 'cloud' },
  );
  for (const s of ['in', 'out'] as const) {
    await deviceIn(w, s);
    await made(sock(w, 'POST', '/api/reservations', { requestCode: (await slrDevice(w)).requestCode, virtualAccount: w.va[s].id, licenses: [{ entitlement: LICENSED, count: 1 }] }));
  }
}
/** A token-registered device in the scope's VA. */
async function deviceIn(w: World, s: Scope): Promise<string> {
  const id = `dev_lic${w.n()}`;
  const device: DeviceRecord = { id, udi: { pid: 'C9300-24P', sn: id }, hostname: null, vaId: w.va[s].id, state: 'registered', via: 'token', registeredAt: w.sat.clock().toISOString(), credentialId: null, revoked: true };
  await w.sat.ctx.writer.run((tx) => stageDevice(tx, w.sat.ctx.state, undefined, device));
  return id;
}
/** A device of a closed network: its request code and how it signs a return code. */
async function slrDevice(w: World) {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const udi = { pid: 'C9300-24P', sn: `SLR${w.n()}` };
  const x = (await exportJWK(publicKey)).x!;
  return {
    requestCode: encodeRequestCode({ udi, nonce: `n${w.n()}`, jwk: { kty: 'OKP', crv: 'Ed25519', x } }),
    returnCode: (reservationId: string) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify({ udi, reservationId, returnedAt: w.sat.clock().toISOString() })))
        .setProtectedHeader({ alg: 'EdDSA', typ: 'outpost-slr-return+jws' })
        .sign(privateKey),
  };
}
/** The VA ids a list answer names (items' `virtualAccount.id`). */
const vaIdsOf = (a: Answer): string[] => (a.body.items ?? []).map((i: any) => i.virtualAccount?.id);

const ROWS: Row[] = [
  // Account-level.
  { route: 'GET /api/account', action: 'account.read', kind: 'account', may: ALL, ok: 200, run: (c) => c.call('GET', '/api/account') },
  { route: 'PATCH /api/account', action: 'account.write', kind: 'account', may: ['sa-admin', 'sa-approver'], ok: 200, run: (c, w) => c.call('PATCH', '/api/account', { name: `Account ${w.n()}` }) },
  {
    route: 'PATCH /api/account',
    action: 'account.type',
    kind: 'account',
    may: ['sa-admin'],
    ok: 200,
    run: async (c, w) => {
      await sock(w, 'PATCH', '/api/account', { type: 'customer' });
      return c.call('PATCH', '/api/account', { type: 'partner-holding' });
    },
  },
  { route: 'GET /api/status', action: 'account.read', kind: 'account', may: ALL, ok: 200, run: (c) => c.call('GET', '/api/status') },
  { route: 'GET /api/backup', action: 'backup', kind: 'account', may: [], ok: 200, run: (c) => c.call('GET', '/api/backup') },
  { route: 'GET /api/tags', action: 'va.read', kind: 'list', may: ALL, ok: 200, run: (c) => c.call('GET', '/api/tags') },
  { route: 'POST /api/tags', action: 'tags.write', kind: 'account', may: ['sa-admin'], ok: 201, run: (c, w) => c.call('POST', '/api/tags', { key: `k${w.n()}` }) },
  {
    route: 'DELETE /api/tags/:key',
    action: 'tags.write',
    kind: 'account',
    may: ['sa-admin'],
    ok: 204,
    run: async (c, w) => {
      const { key } = await made(sock(w, 'POST', '/api/tags', { key: `d${w.n()}` }));
      return c.call('DELETE', `/api/tags/${key}`);
    },
  },

  // Virtual accounts: created, renamed and deleted with rights on the parent (here the caller's VA).
  { route: 'GET /api/virtual-accounts', action: 'va.read', kind: 'list', may: ALL, ok: 200, run: (c) => c.call('GET', '/api/virtual-accounts?limit=1000'), holds: (a, w, s) => ids(a).includes(w.va[s].id) },
  { route: 'GET /api/virtual-accounts/:id', action: 'va.read', kind: 'object', may: ALL, ok: 200, run: (c, w, s) => c.call('GET', `/api/virtual-accounts/${w.va[s].id}`) },
  { route: 'POST /api/virtual-accounts', action: 'va.create', kind: 'create', may: ['sa-admin', 'va-admin'], ok: 201, run: (c, w, s) => c.call('POST', '/api/virtual-accounts', { name: `n${w.n()}`, parentId: w.va[s].id }) },
  {
    route: 'PATCH /api/virtual-accounts/:id',
    action: 'va.write',
    kind: 'object',
    may: ['sa-admin', 'va-admin'],
    ok: 200,
    run: async (c, w, s) => c.call('PATCH', `/api/virtual-accounts/${(await childVa(w, s)).id}`, { name: `r${w.n()}` }),
  },
  {
    route: 'DELETE /api/virtual-accounts/:id',
    action: 'va.delete',
    kind: 'object',
    may: ['sa-admin', 'va-admin'],
    ok: 204,
    run: async (c, w, s) => c.call('DELETE', `/api/virtual-accounts/${(await childVa(w, s)).id}`),
  },

  // Users: "in" is a user whose one role is a VA role in the caller's VA.
  { route: 'GET /api/users', action: 'users.read', kind: 'list', may: ['sa-admin', 'sa-approver', 'va-admin'], ok: 200, run: (c) => c.call('GET', '/api/users?limit=1000'), holds: (a, w, s) => ids(a).includes(w.va[s].user) },
  {
    route: 'POST /api/users',
    action: 'users.write',
    kind: 'create',
    may: ['sa-admin', 'va-admin'],
    ok: 201,
    run: (c, w, s) => c.call('POST', '/api/users', { username: `new${w.n()}`, password: 'initial password', roles: [{ role: 'va-user', virtualAccountId: w.va[s].id }] }),
  },
  {
    route: 'PATCH /api/users/:id',
    action: 'users.write',
    kind: 'object',
    may: ['sa-admin', 'va-admin'],
    ok: 200,
    run: (c, w, s) => c.call('PATCH', `/api/users/${w.va[s].user}`, { roles: [{ role: 'va-user', virtualAccountId: w.va[s].id }, { role: 'viewer', virtualAccountId: w.va[s].id }] }),
  },
  { route: 'DELETE /api/users/:id', action: 'users.write', kind: 'object', may: ['sa-admin', 'va-admin'], ok: 204, run: async (c, w, s) => c.call('DELETE', `/api/users/${(await vaUser(w, s)).id}`) },
  {
    route: 'POST /api/users/:id/password',
    action: 'users.write',
    kind: 'object',
    may: ['sa-admin', 'va-admin'],
    ok: 200,
    run: (c, w, s) => c.call('POST', `/api/users/${w.va[s].user}/password`, { newPassword: `set by another ${w.n()}` }),
  },
  {
    route: 'POST /api/users/:id/password',
    action: 'none',
    kind: 'open',
    may: ALL,
    ok: 200,
    asToken: 403,
    asDirectory: 403,
    asSso: 403,
    run: async (c) => {
      const me = (await c.call('GET', '/api/me')).body.id;
      const there = await c.call('POST', `/api/users/${me}/password`, { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` });
      if (there.status !== 200) return there;
      return c.call('POST', `/api/users/${me}/password`, { currentPassword: `${PASSWORD}!`, newPassword: PASSWORD });
    },
  },

  // License work: tokens.
  { route: 'GET /api/tokens', action: 'license.read', kind: 'list', may: ['sa-admin', 'sa-user', 'va-admin', 'va-user', 'viewer'], ok: 200, run: (c) => c.call('GET', '/api/tokens?limit=1000'), holds: (a, w, s) => ids(a).includes(w.va[s].token) },
  { route: 'POST /api/tokens', action: 'license.write', kind: 'create', may: ['sa-admin', 'sa-user', 'va-admin', 'va-user'], ok: 201, run: (c, w, s) => c.call('POST', '/api/tokens', { virtualAccountId: w.va[s].path }) },
  { route: 'DELETE /api/tokens/:id', action: 'license.write', kind: 'object', may: ['sa-admin', 'sa-user', 'va-admin', 'va-user'], ok: 200, run: async (c, w, s) => c.call('DELETE', `/api/tokens/${(await token(w, s)).id}`) },

  // License work: devices.
  {
    route: 'POST /api/devices/:id/reset-key',
    action: 'license.write',
    kind: 'object',
    may: ['sa-admin', 'sa-user', 'va-admin', 'va-user'],
    ok: 200,
    run: async (c, w, s) => c.call('POST', `/api/devices/${await policyDeviceIn(w, s)}/reset-key`),
  },

  { route: 'GET /api/devices', action: 'license.read', kind: 'list', may: readers, ok: 200, run: async (c, w) => (await licensedWorld(w), c.call('GET', '/api/devices?limit=1000')), holds: (a, w, s) => vaIdsOf(a).includes(w.va[s].id) },
  { route: 'GET /api/devices/:id', action: 'license.read', kind: 'object', may: readers, ok: 200, run: async (c, w, s) => c.call('GET', `/api/devices/${await deviceIn(w, s)}`) },
  { route: 'GET /api/devices/:id/reports', action: 'license.read', kind: 'object', may: readers, ok: 200, run: async (c, w, s) => c.call('GET', `/api/devices/${await deviceIn(w, s)}/reports`) },
  { route: 'DELETE /api/devices/:id', action: 'license.write', kind: 'object', may: writers, ok: 200, run: async (c, w, s) => c.call('DELETE', `/api/devices/${await deviceIn(w, s)}`) },
  {
    route: 'POST /api/devices/:id/move',
    action: 'license.write',
    kind: 'object',
    may: writers,
    ok: 200,
    run: async (c, w, s) => c.call('POST', `/api/devices/${await deviceIn(w, s)}/move`, { virtualAccount: (await childVa(w, s)).id }),
  },
  { route: 'POST /api/devices/:id/reinstate', action: 'license.write', kind: 'object', may: writers, ok: 200, run: async (c, w, s) => c.call('POST', `/api/devices/${await deviceIn(w, s)}/reinstate`) },

  // License work: pools, transfers, alerts, reports, reservations.
  { route: 'GET /api/licenses', action: 'license.read', kind: 'list', may: readers, ok: 200, run: async (c, w) => (await licensedWorld(w), c.call('GET', '/api/licenses?limit=1000')), holds: (a, w, s) => vaIdsOf(a).includes(w.va[s].id) },
  { route: 'GET /api/licenses/history', action: 'license.read', kind: 'list', may: readers, ok: 200, run: async (c, w) => (await licensedWorld(w), c.call('GET', '/api/licenses/history?limit=1000')) },
  { route: 'GET /api/licenses/lines', action: 'license.read', kind: 'list', may: readers, ok: 200, run: async (c, w) => (await licensedWorld(w), c.call('GET', '/api/licenses/lines?limit=1000')), holds: (a, w, s) => vaIdsOf(a).includes(w.va[s].id) },
  {
    route: 'POST /api/licenses/transfer',
    action: 'license.write',
    kind: 'create',
    may: writers,
    ok: 201,
    run: async (c, w, s) => {
      await licensedWorld(w);
      return c.call('POST', '/api/licenses/transfer', { entitlement: LICENSED, quantity: 1, from: w.va[s].id, to: (await childVa(w, s)).id });
    },
  },
  { route: 'GET /api/alerts', action: 'license.read', kind: 'list', may: readers, ok: 200, run: async (c, w) => (await licensedWorld(w), c.call('GET', '/api/alerts?limit=1000')), holds: (a, w, s) => vaIdsOf(a).includes(w.va[s].id) },
  ...['licenses', 'subscriptions', 'devices'].map(
    (report): Row => ({
      route: `GET /api/reports/${report}`,
      action: 'license.read',
      kind: 'list',
      may: readers,
      ok: 200,
      run: async (c, w) => (await licensedWorld(w), c.call('GET', `/api/reports/${report}?format=csv`)),
      holds: (a, w, s) => String(a.body).includes(w.va[s].id),
    }),
  ),
  { route: 'GET /api/reservations', action: 'license.read', kind: 'list', may: readers, ok: 200, run: async (c, w) => (await licensedWorld(w), c.call('GET', '/api/reservations?limit=1000')), holds: (a, w, s) => vaIdsOf(a).includes(w.va[s].id) },
  {
    route: 'POST /api/reservations',
    action: 'license.write',
    kind: 'create',
    may: writers,
    ok: 201,
    run: async (c, w, s) => {
      await licensedWorld(w);
      return c.call('POST', '/api/reservations', { requestCode: (await slrDevice(w)).requestCode, virtualAccount: w.va[s].id, licenses: [{ entitlement: LICENSED, count: 1 }] });
    },
  },
  {
    route: 'POST /api/reservations/return',
    action: 'license.write',
    kind: 'object',
    may: writers,
    ok: 200,
    run: async (c, w, s) => {
      await licensedWorld(w);
      const device = await slrDevice(w);
      const { reservationId } = await made(sock(w, 'POST', '/api/reservations', { requestCode: device.requestCode, virtualAccount: w.va[s].id, licenses: [{ entitlement: LICENSED, count: 1 }] }));
      return c.call('POST', '/api/reservations/return', { returnCode: await device.returnCode(reservationId) });
    },
  },

  // The event log: "in" is the event that created the caller's VA.
  {
    route: 'GET /api/events',
    action: 'events.read',
    kind: 'list',
    may: ['sa-admin', 'sa-approver', 'sa-user', 'va-admin', 'viewer'],
    ok: 200,
    run: (c) => c.call('GET', '/api/events?type=virtual-account.created&limit=1000'),
    holds: (a, w, s) => a.body.items.some((e: any) => e.virtualAccount?.id === w.va[s].id),
  },

  // The exchange. A permitted caller reaches the handler: with no cloud configured, a network
  // sync and an import answer 409 EXCHANGE_NOT_CONFIGURED.
  { route: 'GET /api/sync', action: 'sync.read', kind: 'account', may: ['sa-admin', 'sa-user', 'viewer'], ok: 200, run: (c) => c.call('GET', '/api/sync') },
  { route: 'GET /api/sync/history', action: 'sync.read', kind: 'account', may: ['sa-admin', 'sa-user', 'viewer'], ok: 200, run: (c) => c.call('GET', '/api/sync/history') },
  { route: 'POST /api/sync', action: 'sync.run', kind: 'account', may: ['sa-admin', 'sa-user'], ok: 409, run: (c) => c.call('POST', '/api/sync') },
  { route: 'GET /api/quarantine', action: 'sync.read', kind: 'account', may: ['sa-admin', 'sa-user', 'viewer'], ok: 200, run: (c) => c.call('GET', '/api/quarantine') },
  // Nothing is quarantined in this world: those who may get 404 for an unknown report, the rest 403 first.
  { route: 'DELETE /api/quarantine/:reportId', action: 'sync.run', kind: 'account', may: ['sa-admin', 'sa-user'], ok: 404, run: (c) => c.call('DELETE', '/api/quarantine/00000000-0000-4000-8000-000000000000') },
  { route: 'POST /api/sync/export', action: 'sync.run', kind: 'account', may: ['sa-admin', 'sa-user'], ok: 200, run: (c) => c.call('POST', '/api/sync/export') },
  { route: 'POST /api/sync/import', action: 'sync.run', kind: 'account', may: ['sa-admin', 'sa-user'], ok: 409, run: (c) => c.call('POST', '/api/sync/import', undefined, { raw: 'not a zip', type: 'application/zip' }) },
  { route: 'POST /api/registration', action: 'sync.register', kind: 'account', may: ['sa-admin'], ok: 200, run: (c) => c.call('POST', '/api/registration', { token: 'reg-token-0123456789', offline: true }) },
  { route: 'GET /api/time', action: 'account.read', kind: 'account', may: ['sa-admin', 'sa-approver', 'sa-user', 'va-admin', 'va-user', 'viewer'], ok: 200, run: (c) => c.call('GET', '/api/time') },
  { route: 'POST /api/time/confirm', action: 'clock.confirm', kind: 'account', may: ['sa-admin'], ok: 200, run: (c) => c.call('POST', '/api/time/confirm', {}) },

  // The pull collector (SPEC §9): targets as devices are (reading them takes license.read in their
  // VA, managing them license.write); the RUM files as the exchange's (sync.run). Each target has
  // an address of its own on loopback, where nothing answers: a poll fails in the background.
  { route: 'GET /api/collector/targets', action: 'license.read', kind: 'list', may: readers, ok: 200, run: async (c, w, s) => (await targetIn(w, s), c.call('GET', '/api/collector/targets?limit=1000')), holds: (a, w, s) => (a.body.items as Array<{ virtualAccount: { id: string } }>).some((t) => t.virtualAccount.id === w.va[s].id) },
  { route: 'GET /api/collector/targets/:id', action: 'license.read', kind: 'object', may: readers, ok: 200, run: async (c, w, s) => c.call('GET', `/api/collector/targets/${await targetIn(w, s)}`) },
  { route: 'POST /api/collector/targets', action: 'license.write', kind: 'create', may: writers, ok: 201, run: (c, w, s) => c.call('POST', '/api/collector/targets', targetBody(w, s)) },
  { route: 'PATCH /api/collector/targets/:id', action: 'license.write', kind: 'object', may: writers, ok: 200, run: async (c, w, s) => c.call('PATCH', `/api/collector/targets/${await targetIn(w, s)}`, { username: 'collector2' }) },
  { route: 'DELETE /api/collector/targets/:id', action: 'license.write', kind: 'object', may: writers, ok: 204, run: async (c, w, s) => c.call('DELETE', `/api/collector/targets/${await targetIn(w, s)}`) },
  { route: 'POST /api/collector/poll', action: 'license.write', kind: 'object', may: writers, ok: 202, run: async (c, w, s) => c.call('POST', '/api/collector/poll', { targets: [await targetIn(w, s)] }) },
  { route: 'POST /api/collector/rum/export', action: 'sync.run', kind: 'account', may: ['sa-admin', 'sa-user'], ok: 200, run: (c) => c.call('POST', '/api/collector/rum/export') },
  // A document that is not an acknowledgement: those who may get 400 for it, the rest 403 first.
  { route: 'POST /api/collector/rum/import-ack', action: 'sync.run', kind: 'account', may: ['sa-admin', 'sa-user'], ok: 400, run: (c) => c.call('POST', '/api/collector/rum/import-ack', undefined, { raw: '<not-an-ack/>', type: 'application/xml' }) },

  // API tokens (SPEC §11): one's own, within one's roles; a token makes, lists and revokes none.
  { route: 'GET /api/api-tokens', action: 'none', kind: 'open', may: ALL, ok: 200, asToken: 403, run: (c) => c.call('GET', '/api/api-tokens') },
  {
    route: 'POST /api/api-tokens',
    action: 'none',
    kind: 'open',
    may: ALL,
    ok: 201,
    asToken: 403,
    asDirectory: 403,
    asSso: 403,
    run: async (c) => c.call('POST', '/api/api-tokens', { name: 'matrix', roles: ownRoles((await c.call('GET', '/api/me')).body), expiresInDays: 1 }),
  },
  {
    route: 'DELETE /api/api-tokens/:id',
    action: 'none',
    kind: 'open',
    may: ALL,
    ok: 204,
    asToken: 403,
    // A directory or SSO user has no tokens (none can be made for it): there is none to revoke.
    asDirectory: 404,
    asSso: 404,
    run: async (c, w) => {
      const me = (await c.call('GET', '/api/me')).body;
      const mine = await sock(w, 'POST', `/api/api-tokens?user=${encodeURIComponent(me.username)}`, { name: 'matrix', roles: ownRoles(me), expiresInDays: 1 });
      return c.call('DELETE', `/api/api-tokens/${mine.status === 201 ? mine.body.id : 'atk_none'}`);
    },
  },
  // One's own sessions; "sign out everywhere" logs the caller out, so it logs in again.
  { route: 'GET /api/users/:id/sessions', action: 'none', kind: 'open', may: ALL, ok: 200, asToken: 403, run: async (c) => c.call('GET', `/api/users/${(await c.call('GET', '/api/me')).body.id}/sessions`) },
  {
    route: 'DELETE /api/users/:id/sessions',
    action: 'none',
    kind: 'open',
    may: ALL,
    ok: 204,
    asToken: 403,
    run: async (c) => {
      const me = (await c.call('GET', '/api/me')).body;
      const ended = await c.call('DELETE', `/api/users/${me.id}/sessions`);
      if (ended.status === 204) await c.login(me.username, PASSWORD);
      return ended;
    },
  },
  // Single sign-on is on here: anyone may start it; a callback without its sign-in cookie is refused.
  { route: 'GET /api/sso', action: 'none', kind: 'open', may: ALL, ok: 200, asToken: 200, run: (c) => c.call('GET', '/api/sso') },
  { route: 'GET /api/sso/login', action: 'none', kind: 'open', may: ALL, ok: 302, asToken: 302, run: (c) => c.call('GET', '/api/sso/login') },
  // Each refused callback is a failed sign-in from 127.0.0.1, and 20 in 15 minutes lock the
  // address: the clock moves past the throttle's window first, so that every caller gets the 401.
  {
    route: 'GET /api/sso/callback',
    action: 'none',
    kind: 'open',
    may: ALL,
    ok: 401,
    asToken: 401,
    run: (c, w) => {
      w.sat.clock.set(new Date(w.sat.clock().getTime() + THROTTLE_DEFAULTS.windowMs + 1000));
      return c.call('GET', '/api/sso/callback?code=x&state=y');
    },
  },
  // Notifications (SPEC §10): the summary for every reader, deliveries and tests for sa-admin (no
  // channel configured here, so a permitted test answers 409 NOTIFY_NOT_CONFIGURED).
  { route: 'GET /api/summary', action: 'none', kind: 'open', may: ALL, ok: 200, run: (c) => c.call('GET', '/api/summary') },
  { route: 'GET /api/notifications/deliveries', action: 'notify.manage', kind: 'account', may: ['sa-admin'], ok: 200, run: (c) => c.call('GET', '/api/notifications/deliveries') },
  { route: 'POST /api/notifications/test', action: 'notify.manage', kind: 'account', may: ['sa-admin'], ok: 409, run: (c) => c.call('POST', '/api/notifications/test', { channel: 'syslog' }) },

  // Sessions and documents.
  { route: 'PATCH /api/me', action: 'none', kind: 'open', may: ALL, ok: 200, run: (c) => c.call('PATCH', '/api/me', { notifications: { summary: true } }) },
  { route: 'GET /api/me', action: 'none', kind: 'open', may: ALL, ok: 200, run: (c) => c.call('GET', '/api/me') },
  // An SSO user has no password here: the login form refuses it.
  {
    route: 'POST /api/login',
    action: 'none',
    kind: 'open',
    may: ALL,
    ok: 200,
    asToken: 200,
    asSso: 401,
    run: async (c) => {
      if (c instanceof TokenClient) return { status: 200, headers: {}, body: null };
      const { username } = (await c.call('GET', '/api/me')).body;
      return c instanceof SsoClient ? new AdminClient(c.base).login(username, PASSWORD) : c.login(username, PASSWORD);
    },
  },
  { route: 'POST /api/logout', action: 'none', kind: 'open', may: ALL, ok: 204, run: (c) => new AdminClient(c.base).call('POST', '/api/logout') },
  { route: 'GET /api/openapi.json', action: 'none', kind: 'open', may: ALL, ok: 200, run: (c) => c.call('GET', '/api/openapi.json') },
  ...['/', '/index.html', '/app.js', '/app.css', '/favicon.svg'].map(
    (path): Row => ({ route: `GET ${path}`, action: 'none', kind: 'open', may: ALL, ok: 200, run: (c) => c.call('GET', path) }),
  ),
  { route: 'GET /healthz', action: 'none', kind: 'open', may: ALL, ok: 200, run: (c) => c.call('GET', '/healthz') },
  { route: 'GET /metrics', action: 'none', kind: 'open', may: ALL, ok: 200, run: (c) => c.call('GET', '/metrics') },
];

/** Actions no admin route uses yet; when a route for one is added, it leaves this list. */
const NOT_YET_ROUTED: Action[] = [];

interface Caller {
  name: string;
  role: Role;
  vaScoped: boolean;
  /** An API token holding the role, made by a user holding the same role. */
  token?: boolean;
  /** A user of the directory or of single sign-on, its role mapped from a group. */
  source?: 'ldap' | 'oidc';
}
const USERS: Caller[] = [
  ...ROLES.map((role) => ({ name: role, role, vaScoped: role === 'va-admin' || role === 'va-user' })),
  { name: 'viewer@va', role: 'viewer', vaScoped: true },
];
const CALLERS: Caller[] = [
  ...USERS,
  ...USERS.map((c) => ({ ...c, name: `token:${c.name}`, token: true })),
  ...USERS.map((c): Caller => ({ ...c, name: `ldap:${c.name}`, source: 'ldap' })),
  ...USERS.map((c): Caller => ({ ...c, name: `sso:${c.name}`, source: 'oidc' })),
];
/** The directory group (cn) or SSO group claim that maps to a caller's role: `m-va-admin`, `m-viewer-va`. */
const groupOf = (c: Caller) => `m-${c.name.replace('@', '-')}`;
/** The directory uid, or the SSO account's login, of a caller. */
const externalName = (c: Caller) => `${c.source === 'ldap' ? 'dir' : 'sso'}-${c.name.replace(/^(ldap|sso):/, '').replace('@', '-')}`;

function expected(row: Row, caller: Caller, scope: Scope): { status: number; holds?: boolean } {
  // A token never manages users or passwords, whatever its roles (TOKEN_NEVER).
  const has = row.may.includes(caller.role) && !(caller.token && TOKEN_NEVER.has(row.action));
  switch (row.kind) {
    case 'open': {
      const special = caller.token ? row.asToken : caller.source === 'ldap' ? row.asDirectory : caller.source === 'oidc' ? row.asSso : undefined;
      return { status: special ?? row.ok };
    }
    case 'account':
      return { status: has && (!caller.vaScoped || ACCOUNT_WIDE.has(row.action as Action)) ? row.ok : 403 };
    case 'object':
      if (caller.vaScoped && scope === 'out') return { status: 404 };
      return { status: has ? row.ok : 403 };
    case 'create':
      if (!has) return { status: 403 };
      if (caller.vaScoped && scope === 'out') return { status: 404 };
      return { status: row.ok };
    case 'list':
      if (!has) return { status: 403 };
      return { status: row.ok, holds: !(caller.vaScoped && scope === 'out') };
  }
}

t.test('each row names exactly the roles the role table gives its action', async (t) => {
  for (const row of ROWS) {
    if (row.action === 'none') continue;
    const fromTable = ROLES.filter((r) => ROLE_ACTIONS[r].has(row.action as Action));
    t.same([...row.may].sort(), fromTable.sort(), `${row.route} (${row.action})`);
  }
  const covered = new Set(ROWS.map((r) => r.action));
  for (const action of ACTIONS) {
    if (NOT_YET_ROUTED.includes(action)) t.notOk(covered.has(action), `${action} has a row now: remove it from NOT_YET_ROUTED`);
    else t.ok(covered.has(action), `action ${action} has a row`);
  }
});

t.test('every role × every route, in scope and out of scope, through HTTP', async (t) => {
  // The directory and the provider map one group per caller to its role; VA-scoped roles name
  // the VA by path (it is made below, before anyone signs in).
  const directory = haveSlapd(t);
  const external = USERS.map((c) => ({ ...c, mapped: c.vaScoped ? { role: c.role, virtualAccount: 'Default/In' } : { role: c.role } }));
  const slapd = directory
    ? await startSlapd(t, {
        users: Object.fromEntries(external.map((c) => [externalName({ ...c, source: 'ldap' }), { password: PASSWORD, groups: [groupOf(c)] }])),
        groups: external.map(groupOf),
      })
    : null;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const op = await startProvider(
    t,
    `${origin}/api/sso/callback`,
    Object.fromEntries(external.map((c) => [`sub-${externalName({ ...c, source: 'oidc' })}`, { preferred_username: externalName({ ...c, source: 'oidc' }), groups: [groupOf(c)] }])),
  );
  const secretFile = path.join(tempDir(t), 'oidc-secret');
  writeFileSync(secretFile, OIDC_CLIENT_SECRET);
  const sat = await startSatellite(t, {
    config: {
      'admin.listen': `127.0.0.1:${port}`,
      'admin.publicOrigin': origin,
      // Sessions outlast the hours the SSO callback row moves the clock on.
      'admin.session.idleMinutes': 1440,
      'admin.session.absoluteHours': 168,
      'auth.oidc': { issuer: op.issuer, clientId: OIDC_CLIENT_ID, clientSecretFile: secretFile, roleMap: external.map((c) => ({ group: groupOf(c), ...c.mapped })) },
      ...(slapd
        ? {
            'auth.ldap': {
              url: slapd.url,
              startTls: true,
              caFile: slapd.caFile,
              bindDn: SERVICE_DN,
              bindPasswordFile: slapd.bindPasswordFile,
              userBase: PEOPLE,
              roleMap: external.map((c) => ({ group: group(groupOf(c)), ...c.mapped })),
            },
          }
        : {}),
    },
  });
  let counter = 0;
  const n = () => ++counter;
  const def = (await control(sat.socketPath, 'GET', '/api/virtual-accounts/Default')).body;
  const vaIn = await createVa(sat, 'In', def.id);
  const vaOut = await createVa(sat, 'Out', def.id);
  const va = {} as World['va'];
  for (const [s, v] of [['in', vaIn], ['out', vaOut]] as const) {
    const user = (await createUser(sat, `target-${s}`, [{ role: 'va-user', virtualAccountId: v.id }])).id;
    const tok = (await made(control(sat.socketPath, 'POST', '/api/tokens', { virtualAccountId: v.id }))).id;
    va[s] = { id: v.id, path: v.path, user, token: tok };
  }
  const w: World = { sat, va, n };

  // The route list: every served route has a row; every row names a served route.
  const served = new Set(sat.routes.admin.map((r) => `${r.method} ${r.path}`));
  const rows = new Set(ROWS.map((r) => r.route));
  for (const r of served) t.ok(rows.has(r), `route ${r} has a row in the access matrix`);
  for (const r of rows) t.ok(served.has(r), `row ${r} names a served route`);

  const clients = new Map<string, AdminClient>();
  for (const caller of USERS) {
    const grant = caller.vaScoped ? { role: caller.role, virtualAccountId: vaIn.id } : { role: caller.role };
    const username = `as-${caller.name.replace('@', '-')}`;
    clients.set(caller.name, (await userClient(sat, username, [grant])).client);
    // The same rights through an API token its user makes (bounded by that user's roles).
    const tok = await made(control(sat.socketPath, 'POST', `/api/api-tokens?user=${username}`, { name: 'matrix', roles: [grant], expiresInDays: 30 }));
    clients.set(`token:${caller.name}`, new TokenClient(sat.admin, tok.token));
  }
  // Directory and SSO users: made at their first sign-in, with the role their group maps to.
  for (const caller of CALLERS.filter((c) => c.source !== undefined)) {
    if (caller.source === 'ldap' && !slapd) continue;
    const name = externalName(caller);
    const client = caller.source === 'ldap' ? new AdminClient(sat.admin) : new SsoClient(sat.admin, `sub-${name}`);
    const res = await client.login(name, PASSWORD);
    if (res.status !== 200) throw new Error(`${caller.name} could not sign in: ${res.status} ${JSON.stringify(res.body)}`);
    const me = (await client.call('GET', '/api/me')).body;
    t.same(
      me.roles.map((g: any) => [g.role, g.virtualAccount?.id ?? null]),
      [[caller.role, caller.vaScoped ? vaIn.id : null]],
      `${caller.name} holds the role its group maps to`,
    );
    t.equal(me.source, caller.source);
    clients.set(caller.name, client);
  }

  for (const row of ROWS) {
    for (const caller of CALLERS) {
      if (!clients.has(caller.name)) continue; // the directory's callers, where slapd is missing (and CI is not: haveSlapd failed it)
      for (const scope of ['in', 'out'] as const) {
        if (scope === 'out' && (row.kind === 'account' || row.kind === 'open')) continue;
        const want = expected(row, caller, scope);
        const got = await row.run(clients.get(caller.name)!, w, scope);
        const label = `${row.route} [${row.action}] as ${caller.name}, ${scope} scope`;
        t.equal(got.status, want.status, `${label}: ${JSON.stringify(got.body).slice(0, 160)}`);
        if (want.status >= 400 && want.status !== row.ok && want.status !== 401) t.equal(got.body?.error?.code, want.status === 404 ? 'NOT_FOUND' : 'FORBIDDEN', label);
        if (want.holds !== undefined && row.holds) t.equal(row.holds(got, w, scope), want.holds, `${label}: the object is ${want.holds ? '' : 'not '}listed`);
      }
    }
  }
});
