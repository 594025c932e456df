// The codes of Specific License Reservation (SPEC §8): reading a device's request code,
// signing the satellite's authorization code, and verifying a device's return code.

import { CompactSign, compactVerify, importJWK, type KeyInput } from 'jose';
import { LicenseError } from './errors.ts';
import { parseIso } from './time.ts';
import type { DeviceJwk, Reservation, Udi } from './types.ts';

export const AUTHORIZATION_TYP = 'outpost-slr+jws';
export const RETURN_TYP = 'outpost-slr-return+jws';

/** Longest request or return code accepted, in characters. */
const MAX_CODE = 8192;
const MAX_FIELD = 256;

export interface RequestCode {
  udi: Udi;
  nonce: string;
  jwk: DeviceJwk;
}

export interface ReturnCode {
  udi: Udi;
  reservationId: string;
  returnedAt: string;
}

const invalid = (message: string): LicenseError => new LicenseError('INVALID_REQUEST', message);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isField = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= MAX_FIELD;

/** Checks a UDI `{pid, sn}`; `where` names it in the message. Answers only the two fields. */
export function checkUdi(v: unknown, where: string): Udi {
  if (!isObject(v)) throw invalid(`${where} has no udi object.`);
  if (!isField(v.pid)) throw invalid(`${where}'s udi.pid must be a non-empty string of at most ${MAX_FIELD} characters.`);
  if (!isField(v.sn)) throw invalid(`${where}'s udi.sn must be a non-empty string of at most ${MAX_FIELD} characters.`);
  return { pid: v.pid, sn: v.sn };
}

/**
 * Checks a device key: a public Ed25519 OKP JWK (`x` of 32 bytes) and no private part `d`.
 * Answers only `kty`, `crv` and `x`.
 */
export function checkDeviceJwk(v: unknown, where: string): DeviceJwk {
  if (!isObject(v)) throw invalid(`${where} has no jwk object.`);
  if ('d' in v) throw invalid(`${where}'s jwk holds a private key (d); a device shows only its public key.`);
  if (v.kty !== 'OKP') throw invalid(`${where}'s jwk must be an OKP key (kty "OKP").`);
  if (v.crv !== 'Ed25519') throw invalid(`${where}'s jwk must be an Ed25519 key (crv "Ed25519").`);
  if (typeof v.x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(v.x) || Buffer.from(v.x, 'base64url').length !== 32) {
    throw invalid(`${where}'s jwk.x must be 32 bytes in base64url.`);
  }
  return { kty: 'OKP', crv: 'Ed25519', x: v.x };
}

/**
 * Reads a request code: base64url (whitespace from copying is ignored, padding tolerated) of
 * JSON `{udi:{pid,sn}, nonce, jwk}`. Each malformation throws INVALID_REQUEST saying which.
 */
export function parseRequestCode(code: unknown): RequestCode {
  if (typeof code !== 'string') throw invalid('The request code must be a string.');
  const text = code.replace(/\s+/g, '');
  if (text === '') throw invalid('The request code is empty.');
  if (text.length > MAX_CODE) throw invalid(`The request code is longer than ${MAX_CODE} characters.`);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw invalid('The request code is not base64url text.');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64url')));
  } catch {
    throw invalid('The request code does not decode to JSON.');
  }
  if (!isObject(decoded)) throw invalid('The request code must decode to a JSON object.');
  const udi = checkUdi(decoded.udi, 'The request code');
  if (!isField(decoded.nonce)) throw invalid(`The request code's nonce must be a non-empty string of at most ${MAX_FIELD} characters.`);
  const jwk = checkDeviceJwk(decoded.jwk, 'The request code');
  return { udi, nonce: decoded.nonce, jwk };
}

/** Encodes a request code, as a device would (for simulators and tests). */
export function encodeRequestCode(request: RequestCode): string {
  return Buffer.from(JSON.stringify(request)).toString('base64url');
}

/**
 * Signs the authorization code for a reservation with the satellite's private key: header
 * `{alg:"EdDSA", kid, typ:"outpost-slr+jws"}`, payload `{reservationId, udi, licenses, nonce, iat}`
 * with `iat` the reservation's time in seconds.
 */
export async function signAuthorizationCode(reservation: Reservation, privateKey: KeyInput, kid: string): Promise<string> {
  const payload = {
    reservationId: reservation.reservationId,
    udi: reservation.udi,
    licenses: reservation.licenses,
    nonce: reservation.nonce,
    iat: Math.floor(Date.parse(reservation.at) / 1000),
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: AUTHORIZATION_TYP })
    .sign(privateKey);
}

function readReturnPayload(bytes: Uint8Array): ReturnCode {
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('The return code does not carry a JSON payload.');
  }
  if (!isObject(payload)) throw invalid('The return code does not carry a JSON object.');
  const udi = checkUdi(payload.udi, 'The return code');
  if (!isField(payload.reservationId)) throw invalid('The return code has no reservationId.');
  if (parseIso(payload.returnedAt) === undefined) throw invalid('The return code\'s returnedAt must be an ISO 8601 date-time.');
  return { udi, reservationId: payload.reservationId, returnedAt: payload.returnedAt as string };
}

/**
 * Reads a return code's payload WITHOUT verifying it, to find the reservation whose key will
 * verify it. Never trust what it says before `verifyReturnCode` agrees.
 */
export function peekReturnCode(code: unknown): ReturnCode {
  if (typeof code !== 'string' || code.length > MAX_CODE) throw invalid('The return code must be a compact JWS.');
  const parts = code.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw invalid('The return code must be a compact JWS.');
  return readReturnPayload(Buffer.from(parts[1]!, 'base64url'));
}

/**
 * Verifies a return code against the device key from its request code: EdDSA, `typ`
 * `outpost-slr-return+jws`, payload `{udi, reservationId, returnedAt}`. Anything else is
 * INVALID_REQUEST.
 */
export async function verifyReturnCode(code: unknown, jwk: DeviceJwk): Promise<ReturnCode> {
  if (typeof code !== 'string' || code.length > MAX_CODE) throw invalid('The return code must be a compact JWS.');
  let result;
  try {
    const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA');
    result = await compactVerify(code.trim(), key, { algorithms: ['EdDSA', 'Ed25519'] });
  } catch {
    throw invalid('The return code does not verify against the device\'s key.');
  }
  if (result.protectedHeader.typ !== RETURN_TYP) throw invalid(`The return code's typ must be ${RETURN_TYP}.`);
  return readReturnPayload(result.payload);
}
