// Specific License Reservation (SPEC §8) through the admin API, with a simulated device key:
// request codes in, authorization codes verified against GET /v1/keys, return codes back.
import t, { type Test } from 'tap';
import { CompactSign, compactVerify, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { encodeRequestCode } from '../../daemon/domain/licenses/core/index.ts';
import { control } from '../helpers/control.ts';
import { applyLines, byPool, deviceWithUsage, dumpStore, ensureVa, line } from '../helpers/licenses.ts';
import { http, startSatellite, type TestSatellite } from '../helpers/satellite.ts';

const api = (sat: TestSatellite, method: string, path: string, body?: unknown) => control(sat.socketPath, method, path, body);

/** A device in a closed network: its key, its request codes and its return codes. */
async function slrDevice(sn = 'FOC9999') {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = await exportJWK(publicKey);
  const udi = { pid: 'C9300-24P', sn };
  let n = 0;
  return {
    udi,
    privateKey,
    requestCode: (nonce = `nonce-${++n}`) => encodeRequestCode({ udi, nonce, jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! } }),
    returnCode: (reservationId: string, key: CryptoKey = privateKey, typ = 'outpost-slr-return+jws') =>
      new CompactSign(new TextEncoder().encode(JSON.stringify({ udi, reservationId, returnedAt: new Date().toISOString() })))
        .setProtectedHeader({ alg: 'EdDSA', typ })
        .sign(key),
  };
}

async function setup(t: Test) {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Lab');
  await applyLines(sat, [
    line(sat.clock(), { lineId: 'L-1', quantity: 10, virtualAccount: 'Default/Lab' }),
    line(sat.clock(), { lineId: 'L-2', quantity: 2, entitlement: 'dna-advantage', virtualAccount: 'Default/Lab' }),
  ]);
  return sat;
}

t.test('reserve: the authorization code verifies against GET /v1/keys; reserved quantities leave the pool', async (t) => {
  const sat = await setup(t);
  const device = await slrDevice();
  const licenses = [{ entitlement: 'network-advantage', count: 3 }, { entitlement: 'dna-advantage', count: 2 }];
  const res = await api(sat, 'POST', '/api/reservations', { requestCode: device.requestCode('n-1'), virtualAccount: 'Default/Lab', licenses });
  t.equal(res.status, 201);
  t.match(res.body, { reservationId: /^rsv_/, authorizationCode: /^ey[\w-]+\.[\w-]+\.[\w-]+$/ });

  const jwks = (await http('GET', `${sat.device}/v1/keys`)).body;
  const verified = await compactVerify(res.body.authorizationCode, createLocalJWKSet(jwks));
  t.same(verified.protectedHeader, { alg: 'EdDSA', kid: jwks.keys[0].kid, typ: 'outpost-slr+jws' });
  t.same(JSON.parse(new TextDecoder().decode(verified.payload)), {
    reservationId: res.body.reservationId,
    udi: device.udi,
    licenses,
    nonce: 'n-1',
    iat: Math.floor(sat.clock().getTime() / 1000),
  });

  const pools = byPool((await api(sat, 'GET', '/api/licenses?va=Default/Lab')).body.items);
  t.match(pools['Default/Lab/network-advantage'], { purchased: 10, reserved: 3, available: 7 });
  t.match(pools['Default/Lab/dna-advantage'], { purchased: 2, reserved: 2, available: 0 });

  const list = await api(sat, 'GET', '/api/reservations');
  t.match(list.body.items, [{ reservationId: res.body.reservationId, udi: device.udi, virtualAccount: { path: 'Default/Lab' }, licenses, state: 'reserved', returnedAt: null, authorizationCode: res.body.authorizationCode }]);

  // Usage now overflows into what is reserved: a device using 8 leaves -1.
  await deviceWithUsage(sat, 'Default/Lab', { 'network-advantage': 8 });
  t.match(byPool((await api(sat, 'GET', '/api/licenses?va=Default/Lab')).body.items)['Default/Lab/network-advantage'], { available: -1, status: 'insufficient' });

  // Return: the pool gets them back; the export queue holds both records.
  const back = await api(sat, 'POST', '/api/reservations/return', { returnCode: await device.returnCode(res.body.reservationId) });
  t.equal(back.status, 200);
  t.match(back.body, { reservationId: res.body.reservationId, state: 'returned', returnedAt: sat.clock().toISOString() });
  t.match(byPool((await api(sat, 'GET', '/api/licenses?va=Default/Lab')).body.items)['Default/Lab/network-advantage'], { reserved: 0, available: 2 });

  const queued: any[] = [];
  for await (const q of sat.services.licensing.outbox.reservations()) queued.push(q.record);
  t.same(queued.map((r) => [r.state, r.virtualAccount, r.reservationId]), [
    ['reserved', 'Default/Lab', res.body.reservationId],
    ['returned', 'Default/Lab', res.body.reservationId],
  ]);
  t.same(Object.keys(queued[0]).sort(), ['at', 'licenses', 'reservationId', 'state', 'udi', 'virtualAccount']);

  const again = await api(sat, 'POST', '/api/reservations', { requestCode: device.requestCode('n-2'), virtualAccount: 'Default/Lab', licenses: [{ entitlement: 'dna-advantage', count: 1 }] });
  t.equal(again.status, 201, 'once returned, the device may reserve again with a new request code');
});

