// The reference cloud over real HTTP on 127.0.0.1: registration, sync, the admin controls,
// and each refusal (answered with the §3 error body, the cloud's state left as it was).
import { readFile } from 'node:fs/promises';
import t from 'tap';
import type { Test } from 'tap';
import { expectKind, thumbprint } from '../../../exchange/bundle/index.ts';
import { entitlement, sampleReportFiles, usageRecord } from '../../unit/exchange/fixtures/bundle.ts';
import { craftZip } from '../../unit/exchange/fixtures/craft-zip.ts';
import { admin, openAnswer, OTHER_TOKEN, post, startCloud, tempDir, TestSatellite, TOKEN } from './fixtures/satellite.ts';

const dir = await tempDir(t);
const cloud = await startCloud(t, dir, { maxUploadBytes: 1024 * 1024 });
const jwks = cloud.identity.jwksPath;
const registerUrl = `${cloud.url}/v1/satellites/register`;
const syncUrl = (id: string) => `${cloud.url}/v1/satellites/${id}/sync`;
const state = async (id: string) => (await admin(`${cloud.url}/v1/admin/satellites/${id}`, 'GET')).data;

async function register(sat: TestSatellite, token = TOKEN) {
  const res = await post(registerUrl, await sat.registrationRequest(token));
  if (res.status === 200) sat.account = expectKind((await openAnswer(dir, res.body, jwks)).manifest, ['registration-response']).account;
  return res;
}

t.test('register: a self-signed request with a good token gets a signed registration-response', async (t) => {
  const sat = new TestSatellite('sat_reg', dir);
  const res = await post(registerUrl, await sat.registrationRequest(TOKEN));
  t.equal(res.status, 200);
  t.equal(res.type, 'application/zip');
  const bundle = await openAnswer(dir, res.body, jwks);
  const m = expectKind(bundle.manifest, ['registration-response']);
  t.match(m, {
    kind: 'registration-response',
    satellite: 'sat_reg',
    account: 'acc_acme',
    sequence: 1,
    inReplyTo: 0,
    profile: { name: 'Acme', domain: 'acme.example', type: 'customer' },
    policy: { reportIntervalHours: 12 },
  });
  t.same((await bundle.readAll('entitlements.ndjson')).map((l) => [l.lineId, l.quantity, l.virtualAccount]), [
    ['L1', 10, null],
    ['L2', 5, 'Default/Eng'],
  ]);
  t.match(await state('sat_reg'), { id: 'sat_reg', account: 'acc_acme', kid: await thumbprint(sat.key.publicJwk), counter: 1, registrations: 1 });
});

t.test('sync: a report is recorded and answered by a cloud-response acknowledging its sequence', async (t) => {
  const sat = new TestSatellite('sat_sync', dir);
  await register(sat);
  const files = sampleReportFiles(4);
  const res = await post(syncUrl(sat.id), await sat.report({ files }));
  t.equal(res.status, 200);
  const bundle = await openAnswer(dir, res.body, jwks);
  const m = expectKind(bundle.manifest, ['cloud-response']);
  t.match(m, { satellite: sat.id, account: 'acc_acme', sequence: 2, inReplyTo: 1, policy: { reportIntervalHours: 12 } });
  t.equal(m.profile, undefined, 'no profile while the account is unchanged');
  t.same(m.files.map((f) => f.name), ['entitlements.ndjson'], 'no revocations file when there are none');
  t.equal((await bundle.readAll('entitlements.ndjson')).length, 2);

  const after = await state(sat.id);
  t.match(after, { counter: 2, reports: 1, lastReport: { sequence: 1, more: false } });
  t.match(after.received, { 'usage.ndjson': 4, 'devices.ndjson': 1, 'virtual-accounts.ndjson': 2 });
  const usage = await admin(`${cloud.url}/v1/admin/satellites/${sat.id}/received/usage.ndjson`, 'GET');
  t.same(
    usage.text.trim().split('\n').map((l) => JSON.parse(l).reportId),
    files[2]!.records.map((r) => (r as { reportId: string }).reportId),
    'the usage records are kept, in order',
  );
});

t.test('sync: a repeated sequence (a restored satellite) is fine; records count once, by id', async (t) => {
  const sat = new TestSatellite('sat_repeat', dir);
  await register(sat);
  const files = sampleReportFiles(3);
  const first = await post(syncUrl(sat.id), await sat.report({ sequence: 1, files }));
  const again = await post(syncUrl(sat.id), await sat.report({ sequence: 1, files: [...files.slice(0, 2), { name: 'usage.ndjson', records: [...files[2]!.records, usageRecord(9)] }, ...files.slice(3)] }));
  t.equal(first.status, 200);
  t.equal(again.status, 200);
  const m1 = (await openAnswer(dir, first.body, jwks)).manifest;
  const m2 = (await openAnswer(dir, again.body, jwks)).manifest;
  t.same([m1.sequence, m1.inReplyTo, m2.sequence, m2.inReplyTo], [2, 1, 3, 1], 'the cloud counter moves on; both acknowledge report 1');
  t.match((await state(sat.id)).received, { 'usage.ndjson': 4 }, 'three records once, plus the one new');
});

