import t from 'tap';
import { CompactSign, compactVerify, exportJWK, generateKeyPair } from 'jose';
import {
  PoolIndex,
  applySnapshot,
  emptyState,
  parseRequestCode,
  encodeRequestCode,
  reserve,
  reservedTotals,
  returnReservation,
  returnWithCode,
  signAuthorizationCode,
  type DeviceJwk,
  type LicenseState,
  type ReserveRequest,
} from '../../../../../daemon/domain/licenses/core/index.ts';
import { DAY, DEFAULT, NOW, iso, line, resolveVa } from './fixtures/licenses.ts';
import { fleetOf } from './fixtures/fleet.ts';

const NA = 'network-advantage';
const device = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const jwk = (await exportJWK(device.publicKey)) as DeviceJwk;
const udi = { pid: 'C9300-24P', sn: 'FOC1234X0AB' };

/** Eng holds 10 network-advantage; one device uses 3 of them. */
function setup(): { state: LicenseState; index: PoolIndex } {
  const state = applySnapshot(emptyState(), [line()], resolveVa, DEFAULT, NOW).state;
  const index = PoolIndex.fromState(state);
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 3 });
  return { state, index };
}

const req = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({
  reservationId: 'rsv_1',
  ...parseRequestCode(encodeRequestCode({ udi, nonce: 'n-1', jwk })),
  vaId: 'va_eng',
  licenses: [{ entitlement: NA, count: 4 }],
  at: NOW,
  ...over,
});

