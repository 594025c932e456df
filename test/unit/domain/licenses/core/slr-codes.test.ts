import t from 'tap';
import { CompactSign, compactVerify, exportJWK, generateKeyPair } from 'jose';
import {
  AUTHORIZATION_TYP,
  encodeRequestCode,
  parseRequestCode,
  peekReturnCode,
  signAuthorizationCode,
  verifyReturnCode,
  type DeviceJwk,
  type Reservation,
} from '../../../../../daemon/domain/licenses/core/index.ts';

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

const device = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const publicJwk = (await exportJWK(device.publicKey)) as DeviceJwk;
const privateJwk = await exportJWK(device.privateKey);
const udi = { pid: 'C9300-24P', sn: 'FOC1234X0AB' };
const request = { udi, nonce: 'n-0001', jwk: publicJwk };

async function returnCode(payload: unknown, key: CryptoKey = device.privateKey, typ = 'outpost-slr-return+jws'): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', typ }).sign(key);
}

t.test('a request code reads back its UDI, nonce and public key', async (t) => {
  t.same(parseRequestCode(encodeRequestCode(request)), request);
  t.same(parseRequestCode(b64({ ...request, jwk: { ...publicJwk, kid: 'k1', alg: 'EdDSA' }, extra: 1 })), request, 'only the known fields are kept');
});

t.test('a request code copied with line breaks and padding still reads', async (t) => {
  const code = encodeRequestCode(request);
  const wrapped = `${code.slice(0, 40)}\n  ${code.slice(40)}${'='.repeat((4 - (code.length % 4)) % 4)}\n`;
  t.same(parseRequestCode(wrapped), request);
});

t.test('a malformed request code gets a clear INVALID_REQUEST for each fault', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not text', 42, /must be a string/],
    ['empty', '  ', /is empty/],
    ['too long', 'A'.repeat(9000), /longer than 8192/],
    ['not base64url', 'eyJ1ZGki+/==', /not base64url/],
    ['not JSON', b64('{"udi":'), /does not decode to JSON/],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url'), /does not decode to JSON/],
    ['a JSON array', b64([request]), /must decode to a JSON object/],
    ['no udi', b64({ nonce: 'n', jwk: publicJwk }), /has no udi object/],
    ['no pid', b64({ ...request, udi: { sn: 'X' } }), /udi\.pid must be/],
    ['an empty serial', b64({ ...request, udi: { pid: 'P', sn: '' } }), /udi\.sn must be/],
    ['no nonce', b64({ udi, jwk: publicJwk }), /nonce must be/],
    ['no jwk', b64({ udi, nonce: 'n' }), /has no jwk object/],
    ['a private key', b64({ ...request, jwk: privateJwk }), /holds a private key \(d\)/],
    ['an EC key', b64({ ...request, jwk: { kty: 'EC', crv: 'P-256', x: 'a', y: 'b' } }), /must be an OKP key/],
    ['an X25519 key', b64({ ...request, jwk: { ...publicJwk, crv: 'X25519' } }), /must be an Ed25519 key/],
    ['a short x', b64({ ...request, jwk: { ...publicJwk, x: 'AAAA' } }), /jwk\.x must be 32 bytes/],
  ];
  for (const [what, code, message] of cases) {
    t.throws(() => parseRequestCode(code), { name: 'LicenseError', code: 'INVALID_REQUEST', message }, what);
  }
});

t.test('the authorization code verifies with the satellite key and carries the reservation', async (t) => {
  const satellite = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const reservation: Reservation = {
    reservationId: 'rsv_1',
    udi,
    vaId: 'va_eng',
    licenses: [{ entitlement: 'network-advantage', count: 2 }],
    nonce: 'n-0001',
    jwk: publicJwk,
    state: 'reserved',
    at: '2026-03-01T00:00:00.000Z',
    returnedAt: null,
  };
  const code = await signAuthorizationCode(reservation, satellite.privateKey, 'kid-1');
  const { payload, protectedHeader } = await compactVerify(code, satellite.publicKey);
  t.same(protectedHeader, { alg: 'EdDSA', kid: 'kid-1', typ: AUTHORIZATION_TYP });
  t.same(JSON.parse(new TextDecoder().decode(payload)), {
    reservationId: 'rsv_1',
    udi,
    licenses: [{ entitlement: 'network-advantage', count: 2 }],
    nonce: 'n-0001',
    iat: Date.parse('2026-03-01T00:00:00.000Z') / 1000,
  });
});

t.test("a return code signed by the device's key verifies", async (t) => {
  const payload = { udi, reservationId: 'rsv_1', returnedAt: '2026-03-02T10:00:00Z' };
  const code = await returnCode(payload);
  t.same(await verifyReturnCode(code, publicJwk), payload);
  t.same(peekReturnCode(code), payload);
});

t.test('a return code that does not verify against the device key is refused', async (t) => {
  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const payload = { udi, reservationId: 'rsv_1', returnedAt: '2026-03-02T10:00:00Z' };
  await t.rejects(verifyReturnCode(await returnCode(payload, other.privateKey), publicJwk), { code: 'INVALID_REQUEST', message: /does not verify/ });
  const good = await returnCode(payload);
  const [h, , s] = good.split('.');
  await t.rejects(verifyReturnCode(`${h}.${b64({ ...payload, reservationId: 'rsv_2' })}.${s}`, publicJwk), { code: 'INVALID_REQUEST', message: /does not verify/ }, 'a tampered payload');
  await t.rejects(verifyReturnCode('not-a-jws', publicJwk), { code: 'INVALID_REQUEST' });
  await t.rejects(verifyReturnCode(42, publicJwk), { code: 'INVALID_REQUEST', message: /compact JWS/ });
});

t.test('a return code of another type or shape is refused', async (t) => {
  const payload = { udi, reservationId: 'rsv_1', returnedAt: '2026-03-02T10:00:00Z' };
  await t.rejects(verifyReturnCode(await returnCode(payload, device.privateKey, 'outpost-slr+jws'), publicJwk), { code: 'INVALID_REQUEST', message: /typ must be outpost-slr-return\+jws/ });
  await t.rejects(verifyReturnCode(await returnCode({ ...payload, returnedAt: 'yesterday' }), publicJwk), { message: /returnedAt/ });
  await t.rejects(verifyReturnCode(await returnCode({ udi }), publicJwk), { message: /no reservationId/ });
  await t.rejects(verifyReturnCode(await returnCode([payload]), publicJwk), { message: /JSON object/ });
  t.throws(() => peekReturnCode('a.b'), { code: 'INVALID_REQUEST', message: /compact JWS/ });
  t.throws(() => peekReturnCode(`x.${b64('nope')}.y`), { code: 'INVALID_REQUEST', message: /JSON payload/ });
});
