// The OpenAPI 3.1 document of the admin API (admin listener and control socket) and the device
// API (device listener), served at GET /api/openapi.json. Request bodies come from the same zod
// schemas the routes validate with; a test fails when a served route is missing here.
import { z } from 'zod';
import { patchAccountBody } from '../domain/accounts/account.ts';
import { loginBody } from '../domain/access/sign-in.ts';
import { createApiTokenBody } from '../domain/access/api-tokens.ts';
import { registerBody } from '../domain/devices/registration.ts';
import { reportPayload } from '../domain/reports/ingest.ts';
import { createTagBody } from '../domain/accounts/tags.ts';
import { createTokenBody } from '../domain/devices/tokens.ts';
import { createUserBody, passwordBody, patchMeBody, patchUserBody } from '../domain/access/users.ts';
import { createVaBody, patchVaBody } from '../domain/accounts/virtual-accounts.ts';
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const fromZod = (schema: z.ZodType): Schema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return rest;
};
const nullable = (s: Schema): Schema => ({ oneOf: [s, { type: 'null' }] });
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const iso: Schema = { type: 'string', format: 'date-time' };
const page = (item: string): Schema => ({
  type: 'object',
  required: ['items', 'next'],
  properties: { items: { type: 'array', items: ref(item) }, next: nullable(str) },
});
const vaRef: Schema = { type: 'object', required: ['id', 'path'], properties: { id: str, path: str } };

const TARGET_BODY: Schema = {
  type: 'object',
  required: ['address', 'username', 'password'],
  properties: {
    address: { type: 'string', description: 'https://host[:port]' },
    username: str,
    password: { type: 'string', writeOnly: true },
    virtualAccount: str,
    tls: { type: 'object', properties: { verify: { type: 'boolean' }, ca: nullable(str), pin: nullable(str) }, additionalProperties: false },
  },
  additionalProperties: false,
};

interface OpSpec {
  summary: string;
  tag: string;
  /** session: a session cookie on the admin listener (none on the control socket); device: the bearer credential. */
  auth: 'session' | 'none' | 'device';
  params?: string[];
  query?: Array<[name: string, description: string]>;
  body?: Schema;
  bodyType?: string;
  ok: { status: number; schema?: Schema; type?: string; description?: string };
  errors?: ErrorCode[];
}

const PAGE_QUERY: Array<[string, string]> = [
  ['limit', 'items per page, 1–1000 (default 100)'],
  ['cursor', 'the `next` of the previous page'],
];

function op(s: OpSpec): Schema {
  const codes = new Set<ErrorCode>(s.errors ?? []);
  if (s.auth === 'session') codes.add('UNAUTHENTICATED');
  if (s.body) codes.add('INVALID_REQUEST');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERROR_STATUS[c], [...(byStatus.get(ERROR_STATUS[c]) ?? []), c]);
  const responses: Schema = {
    [String(s.ok.status)]: {
      description: s.ok.description ?? 'OK',
      ...(s.ok.schema ? { content: { [s.ok.type ?? 'application/json']: { schema: s.ok.schema } } } : {}),
    },
  };
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = { description: list.join(', '), content: { 'application/json': { schema: ref('Error') } } };
  }
  const parameters = [
    ...(s.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: str })),
    ...(s.query ?? []).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: str })),
  ];
  return {
    summary: s.summary,
    tags: [s.tag],
    security: s.auth === 'session' ? [{ session: [] }] : s.auth === 'device' ? [{ device: [] }] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(s.body ? { requestBody: { required: true, content: { [s.bodyType ?? 'application/json']: { schema: s.body } } } } : {}),
    responses,
  };
}

const deviceServer = [{ url: 'http://{host}:8182', description: 'the device listener', variables: { host: { default: 'localhost' } } }];
const LIST = (item: string, summary: string, tag: string, extra: Array<[string, string]> = [], errors: ErrorCode[] = ['FORBIDDEN']) =>
  op({ summary, tag, auth: 'session', query: [...extra, ...PAGE_QUERY], ok: { status: 200, schema: page(item) }, errors: ['INVALID_REQUEST', ...errors] });