t.test('the cloud counter never restarts, re-registration included (even with a new key)', async (t) => {
  const sat = new TestSatellite('sat_counter', dir);
  await register(sat);
  await post(syncUrl(sat.id), await sat.report());
  const restored = new TestSatellite('sat_counter', dir); // same id, new key: a rebuilt satellite
  const res = await register(restored);
  t.equal(res.status, 200);
  const m = (await openAnswer(dir, res.body, jwks)).manifest;
  t.same([m.kind, m.sequence, m.inReplyTo], ['registration-response', 3, 0]);
  t.match(await state(sat.id), { registrations: 2, kid: await thumbprint(restored.key.publicJwk) });
  const old = await post(syncUrl(sat.id), await sat.report());
  t.equal(old.status, 422, 'the replaced key is no longer trusted');
  t.equal(old.json().error.code, 'BUNDLE_KEY_UNKNOWN');
});

t.test('admin: new lines and a revocation reach the next response; the revocation is sent once', async (t) => {
  const sat = new TestSatellite('sat_admin', dir);
  await register(sat);
  const lines = [entitlement('L1', 25), entitlement('L3', 1)];
  t.equal((await admin(`${cloud.url}/v1/admin/accounts/acc_acme/lines`, 'PUT', lines)).status, 200);
  t.equal((await admin(`${cloud.url}/v1/admin/satellites/${sat.id}/revocations`, 'POST', { deviceId: 'dev_1', reason: 'returned hardware' })).status, 201);

  const first = await openAnswer(dir, (await post(syncUrl(sat.id), await sat.report())).body, jwks);
  t.same((await first.readAll('entitlements.ndjson')).map((l) => [l.lineId, l.quantity]), [['L1', 25], ['L3', 1]]);
  t.same(await first.readAll('revocations.ndjson'), [{ deviceId: 'dev_1', reason: 'returned hardware' }]);
  const second = await openAnswer(dir, (await post(syncUrl(sat.id), await sat.report())).body, jwks);
  t.same(second.manifest.files.map((f) => f.name), ['entitlements.ndjson'], 'not sent again');
  t.match(await state(sat.id), { pendingRevocations: [], revocationsSent: [{ deviceId: 'dev_1', sequence: first.manifest.sequence }] });
  await admin(`${cloud.url}/v1/admin/accounts/acc_acme/lines`, 'PUT', [entitlement('L1', 10), { ...entitlement('L2', 5), virtualAccount: 'Default/Eng' }]);
});

t.test('admin routes need the bearer token', async (t) => {
  const { request } = await import('undici');
  const res = await request(`${cloud.url}/v1/admin/satellites`);
  t.equal(res.statusCode, 401);
  t.same(await res.body.json(), { error: { code: 'UNAUTHORIZED', message: 'The admin API needs the bearer token from the cloud config.' } });
});