t.test('SLR refusals: malformed and replayed codes, a second reservation for a UDI, too much — nothing changed', async (t) => {
  const sat = await setup(t);
  const device = await slrDevice();
  const other = await slrDevice('OTHER1');
  const first = await api(sat, 'POST', '/api/reservations', { requestCode: device.requestCode('n-1'), virtualAccount: 'Default/Lab', licenses: [{ entitlement: 'network-advantage', count: 1 }] });
  t.equal(first.status, 201);
  const returnCode = await device.returnCode(first.body.reservationId);
  t.equal((await api(sat, 'POST', '/api/reservations/return', { returnCode })).status, 200);
  const held = await api(sat, 'POST', '/api/reservations', { requestCode: other.requestCode('o-1'), virtualAccount: 'Default/Lab', licenses: [{ entitlement: 'network-advantage', count: 1 }] });
  t.equal(held.status, 201);
  const before = await dumpStore(sat);

  const reserve = (requestCode: unknown, extra: Record<string, unknown> = {}) =>
    api(sat, 'POST', '/api/reservations', { requestCode, virtualAccount: 'Default/Lab', licenses: [{ entitlement: 'network-advantage', count: 1 }], ...extra });
  const asText = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const cases: Array<[string, Promise<any>, number, string, RegExp]> = [
    ['a code that is not base64url', reserve('not base64 !!!'), 400, 'INVALID_REQUEST', /not base64url/],
    ['a code that is not JSON', reserve(Buffer.from('hello').toString('base64url')), 400, 'INVALID_REQUEST', /does not decode to JSON/],
    ['a code without a udi', reserve(asText({ nonce: 'x', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) } })), 400, 'INVALID_REQUEST', /no udi/],
    ['a code with a private key', reserve(asText({ udi: { pid: 'P', sn: 'S' }, nonce: 'x', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), d: 'B'.repeat(43) } })), 400, 'INVALID_REQUEST', /private key/],
    ['a replayed request code', reserve(device.requestCode('n-1')), 400, 'INVALID_REQUEST', /already used/],
    ['a second reservation for the same UDI', reserve(other.requestCode('o-2')), 409, 'RESERVATION_EXISTS', /already holds a reservation/],
    ['more than available', reserve(device.requestCode('n-3'), { licenses: [{ entitlement: 'network-advantage', count: 10 }] }), 409, 'INSUFFICIENT_QUANTITY', /Only 9/],
    ['an entitlement the VA has none of', reserve(device.requestCode('n-4'), { licenses: [{ entitlement: 'security-plus', count: 1 }] }), 409, 'INSUFFICIENT_QUANTITY', /Only 0/],
    ['a fractional count', reserve(device.requestCode('n-5'), { licenses: [{ entitlement: 'network-advantage', count: 0.5 }] }), 400, 'INVALID_REQUEST', /count/],
    ['an unknown VA', reserve(device.requestCode('n-6'), { virtualAccount: 'Nope' }), 404, 'NOT_FOUND', /Nope/],
    ['a replayed return code', api(sat, 'POST', '/api/reservations/return', { returnCode }), 400, 'INVALID_REQUEST', /already returned/],
    ['a return code signed by another key', api(sat, 'POST', '/api/reservations/return', { returnCode: await device.returnCode(held.body.reservationId) }), 400, 'INVALID_REQUEST', /does not verify/],
    ['a return code of another typ', api(sat, 'POST', '/api/reservations/return', { returnCode: await other.returnCode(held.body.reservationId, other.privateKey, 'JWT') }), 400, 'INVALID_REQUEST', /typ/],
    ['a return code for no reservation', api(sat, 'POST', '/api/reservations/return', { returnCode: await other.returnCode('rsv_nope') }), 404, 'NOT_FOUND', /rsv_nope/],
    ['a malformed return code', api(sat, 'POST', '/api/reservations/return', { returnCode: 'abc' }), 400, 'INVALID_REQUEST', /compact JWS/],
  ];
  for (const [what, pending, status, code, message] of cases) {
    const res = await pending;
    t.equal(res.status, status, what);
    t.equal(res.body.error?.code, code, what);
    t.match(res.body.error?.message, message, what);
  }
  t.same(await dumpStore(sat), before, 'the store is exactly as before');
});