/** Builds the document (cheap; the route caches it). */
export function openApiDocument(version: string): Schema {
  const paths: Record<string, Record<string, unknown>> = {
    '/healthz': {
      get: op({ summary: 'Liveness: 200 while serving, 503 with a reason while opening or closing, and `{"status":"unavailable","reason":"STORAGE_UNAVAILABLE"}` while the store cannot write (both listeners)', tag: 'operations', auth: 'none', ok: { status: 200, schema: { type: 'object', properties: { status: str, reason: str } } }, errors: ['UNAVAILABLE', 'STORAGE_UNAVAILABLE'] }),
    },
    '/metrics': {
      get: op({ summary: 'Prometheus metrics (VAs labelled by id)', tag: 'operations', auth: 'none', ok: { status: 200, type: 'text/plain', schema: str } }),
    },
    // The dashboard: a fixed set of built files, no session needed to fetch them.
    ...Object.fromEntries(
      [
        ['/', 'text/html', 'The dashboard page'],
        ['/index.html', 'text/html', 'The dashboard page'],
        ['/app.js', 'text/javascript', "The dashboard's script"],
        ['/app.css', 'text/css', "The dashboard's styles"],
        ['/favicon.svg', 'image/svg+xml', "The dashboard's icon"],
      ].map(([p, type, summary]) => [p, { get: op({ summary: summary!, tag: 'dashboard', auth: 'none', ok: { status: 200, type, schema: str } }) }]),
    ),
    '/api/openapi.json': {
      get: op({ summary: 'This document', tag: 'operations', auth: 'none', ok: { status: 200, schema: { type: 'object' } } }),
    },
    '/api/login': {
      post: op({
        summary: 'Log in: sets the session cookie (HttpOnly, SameSite=Strict; Secure under TLS) with a new id',
        tag: 'sessions',
        auth: 'none',
        body: fromZod(loginBody),
        ok: { status: 200, schema: ref('Me') },
        errors: ['UNAUTHENTICATED', 'ORIGIN_MISMATCH', 'LOGIN_THROTTLED', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'],
      }),
    },
    '/api/logout': {
      post: op({ summary: 'Log out: ends the session and clears the cookie', tag: 'sessions', auth: 'none', ok: { status: 204, description: 'Logged out' }, errors: ['ORIGIN_MISMATCH'] }),
    },
    '/api/sso': {
      get: op({ summary: 'Whether single sign-on is configured (the login page shows "Sign in with SSO")', tag: 'sessions', auth: 'none', ok: { status: 200, schema: { type: 'object', properties: { enabled: { type: 'boolean' } } } } }),
    },
    '/api/sso/login': {
      get: op({ summary: 'Start single sign-on: redirects to the provider and sets the single-use attempt cookie (HttpOnly, SameSite=Lax)', tag: 'sessions', auth: 'none', ok: { status: 302, description: 'To the provider' }, errors: ['NOT_FOUND', 'DIRECTORY_UNAVAILABLE'] }),
    },
    '/api/sso/callback': {
      get: op({
        summary: 'The provider\'s redirect back: checks state, nonce and the ID token, sets the session cookie, redirects to the dashboard',
        tag: 'sessions',
        auth: 'none',
        query: [['code', 'from the provider'], ['state', 'from the provider']],
        ok: { status: 302, description: 'To the dashboard' },
        errors: ['UNAUTHENTICATED', 'NO_ROLE', 'NAME_TAKEN', 'LIMIT_REACHED', 'LOGIN_THROTTLED', 'NOT_FOUND', 'INVALID_REQUEST', 'DIRECTORY_UNAVAILABLE'],
      }),
    },
    '/api/api-tokens': {
      get: LIST('ApiToken', 'The caller\'s API tokens (an sa-admin, and the control socket, see all)', 'api-tokens'),
      post: op({
        summary: 'Create an API token within the caller\'s own rights (on the control socket: for `?user=USERNAME`); the answer carries its secret as `token`, this once',
        tag: 'api-tokens',
        auth: 'session',
        query: [['user', 'control socket only: the user the token acts for']],
        body: fromZod(createApiTokenBody),
        ok: { status: 201, schema: ref('ApiTokenCreated') },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'ORIGIN_MISMATCH'],
      }),
    },
    '/api/api-tokens/{id}': {
      delete: op({ summary: 'Revoke an API token (one\'s own; an sa-admin, any)', tag: 'api-tokens', auth: 'session', params: ['id'], ok: { status: 204, description: 'Revoked' }, errors: ['FORBIDDEN', 'NOT_FOUND', 'ORIGIN_MISMATCH'] }),
    },
    '/api/me': {
      get: op({ summary: 'Who is logged in (answers even while the password must be changed)', tag: 'sessions', auth: 'session', ok: { status: 200, schema: ref('Me') } }),
      patch: op({
        summary: 'Set one\'s own notification address and settings (SPEC §10)',
        tag: 'sessions',
        auth: 'session',
        body: fromZod(patchMeBody),
        ok: { status: 200, schema: ref('Me') },
        errors: ['INVALID_REQUEST', 'ORIGIN_MISMATCH', 'PASSWORD_CHANGE_REQUIRED'],
      }),
    },
    '/api/summary': {
      get: op({ summary: 'The summary (SPEC §10) of the caller\'s scope: pools, lines ending, silent devices, sync, lapse, alerts', tag: 'notifications', auth: 'session', ok: { status: 200, schema: { type: 'object' } }, errors: ['FORBIDDEN'] }),
    },
    '/api/notifications/deliveries': {
      get: op({ summary: 'Notification deliveries, newest first, with state and last error (sa-admin)', tag: 'notifications', auth: 'session', query: [['limit', '1–1000'], ['cursor', 'from `next`']], ok: { status: 200, schema: { type: 'object' } }, errors: ['FORBIDDEN', 'INVALID_REQUEST'] }),
    },
    '/api/notifications/test': {
      post: op({
        summary: 'Queue a test notification on a channel (sa-admin)',
        tag: 'notifications',
        auth: 'session',
        body: { type: 'object', required: ['channel'], properties: { channel: { type: 'string', enum: ['email', 'syslog', 'webhook'] }, to: str }, additionalProperties: false },
        ok: { status: 202, schema: { type: 'object' } },
        errors: ['FORBIDDEN', 'INVALID_REQUEST', 'NOTIFY_NOT_CONFIGURED'],
      }),
    },
    '/api/status': {
      get: op({ summary: 'What `outpost status` prints', tag: 'operations', auth: 'session', ok: { status: 200, schema: { type: 'object' } }, errors: ['FORBIDDEN'] }),
    },
    '/api/backup': {
      get: op({ summary: 'A consistent dump of the database and the key (control socket only)', tag: 'operations', auth: 'session', ok: { status: 200, type: 'application/x-ndjson', schema: str }, errors: ['FORBIDDEN'] }),
    },
    '/api/time': {
      get: op({ summary: 'The clock, the store\'s high-water mark of time, and whether clock-suspect stands', tag: 'account', auth: 'session', ok: { status: 200, schema: { type: 'object', required: ['now', 'highWater', 'suspect'], properties: { now: iso, highWater: nullable(iso), suspect: nullable({ type: 'object', properties: { since: iso, reason: str } }) } } }, errors: ['FORBIDDEN'] }),
    },
    '/api/time/confirm': {
      post: op({
        summary: 'Say the clock is right: clears clock-suspect and sets the high-water mark to now; with `undo`, reinstates the devices (and the registration) the lapse or the silent-device rule deregistered while it stood (sa-admin)',
        tag: 'account',
        auth: 'session',
        body: { type: 'object', properties: { undo: { type: 'boolean' } }, additionalProperties: false },
        ok: { status: 200, schema: { type: 'object', required: ['undo', 'reinstated', 'registrationRestored'], properties: { undo: { type: 'boolean' }, reinstated: int, registrationRestored: { type: 'boolean' } } } },
        errors: ['FORBIDDEN', 'INVALID_REQUEST', 'STORAGE_UNAVAILABLE'],
      }),
    },
    '/api/account': {
      get: op({ summary: 'The Smart Account and its registration state', tag: 'account', auth: 'session', ok: { status: 200, schema: ref('Account') }, errors: ['FORBIDDEN'] }),
      patch: op({
        summary: 'Set name, domain, or (sa-admin, before registration) type',
        tag: 'account',
        auth: 'session',
        body: fromZod(patchAccountBody),
        ok: { status: 200, schema: ref('Account') },
        errors: ['FORBIDDEN', 'ORIGIN_MISMATCH', 'PASSWORD_CHANGE_REQUIRED', 'ACCOUNT_REGISTERED', 'LIMIT_REACHED'],
      }),
    },
    '/api/tags': {
      get: LIST('TagKey', 'The tag keys VAs may use', 'virtual accounts'),
      post: op({ summary: 'Define a tag key (sa-admin)', tag: 'virtual accounts', auth: 'session', body: fromZod(createTagBody), ok: { status: 201, schema: ref('TagKey') }, errors: ['FORBIDDEN', 'NAME_TAKEN', 'LIMIT_REACHED', 'ORIGIN_MISMATCH'] }),
    },
    '/api/tags/{key}': {
      delete: op({ summary: 'Delete a tag key no VA uses (sa-admin)', tag: 'virtual accounts', auth: 'session', params: ['key'], ok: { status: 204, description: 'Deleted' }, errors: ['FORBIDDEN', 'NOT_FOUND', 'TAG_IN_USE', 'ORIGIN_MISMATCH'] }),
    },
    '/api/virtual-accounts': {
      get: LIST('VirtualAccount', 'The VAs the caller may see, by path', 'virtual accounts'),
      post: op({
        summary: 'Create a VA (parentId: id or path; null for the top level)',
        tag: 'virtual accounts',
        auth: 'session',
        body: fromZod(createVaBody),
        ok: { status: 201, schema: ref('VirtualAccount') },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'NAME_TAKEN', 'LIMIT_REACHED', 'ORIGIN_MISMATCH'],
      }),
    },
    '/api/virtual-accounts/{id}': {
      get: op({ summary: 'One VA (id or URL-encoded path)', tag: 'virtual accounts', auth: 'session', params: ['id'], ok: { status: 200, schema: ref('VirtualAccount') }, errors: ['NOT_FOUND'] }),
      patch: op({
        summary: 'Rename a VA or replace its tags',
        tag: 'virtual accounts',
        auth: 'session',
        params: ['id'],
        body: fromZod(patchVaBody),
        ok: { status: 200, schema: ref('VirtualAccount') },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'NAME_TAKEN', 'LIMIT_REACHED', 'VA_PROTECTED', 'ORIGIN_MISMATCH'],
      }),
      delete: op({ summary: 'Delete an empty VA', tag: 'virtual accounts', auth: 'session', params: ['id'], ok: { status: 204, description: 'Deleted' }, errors: ['FORBIDDEN', 'NOT_FOUND', 'VA_PROTECTED', 'VA_NOT_EMPTY', 'ORIGIN_MISMATCH'] }),
    },
    '/api/users': {
      get: LIST('User', 'The users the caller may see, by username', 'users'),
      post: op({
        summary: 'Add a user (who must change the password at first login)',
        tag: 'users',
        auth: 'session',
        body: fromZod(createUserBody),
        ok: { status: 201, schema: ref('User') },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'NAME_TAKEN', 'LIMIT_REACHED', 'ORIGIN_MISMATCH'],
      }),
    },
    '/api/users/{id}': {
      patch: op({ summary: 'Rename a user or replace their roles', tag: 'users', auth: 'session', params: ['id'], body: fromZod(patchUserBody), ok: { status: 200, schema: ref('User') }, errors: ['FORBIDDEN', 'NOT_FOUND', 'NAME_TAKEN', 'LAST_ADMIN', 'ORIGIN_MISMATCH'] }),
      delete: op({ summary: 'Delete a user', tag: 'users', auth: 'session', params: ['id'], ok: { status: 204, description: 'Deleted' }, errors: ['FORBIDDEN', 'NOT_FOUND', 'LAST_ADMIN', 'ORIGIN_MISMATCH'] }),
    },
    '/api/users/{id}/password': {
      post: op({
        summary: 'Change a password: one\'s own with currentPassword; another\'s with rights over them (they must change it at next login)',
        tag: 'users',
        auth: 'session',
        params: ['id'],
        body: fromZod(passwordBody),
        ok: { status: 200, schema: ref('User') },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'LOGIN_THROTTLED', 'ORIGIN_MISMATCH'],
      }),
    },
    '/api/users/{id}/sessions': {
      get: op({ summary: 'A user\'s live sessions (one\'s own, or a user one may see); `current` marks the caller\'s', tag: 'users', auth: 'session', params: ['id'], ok: { status: 200, schema: page('Session') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
      delete: op({ summary: 'Sign out everywhere: ends every session of the user (one\'s own, or a user one may manage)', tag: 'users', auth: 'session', params: ['id'], ok: { status: 204, description: 'Ended' }, errors: ['FORBIDDEN', 'NOT_FOUND', 'ORIGIN_MISMATCH'] }),
    },
    '/api/tokens': {
      get: LIST('Token', 'Registration tokens in the caller\'s VAs', 'tokens'),
      post: op({ summary: 'Create a token; the answer carries its secret as `token`, this once', tag: 'tokens', auth: 'session', body: fromZod(createTokenBody), ok: { status: 201, schema: ref('TokenCreated') }, errors: ['FORBIDDEN', 'NOT_FOUND', 'ORIGIN_MISMATCH'] }),
    },
    '/api/tokens/{id}': {
      delete: op({ summary: 'Revoke a token', tag: 'tokens', auth: 'session', params: ['id'], ok: { status: 200, schema: ref('Token') }, errors: ['FORBIDDEN', 'NOT_FOUND', 'ORIGIN_MISMATCH'] }),
    },
    '/api/events': {
      get: LIST('Event', 'The audit log, newest first', 'events', [
        ['type', 'event types, comma-separated; `user.*` for a family'],
        ['va', 'a VA id or path: its events'],
        ['nested', '`true`: also the VAs below `va`'],
        ['since', 'ISO 8601, inclusive'],
        ['until', 'ISO 8601, exclusive'],
        ['device', 'a device id: events about that device'],
      ], ['FORBIDDEN', 'NOT_FOUND']),
    },
    // SPEC §4 resources served by the license workspace.
    '/api/devices': {
      get: LIST('Device', 'Devices in the caller\'s VAs', 'devices', [
        ['va', 'VA id or path'],
        ['nested', '`true`: and below'],
        ['q', 'hostname, PID or serial substring, case-insensitive (regular-expression and wildcard characters are literal)'],
        ['state', 'registered|deregistered'],
        ['via', 'token|policy|collector: how the device came'],
        ['sort', 'id (default)|hostname|registeredAt|lastReportAt; a leading `-` sorts descending'],
        ['order', 'asc|desc (desc reverses `sort`)'],
      ], ['FORBIDDEN', 'NOT_FOUND']),
    },
    '/api/devices/{id}': {
      get: op({ summary: 'One device', tag: 'devices', auth: 'session', params: ['id'], ok: { status: 200, schema: ref('Device') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
      delete: op({ summary: 'Deregister a device', tag: 'devices', auth: 'session', params: ['id'], ok: { status: 200, schema: ref('Device') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
    },
    '/api/devices/{id}/reports': {
      get: op({ summary: 'A device\'s recent reports, newest first, with their acknowledgement state', tag: 'devices', auth: 'session', params: ['id'], query: PAGE_QUERY, ok: { status: 200, schema: page('DeviceReport') }, errors: ['FORBIDDEN', 'NOT_FOUND', 'INVALID_REQUEST'] }),
    },
    '/api/devices/{id}/move': {
      post: op({ summary: 'Move a device to another VA', tag: 'devices', auth: 'session', params: ['id'], body: { type: 'object', required: ['virtualAccount'], properties: { virtualAccount: str }, additionalProperties: false }, ok: { status: 200, schema: ref('Device') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
    },
    '/api/devices/{id}/reset-key': {
      post: op({ summary: 'Reset a policy-mode device\'s pinned key', tag: 'devices', auth: 'session', params: ['id'], ok: { status: 200, schema: ref('Device') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
    },
    '/api/devices/{id}/reinstate': {
      post: op({ summary: 'Reinstate a device the cloud revoked', tag: 'devices', auth: 'session', params: ['id'], ok: { status: 200, schema: ref('Device') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
    },
    '/api/licenses': {
      get: LIST('Pool', 'Pools per VA and entitlement (`?va=all`: the account-wide sum)', 'licenses', [['va', 'VA id or path, or `all`'], ['nested', '`true`: each VA below too']]),
    },
    '/api/licenses/lines': {
      get: LIST('LicenseLine', 'The lines behind the pools: one row per line and VA holding part of it, by VA path, entitlement and end', 'licenses', [['va', 'VA id or path'], ['nested', '`true`: and below'], ['entitlement', 'one entitlement only']], ['FORBIDDEN', 'NOT_FOUND']),
    },
    '/api/licenses/history': {
      get: LIST('UsagePoint', 'Usage over time: per day and entitlement, in use, purchased and reserved summed over the VAs in scope, from daily samples; by entitlement then day', 'licenses', [['va', 'VA id or path'], ['nested', '`true`: and below'], ['entitlement', 'one entitlement only'], ['days', 'days back, today included: 1–400 (default 90)']], ['FORBIDDEN', 'NOT_FOUND']),
    },
    '/api/licenses/transfer': {
      post: op({
        summary: 'Move quantity between VAs',
        tag: 'licenses',
        auth: 'session',
        body: { type: 'object', required: ['entitlement', 'quantity', 'from', 'to'], properties: { entitlement: str, quantity: int, from: str, to: str }, additionalProperties: false },
        ok: { status: 201, schema: ref('Transfer') },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'INSUFFICIENT_QUANTITY'],
      }),
    },
    '/api/alerts': {
      get: LIST('Alert', 'Standing alerts (SPEC §7), in the caller\'s VAs; alerts without a VA only without `va`', 'licenses', [['va', 'VA id or path'], ['nested', '`true`: and below']], ['FORBIDDEN', 'NOT_FOUND']),
    },
    ...Object.fromEntries(
      ['licenses', 'subscriptions', 'devices'].map((r) => [
        `/api/reports/${r}`,
        { get: op({ summary: `The ${r} report as CSV or XLSX, of the caller\'s VAs, streamed`, tag: 'reports', auth: 'session', query: [['format', 'csv (default)|xlsx'], ['va', 'VA id or path'], ['nested', '`true`: and below']], ok: { status: 200, type: 'text/csv', schema: str }, errors: ['FORBIDDEN', 'INVALID_REQUEST', 'NOT_FOUND'] }) },
      ]),
    ),
    '/api/sync/history': {
      get: LIST('ExchangeEntry', 'The recent exchanges with the cloud, network and air-gapped, newest first (the last 100 are kept)', 'exchange'),
    },
    '/api/sync': {
      get: op({ summary: 'Exchange status', tag: 'exchange', auth: 'session', ok: { status: 200, schema: ref('SyncStatus') }, errors: ['FORBIDDEN'] }),
      post: op({ summary: 'Run a network sync now', tag: 'exchange', auth: 'session', ok: { status: 200, schema: { type: 'object' } }, errors: ['FORBIDDEN', 'EXCHANGE_BUSY'] }),
    },
    '/api/sync/export': {
      post: op({ summary: 'The next satellite-report bundle', tag: 'exchange', auth: 'session', ok: { status: 200, type: 'application/zip', schema: { type: 'string', contentMediaType: 'application/zip' } }, errors: ['FORBIDDEN', 'EXCHANGE_BUSY'] }),
    },
    '/api/quarantine': {
      get: LIST('QuarantinedReport', 'Reports an export set aside because the bundle schema refuses them (alert `report-quarantined`)', 'exchange'),
    },
    '/api/quarantine/{reportId}': {
      delete: op({ summary: 'Remove a quarantined report for good (nothing is sent for it)', tag: 'exchange', auth: 'session', params: ['reportId'], ok: { status: 204, description: 'Removed' }, errors: ['FORBIDDEN', 'NOT_FOUND', 'ORIGIN_MISMATCH'] }),
    },
    '/api/sync/import': {
      post: op({ summary: 'Apply a cloud bundle', tag: 'exchange', auth: 'session', body: { type: 'string', contentMediaType: 'application/zip' }, bodyType: 'application/zip', ok: { status: 200, schema: { type: 'object' } }, errors: ['FORBIDDEN', 'EXCHANGE_BUSY', 'PAYLOAD_TOO_LARGE'] }),
    },
    '/api/registration': {
      post: op({ summary: 'Register with the cloud, or (offline) get the request bundle', tag: 'exchange', auth: 'session', body: { type: 'object', required: ['token'], properties: { token: str, offline: { type: 'boolean' } }, additionalProperties: false }, ok: { status: 200, schema: { type: 'object' } }, errors: ['FORBIDDEN', 'EXCHANGE_BUSY'] }),
    },
    '/api/reservations': {
      get: LIST('Reservation', 'Specific License Reservations, oldest first; a held one carries its authorization code again', 'licenses', [['va', 'VA id or path'], ['nested', '`true`: and below'], ['state', 'reserved|returned']], ['FORBIDDEN', 'NOT_FOUND']),
      post: op({
        summary: 'Reserve licenses for a request code; answers the authorization code',
        tag: 'licenses',
        auth: 'session',
        body: { type: 'object', required: ['requestCode', 'virtualAccount', 'licenses'], properties: { requestCode: str, virtualAccount: str, licenses: { type: 'array', items: ref('LicenseCount') } }, additionalProperties: false },
        ok: { status: 201, schema: { type: 'object', properties: { reservationId: str, authorizationCode: str } } },
        errors: ['FORBIDDEN', 'NOT_FOUND', 'INSUFFICIENT_QUANTITY', 'RESERVATION_EXISTS'],
      }),
    },
    '/api/collector/targets': {
      get: LIST('Target', 'Collector targets (SPEC §9) in the caller\'s VAs', 'collector', [['va', 'VA id or path'], ['nested', '`true`: and below']], ['FORBIDDEN', 'NOT_FOUND']),
      post: op({ summary: 'Add a Cisco product to poll', tag: 'collector', auth: 'session', body: TARGET_BODY, ok: { status: 201, schema: ref('Target') }, errors: ['FORBIDDEN', 'NOT_FOUND', 'NAME_TAKEN'] }),
    },
    '/api/collector/targets/{id}': {
      get: op({ summary: 'One collector target', tag: 'collector', auth: 'session', params: ['id'], ok: { status: 200, schema: ref('Target') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
      patch: op({ summary: 'Change a target; a new address or weaker TLS needs the password', tag: 'collector', auth: 'session', params: ['id'], body: { ...TARGET_BODY, required: [] }, ok: { status: 200, schema: ref('Target') }, errors: ['FORBIDDEN', 'NOT_FOUND', 'NAME_TAKEN'] }),
      delete: op({ summary: 'Remove a target (its devices and reports stay)', tag: 'collector', auth: 'session', params: ['id'], ok: { status: 204 }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
    },
    '/api/collector/poll': {
      post: op({ summary: 'Poll these targets now (`{}`: all the caller manages)', tag: 'collector', auth: 'session', body: { type: 'object', properties: { targets: { type: 'array', items: str } }, additionalProperties: false }, ok: { status: 202, schema: { type: 'object', properties: { started: int } } }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
    },
    '/api/collector/rum/export': {
      post: op({ summary: 'The unacknowledged RUM reports as Cisco\'s usage file (XML)', tag: 'collector', auth: 'session', ok: { status: 200, type: 'application/xml', schema: str }, errors: ['FORBIDDEN'] }),
    },
    '/api/collector/rum/import-ack': {
      post: op({ summary: 'An acknowledgement document (or .tar.gz of several) for the products of a RUM export', tag: 'collector', auth: 'session', query: [['export', 'the export it answers (default: the newest)']], body: { type: 'string' }, bodyType: 'application/octet-stream', ok: { status: 200, schema: { type: 'object' } }, errors: ['FORBIDDEN', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE'] }),
    },
    '/api/reservations/return': {
      post: op({ summary: 'Enter a return code', tag: 'licenses', auth: 'session', body: { type: 'object', required: ['returnCode'], properties: { returnCode: str }, additionalProperties: false }, ok: { status: 200, schema: ref('Reservation') }, errors: ['FORBIDDEN', 'NOT_FOUND'] }),
    },
  };

  const device: Record<string, Record<string, Schema>> = {
    '/v1/register': {
      post: op({
        summary: 'Register a product instance with a token',
        tag: 'device API',
        auth: 'none',
        body: fromZod(registerBody),
        ok: { status: 201, schema: { type: 'object', properties: { deviceId: str, credential: str, virtualAccount: vaRef, policy: ref('Policy') } }, description: 'Registered (200 when forced again)' },
        errors: ['UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_EXHAUSTED', 'TOKEN_REVOKED', 'DEVICE_REGISTERED', 'DEVICE_REVOKED', 'ACCOUNT_CANNOT_CONSUME', 'SATELLITE_DEREGISTERED'],
      }),
    },
    '/v1/reports': {
      post: op({
        summary: 'A usage report; 202 once durable, 200 for a duplicate',
        tag: 'device API',
        auth: 'device',
        body: fromZod(reportPayload),
        ok: { status: 202, schema: ref('ReportAnswer') },
        errors: ['UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'CREDENTIAL_INVALID', 'DEVICE_DEREGISTERED', 'REPORT_CONFLICT', 'REPORT_TOO_OLD', 'BUSY', 'SATELLITE_DEREGISTERED'],
      }),
    },
    '/v1/acks': {
      get: op({ summary: 'This device\'s acknowledged reports, oldest first', tag: 'device API', auth: 'device', query: [['after', 'the cursor of the previous answer']], ok: { status: 200, schema: { type: 'object', properties: { acks: { type: 'array', items: ref('Ack') }, cursor: str } } }, errors: ['CREDENTIAL_INVALID', 'DEVICE_DEREGISTERED'] }),
    },
    '/v1/status': {
      get: op({ summary: 'The device\'s state, VA and pools', tag: 'device API', auth: 'device', ok: { status: 200, schema: { type: 'object' } }, errors: ['CREDENTIAL_INVALID', 'DEVICE_DEREGISTERED'] }),
    },
    '/v1/deregister': {
      post: op({ summary: 'The device leaves', tag: 'device API', auth: 'device', ok: { status: 200, schema: { type: 'object' } }, errors: ['CREDENTIAL_INVALID', 'DEVICE_DEREGISTERED'] }),
    },
    '/v1/keys': {
      get: op({ summary: 'The satellite\'s public keys (JWKS)', tag: 'device API', auth: 'none', ok: { status: 200, schema: { type: 'object', properties: { keys: { type: 'array' } } } } }),
    },
    '/v1/usage': {
      post: op({
        summary: 'Policy mode: a report signed by the device\'s own key (compact JWS), no registration',
        tag: 'device API',
        auth: 'none',
        body: { type: 'string', description: 'compact JWS' },
        bodyType: 'application/jose',
        ok: { status: 202, schema: ref('ReportAnswer') },
        errors: ['UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'SIGNATURE_INVALID', 'KEY_MISMATCH', 'POLICY_REFUSED', 'DEVICE_REVOKED', 'REPORT_CONFLICT', 'NOT_FOUND'],
      }),
    },
  };
  for (const [p, item] of Object.entries(device)) paths[p] = { ...item, servers: deviceServer };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Outpost',
      version,
      description:
        'The admin API (admin listener, default 127.0.0.1:8180, and the control socket with full rights) and the device API (device listener, default :8182). Errors are `{"error":{"code","message"}}`. State-changing requests with a session cookie must carry an `Origin` equal to the request\'s own origin or `admin.publicOrigin` (403 ORIGIN_MISMATCH). While a user must change their password, everything but /api/me, /api/logout and their password change answers 403 PASSWORD_CHANGE_REQUIRED.',
    },
    servers: [{ url: 'http://{host}:8180', description: 'the admin listener', variables: { host: { default: '127.0.0.1' } } }],
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'outpost_session' },
        device: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (typ outpost-device+jwt)' },
      },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, message: str } } } },
        VaRef: vaRef,
        Account: {
          type: 'object',
          properties: { id: nullable(str), name: str, domain: nullable(str), type: { enum: ['customer', 'partner-holding', 'limited-use'] }, registration: { enum: ['unregistered', 'registered', 'lapsed'] }, lastCloudContact: nullable(iso), daysUntilLapse: nullable(int) },
        },
        TagKey: { type: 'object', properties: { key: str, createdAt: iso } },
        VirtualAccount: { type: 'object', required: ['id', 'name', 'path', 'parentId', 'tags'], properties: { id: str, name: str, path: str, parentId: nullable(str), tags: { type: 'object', additionalProperties: str } } },
        Grant: { type: 'object', properties: { role: { enum: ['sa-admin', 'sa-approver', 'sa-user', 'va-admin', 'va-user', 'viewer'] }, virtualAccount: nullable(vaRef) } },
        User: { type: 'object', required: ['id', 'username', 'roles', 'mustChangePassword', 'createdAt', 'source'], properties: { id: str, username: str, roles: { type: 'array', items: ref('Grant') }, mustChangePassword: { type: 'boolean' }, createdAt: iso, source: { type: 'string', enum: ['local', 'ldap', 'oidc'] }, email: nullable(str), notifications: { type: 'object', properties: { alerts: { type: 'string', enum: ['off', 'critical', 'warning', 'info'] }, summary: { type: 'boolean' } } } } },
        Me: { type: 'object', required: ['id', 'username', 'roles', 'mustChangePassword'], properties: { id: nullable(str), username: str, roles: { type: 'array', items: ref('Grant') }, mustChangePassword: { type: 'boolean' }, source: { type: 'string', enum: ['local', 'ldap', 'oidc'] }, email: nullable(str), notifications: { type: 'object', properties: { alerts: { type: 'string', enum: ['off', 'critical', 'warning', 'info'] }, summary: { type: 'boolean' } } } } },
        Token: { type: 'object', properties: { id: str, virtualAccount: vaRef, description: str, createdAt: iso, expiresAt: iso, maxUses: nullable(int), uses: int, revoked: { type: 'boolean' } } },
        TokenCreated: { allOf: [ref('Token'), { type: 'object', properties: { token: str } }] },
        ApiToken: { type: 'object', required: ['id', 'name', 'roles', 'expiresAt', 'createdBy', 'lastUsedAt'], properties: { id: str, name: str, roles: { type: 'array', items: ref('Grant') }, expiresAt: iso, createdBy: str, createdAt: iso, lastUsedAt: nullable(iso) } },
        ApiTokenCreated: { allOf: [ref('ApiToken'), { type: 'object', properties: { token: str } }] },
        Session: { type: 'object', properties: { id: str, createdAt: iso, lastSeenAt: iso, address: str, agent: str, current: { type: 'boolean' } } },
        Event: { type: 'object', required: ['id', 'at', 'actor', 'type', 'virtualAccount', 'details'], properties: { id: str, at: iso, actor: str, type: str, virtualAccount: nullable(vaRef), details: { type: 'object' } } },
        Device: {
          type: 'object',
          properties: { id: str, udi: { type: 'object', properties: { pid: str, sn: str } }, hostname: nullable(str), virtualAccount: vaRef, state: { enum: ['registered', 'deregistered'] }, via: { enum: ['token', 'policy', 'collector'] }, registeredAt: iso, lastReportAt: nullable(iso), usage: nullable({ type: 'object', additionalProperties: int }), revoked: { type: 'boolean' }, keyThumbprint: str },
        },
        DeviceReport: {
          type: 'object',
          properties: {
            reportId: str,
            receivedAt: nullable(iso),
            window: nullable({ type: 'object', properties: { start: iso, end: iso } }),
            usage: nullable({ type: 'array', items: ref('LicenseCount') }),
            acknowledged: nullable({ type: 'object', properties: { at: iso, bundleSequence: int } }),
            acknowledgedLongAgo: { type: 'boolean' },
          },
        },
        UsagePoint: { type: 'object', properties: { day: { type: 'string', format: 'date' }, entitlement: str, inUse: int, purchased: int, reserved: int } },
        LicenseLine: {
          type: 'object',
          properties: {
            lineId: str,
            virtualAccount: vaRef,
            entitlement: str,
            sku: str,
            description: str,
            type: { enum: ['perpetual', 'term', 'subscription'] },
            quantity: int,
            lineQuantity: int,
            startsAt: iso,
            endsAt: nullable(iso),
            daysLeft: nullable(int),
            standing: { enum: ['active', 'expiring', 'expired', 'future'] },
            landedByDefault: { type: 'boolean' },
            moves: { type: 'array', items: { type: 'object', properties: { direction: { enum: ['in', 'out'] }, virtualAccount: vaRef, quantity: int, at: iso, by: str, transferId: str } } },
          },
        },
        ExchangeEntry: {
          type: 'object',
          properties: {
            n: int,
            at: iso,
            path: { enum: ['network', 'air-gapped'] },
            direction: { enum: ['out', 'in', 'both'] },
            kind: str,
            sequence: nullable(int),
            received: nullable(int),
            records: nullable(int),
            result: { enum: ['ok', 'already-applied', 'refused', 'failed'] },
            error: nullable({ type: 'object', properties: { code: str, message: str } }),
            actor: str,
          },
        },
        Pool: { type: 'object', properties: { virtualAccount: nullable(vaRef), entitlement: str, purchased: int, reserved: int, inUse: int, available: int, status: { enum: ['ok', 'insufficient'] }, flags: { type: 'array', items: { enum: ['expiring', 'expired'] } } } },
        Alert: { type: 'object', properties: { type: str, severity: { enum: ['info', 'warning', 'critical'] }, virtualAccount: nullable(vaRef), entitlement: nullable(str), subject: nullable({ type: 'object', properties: { kind: str, id: str } }), since: iso, message: str } },
        QuarantinedReport: {
          type: 'object',
          properties: {
            reportId: str,
            deviceId: str,
            virtualAccount: nullable(vaRef),
            window: { type: 'object', properties: { start: str, end: str } },
            usage: { type: 'array', items: { type: 'object', properties: { entitlement: str, count: int } } },
            receivedAt: str,
            reason: str,
            quarantinedAt: iso,
          },
        },
        SyncStatus: { type: 'object', properties: { registration: str, mode: { enum: ['network', 'air-gapped'] }, lastAttempt: nullable(iso), lastSuccess: nullable(iso), nextRun: nullable(iso), lastError: nullable(str), sequence: { type: 'object', properties: { exported: int, acknowledged: int } } } },
        Target: {
          type: 'object',
          properties: {
            id: str, address: str, username: str, virtualAccount: vaRef,
            tls: { type: 'object', properties: { verify: { type: 'boolean' }, ca: nullable(str), pin: nullable(str) } },
            createdAt: iso,
            lastPoll: nullable({ type: 'object', properties: { at: iso, ok: { type: 'boolean' }, reports: int, error: nullable({ type: 'object', properties: { code: str, message: str } }) } }),
            acks: { type: 'object', properties: { pending: int, delivered: int, lastError: nullable(str) } },
            reportsCollected: int,
            warnings: { type: 'array', items: str },
          },
        },
        Reservation: {
          type: 'object',
          properties: {
            reservationId: str,
            udi: { type: 'object', properties: { pid: str, sn: str } },
            virtualAccount: vaRef,
            licenses: { type: 'array', items: ref('LicenseCount') },
            state: { enum: ['reserved', 'returned'] },
            at: iso,
            returnedAt: nullable(iso),
            authorizationCode: nullable(str),
          },
        },
        Transfer: { type: 'object', properties: { transferId: str, entitlement: str, quantity: int, from: str, to: str, at: iso, by: str } },
        LicenseCount: { type: 'object', properties: { entitlement: str, count: int } },
        Policy: { type: 'object', properties: { reportIntervalHours: int } },
        ReportAnswer: { type: 'object', properties: { reportId: str, receivedAt: iso, duplicate: { type: 'boolean' } } },
        Ack: { type: 'object', properties: { reportId: str, acknowledgedAt: iso, bundleSequence: int } },
      },
    },
  };
}

/** `/api/users/:id` (koa-router) as `/api/users/{id}` (OpenAPI). */
export const openApiPath = (routerPath: string): string => routerPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