async function returnCode(reservationId: string, key: CryptoKey = device.privateKey, forUdi = udi): Promise<string> {
  const payload = { udi: forUdi, reservationId, returnedAt: iso(NOW + DAY) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', typ: 'outpost-slr-return+jws' }).sign(key);
}

t.test('a reservation takes its licenses out of the pool', async (t) => {
  const { state, index } = setup();
  const r = reserve(state, req(), (va, e) => index.pool(va, e, NOW));
  t.match(r.state.reservations, [{ reservationId: 'rsv_1', udi, vaId: 'va_eng', licenses: [{ entitlement: NA, count: 4 }], nonce: 'n-1', jwk, state: 'reserved', at: iso(NOW), returnedAt: null }]);
  t.match(r.events, [{ type: 'license.reserved', vaId: 'va_eng', details: { reservationId: 'rsv_1' } }]);
  t.same(reservedTotals(r.state), [{ vaId: 'va_eng', entitlement: NA, quantity: 4 }]);
  index.setReserved(reservedTotals(r.state));
  t.match(index.pool('va_eng', NA, NOW), { purchased: 10, reserved: 4, inUse: 3, available: 3 });
});

t.test('the authorization code repeats the request nonce for the device', async (t) => {
  const { state, index } = setup();
  const satellite = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const r = reserve(state, req(), (va, e) => index.pool(va, e, NOW));
  const code = await signAuthorizationCode(r.state.reservations[0]!, satellite.privateKey, 'sat-kid');
  const { payload } = await compactVerify(code, satellite.publicKey);
  t.match(JSON.parse(new TextDecoder().decode(payload)), { reservationId: 'rsv_1', nonce: 'n-1', udi });
});

t.test('a reservation beyond what is available is refused and changes nothing', async (t) => {
  const { state, index } = setup();
  const copy = structuredClone(state);
  t.throws(() => reserve(state, req({ licenses: [{ entitlement: NA, count: 8 }] }), (va, e) => index.pool(va, e, NOW)), {
    code: 'INSUFFICIENT_QUANTITY',
    message: /Only 7 network-advantage licenses are available/,
  });
  t.throws(() => reserve(state, req({ licenses: [{ entitlement: NA, count: 1 }, { entitlement: 'dna-advantage', count: 1 }] }), (va, e) => index.pool(va, e, NOW)), {
    code: 'INSUFFICIENT_QUANTITY',
    message: /Only 0 dna-advantage/,
  });
  t.same(state, copy);
});

t.test('a second reservation for the same UDI is refused while the first stands', async (t) => {
  const { state, index } = setup();
  const poolOf = (va: string, e: string) => index.pool(va, e, NOW);
  const first = reserve(state, req(), poolOf).state;
  t.throws(() => reserve(first, req({ reservationId: 'rsv_2', nonce: 'n-2', licenses: [{ entitlement: NA, count: 1 }] }), poolOf), {
    code: 'RESERVATION_EXISTS',
    message: /C9300-24P FOC1234X0AB already holds a reservation/,
  });
  const other = reserve(first, req({ reservationId: 'rsv_3', udi: { pid: 'C9300-24P', sn: 'OTHER' }, nonce: 'n-9', licenses: [{ entitlement: NA, count: 1 }] }), poolOf);
  t.equal(other.state.reservations.length, 2, 'another device may reserve');
});

t.test('a replayed request code is refused, even after the reservation was returned', async (t) => {
  const { state, index } = setup();
  const poolOf = (va: string, e: string) => index.pool(va, e, NOW);
  const returned = returnReservation(reserve(state, req(), poolOf).state, 'rsv_1', NOW + DAY).state;
  t.throws(() => reserve(returned, req({ reservationId: 'rsv_2' }), poolOf), { code: 'INVALID_REQUEST', message: /already used; ask the device for a new one/ });
  t.equal(reserve(returned, req({ reservationId: 'rsv_2', nonce: 'n-2' }), poolOf).state.reservations.length, 2, 'a fresh request code works');
});

t.test('malformed reservations are refused as invalid', async (t) => {
  const { state, index } = setup();
  const poolOf = (va: string, e: string) => index.pool(va, e, NOW);
  const withOne = reserve(state, req(), poolOf).state;
  const cases: Array<[string, Partial<ReserveRequest>, RegExp, LicenseState?]> = [
    ['no licenses', { licenses: [] }, /non-empty array/],
    ['a zero count', { licenses: [{ entitlement: NA, count: 0 }] }, /count must be a positive whole number/],
    ['a fractional count', { licenses: [{ entitlement: NA, count: 1.5 }] }, /count must be a positive whole number/],
    ['a negative count', { licenses: [{ entitlement: NA, count: -1 }] }, /count must be a positive whole number/],
    ['an entitlement twice', { licenses: [{ entitlement: NA, count: 1 }, { entitlement: NA, count: 1 }] }, /more than once/],
    ['no entitlement', { licenses: [{ count: 1 } as never] }, /entitlement must be/],
    ['no VA', { vaId: '' }, /vaId/],
    ['a private device key', { jwk: { ...jwk, d: 'x' } as DeviceJwk }, /private key/],
    ['no UDI serial', { udi: { pid: 'P', sn: '' } }, /udi\.sn/],
    ['a reservation id used before', { udi: { pid: 'P', sn: 'S' } }, /already exists/, withOne],
  ];
  for (const [what, over, message, s] of cases) {
    t.throws(() => reserve(s ?? state, req(over), poolOf), { code: 'INVALID_REQUEST', message }, what);
  }
});

t.test('returning a reservation gives its licenses back to the pool', async (t) => {
  const { state, index } = setup();
  const reserved = reserve(state, req(), (va, e) => index.pool(va, e, NOW)).state;
  const r = returnReservation(reserved, 'rsv_1', NOW + DAY);
  t.match(r.state.reservations[0], { state: 'returned', returnedAt: iso(NOW + DAY) });
  t.match(r.events, [{ type: 'license.reservation_returned', vaId: 'va_eng' }]);
  t.same(reservedTotals(r.state), []);
  t.equal(reserved.reservations[0]!.state, 'reserved', 'the given state is untouched');
  t.throws(() => returnReservation(r.state, 'rsv_1', NOW + DAY), { code: 'INVALID_REQUEST', message: /already returned/ });
  t.throws(() => returnReservation(r.state, 'rsv_404', NOW), { code: 'NOT_FOUND' });
});

t.test("a return code signed by the device's key returns its reservation", async (t) => {
  const { state, index } = setup();
  const reserved = reserve(state, req(), (va, e) => index.pool(va, e, NOW)).state;
  const r = await returnWithCode(reserved, await returnCode('rsv_1'), NOW + DAY);
  t.equal(r.state.reservations[0]!.state, 'returned');
});

t.test('a return code not signed by the reserving device is refused and changes nothing', async (t) => {
  const { state, index } = setup();
  const reserved = reserve(state, req(), (va, e) => index.pool(va, e, NOW)).state;
  const copy = structuredClone(reserved);
  const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  await t.rejects(returnWithCode(reserved, await returnCode('rsv_1', stranger.privateKey), NOW), { code: 'INVALID_REQUEST', message: /does not verify/ });
  await t.rejects(returnWithCode(reserved, await returnCode('rsv_1', device.privateKey, { pid: 'C9300-24P', sn: 'OTHER' }), NOW), { code: 'INVALID_REQUEST', message: /another device/ });
  await t.rejects(returnWithCode(reserved, await returnCode('rsv_404'), NOW), { code: 'NOT_FOUND' });
  await t.rejects(returnWithCode(reserved, 'garbage', NOW), { code: 'INVALID_REQUEST' });
  t.same(reserved, copy);
});

t.test('a replayed return code is refused', async (t) => {
  const { state, index } = setup();
  const reserved = reserve(state, req(), (va, e) => index.pool(va, e, NOW)).state;
  const code = await returnCode('rsv_1');
  const returned = (await returnWithCode(reserved, code, NOW + DAY)).state;
  await t.rejects(returnWithCode(returned, code, NOW + 2 * DAY), { code: 'INVALID_REQUEST', message: /already returned/ });
});