t.test('refusals', async (t) => {
  const sat = new TestSatellite('sat_refused', dir);
  await register(sat);
  const before = await state(sat.id);
  const unchanged = async (t: Test) => t.same(await state(sat.id), before, 'the cloud state is unchanged');
  const refused = async (t: Test, res: Awaited<ReturnType<typeof post>>, status: number, code: string) => {
    t.equal(res.status, status);
    t.match(res.type, /^application\/json/);
    t.match(res.json(), { error: { code, message: /\S/ } });
  };

  t.test('a bad registration token: 401 TOKEN_INVALID, nothing recorded', async (t) => {
    const stranger = new TestSatellite('sat_stranger', dir);
    await refused(t, await post(registerUrl, await stranger.registrationRequest('no-such-token-0123456789')), 401, 'TOKEN_INVALID');
    t.equal((await admin(`${cloud.url}/v1/admin/satellites/sat_stranger`, 'GET')).status, 404);
  });
  t.test('a registration request not signed by the key it registers: 422 BUNDLE_SIGNATURE_INVALID', async (t) => {
    const impostor = new TestSatellite(sat.id, dir);
    const { writeBundle } = await import('../../../exchange/bundle/index.ts');
    const out = impostor.path('forged');
    await writeBundle({
      out,
      ...impostor.key,
      manifest: { kind: 'registration-request', satellite: sat.id, account: null, sequence: 0, inReplyTo: null, createdAt: new Date().toISOString(), token: TOKEN, name: 'x', publicKey: sat.key.publicJwk },
      files: [],
    });
    await refused(t, await post(registerUrl, out), 422, 'BUNDLE_SIGNATURE_INVALID');
    await unchanged(t);
  });
  t.test('the same satellite id from another account: 409 SATELLITE_CONFLICT', async (t) => {
    await refused(t, await post(registerUrl, await sat.registrationRequest(OTHER_TOKEN)), 409, 'SATELLITE_CONFLICT');
    await unchanged(t);
  });
  t.test('a report signed by another key: 422 BUNDLE_KEY_UNKNOWN', async (t) => {
    const impostor = new TestSatellite(sat.id, dir);
    impostor.account = 'acc_acme';
    await refused(t, await post(syncUrl(sat.id), await impostor.report()), 422, 'BUNDLE_KEY_UNKNOWN');
    await unchanged(t);
  });
  t.test('a tampered report (a data file changed after signing): 422 BUNDLE_HASH_MISMATCH', async (t) => {
    const { unpack } = await import('../../unit/exchange/fixtures/bundle.ts');
    const entries = await unpack(await sat.report({ sequence: 1 }));
    const tampered = craftZip(entries.map((e) => (e.name === 'usage.ndjson' ? { name: e.name, data: e.data.toString().replace('"count":1', '"count":7') } : e)));
    await refused(t, await post(syncUrl(sat.id), null, { body: tampered }), 422, 'BUNDLE_HASH_MISMATCH');
    await unchanged(t);
  });
  t.test('a tampered manifest: 422 BUNDLE_SIGNATURE_INVALID', async (t) => {
    const { unpack } = await import('../../unit/exchange/fixtures/bundle.ts');
    const entries = await unpack(await sat.report({ sequence: 1 }));
    const tampered = craftZip(
      entries.map((e) => {
        if (e.name !== 'manifest.jws') return e;
        const [h, p, s] = e.data.toString().split('.');
        const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
        payload.sequence = 1000;
        return { name: e.name, data: [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.') };
      }),
    );
    await refused(t, await post(syncUrl(sat.id), null, { body: tampered }), 422, 'BUNDLE_SIGNATURE_INVALID');
    await unchanged(t);
  });
  t.test('a report for another satellite posted to this one: 422 BUNDLE_WRONG_SATELLITE', async (t) => {
    const other = new TestSatellite('sat_other', dir, sat.key);
    other.account = 'acc_acme';
    await refused(t, await post(syncUrl(sat.id), await other.report()), 422, 'BUNDLE_WRONG_SATELLITE');
    await unchanged(t);
  });
  t.test('a report naming another account: 422 BUNDLE_WRONG_SATELLITE', async (t) => {
    await refused(t, await post(syncUrl(sat.id), await sat.report({ sequence: 1, account: 'acc_globex' })), 422, 'BUNDLE_WRONG_SATELLITE');
    await unchanged(t);
  });
  t.test('a registration request sent to sync: 422 BUNDLE_UNEXPECTED', async (t) => {
    await refused(t, await post(syncUrl(sat.id), await sat.registrationRequest(TOKEN)), 422, 'BUNDLE_UNEXPECTED');
    await unchanged(t);
  });
  t.test('a report sent to register: 422 BUNDLE_UNEXPECTED', async (t) => {
    await refused(t, await post(registerUrl, await sat.report({ sequence: 1 })), 422, 'BUNDLE_UNEXPECTED');
    await unchanged(t);
  });
  t.test('an unknown satellite: 404 SATELLITE_UNKNOWN', async (t) => {
    const ghost = new TestSatellite('sat_ghost', dir);
    await refused(t, await post(syncUrl('sat_ghost'), await ghost.report()), 404, 'SATELLITE_UNKNOWN');
  });
  t.test('not a zip: 422 BUNDLE_NOT_ZIP', async (t) => {
    await refused(t, await post(syncUrl(sat.id), null, { body: Buffer.from('hello') }), 422, 'BUNDLE_NOT_ZIP');
    await unchanged(t);
  });
  t.test('another content type: 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
    await refused(t, await post(syncUrl(sat.id), await sat.report({ sequence: 1 }), { type: 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await unchanged(t);
  });
  t.test('a body over maxUploadBytes: 413 PAYLOAD_TOO_LARGE', async (t) => {
    await refused(t, await post(syncUrl(sat.id), null, { body: Buffer.alloc(2 * 1024 * 1024) }), 413, 'PAYLOAD_TOO_LARGE');
    await unchanged(t);
  });
  t.test('no temp files are left behind', async (t) => {
    const { readdir } = await import('node:fs/promises');
    await new Promise((r) => setTimeout(r, 50));
    t.same(await readdir(`${cloud.config.dataDir}/tmp`), []);
  });
});

t.test('GET /v1/keys serves the JWKS written to cloud-keys.json', async (t) => {
  const { request } = await import('undici');
  const res = await request(`${cloud.url}/v1/keys`);
  t.equal(res.statusCode, 200);
  t.same(await res.body.json(), JSON.parse(await readFile(jwks, 'utf8')));
});
