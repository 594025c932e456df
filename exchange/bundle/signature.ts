// Signing and verifying manifest.jws: a compact JWS whose header is exactly
// {"alg":"EdDSA","kid":<RFC 7638 thumbprint>,"typ":"outpost-bundle+jws"} (SPEC §5).
import type { KeyObject } from 'node:crypto';
import { base64url, CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import type { JWK } from 'jose';
import { BundleError } from './errors.ts';
import { importPublicJwk, thumbprint } from './keys.ts';
import type { Jwks } from './keys.ts';

export const BUNDLE_JWS_TYP = 'outpost-bundle+jws';

/**
 * Picks the keys to trust once the header is known. The payload is NOT verified yet: use it
 * only to find a key (a registration request names its own key; an offline cloud looks the
 * satellite up). Throw a BundleError to refuse.
 */
export type KeyResolver = (unverified: { kid: string; payload: unknown }) => Jwks | Promise<Jwks>;

export async function signManifest(
  payload: object,
  privateKey: KeyObject | CryptoKey,
  publicJwk: JWK,
): Promise<string> {
  const kid = await thumbprint(publicJwk);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: BUNDLE_JWS_TYP })
    .sign(privateKey);
}

/** Verifies `jws` against a trusted key; answers the payload, parsed but not yet schema-checked. */
export async function verifyManifest(jws: string, trusted: Jwks | KeyResolver): Promise<unknown> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    if (jws.trim().split('.').length !== 3) throw new Error('not three parts');
    header = decodeProtectedHeader(jws.trim());
  } catch (err) {
    throw new BundleError('BUNDLE_SIGNATURE_INVALID', 'manifest.jws is not a compact JWS.', { cause: err });
  }
  if (header.alg !== 'EdDSA') {
    throw new BundleError('BUNDLE_SIGNATURE_INVALID', `manifest.jws is signed with alg ${String(header.alg)}, not EdDSA.`);
  }
  if (header.typ !== BUNDLE_JWS_TYP) {
    throw new BundleError('BUNDLE_SIGNATURE_INVALID', `manifest.jws has typ ${String(header.typ)}, not ${BUNDLE_JWS_TYP}.`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw new BundleError('BUNDLE_KEY_UNKNOWN', 'manifest.jws names no signing key (kid).');
  }
  const kid = header.kid;
  const jwks = typeof trusted === 'function' ? await trusted({ kid, payload: peekPayload(jws) }) : trusted;
  const key = await findKey(jwks, kid);
  if (!key) {
    throw new BundleError('BUNDLE_KEY_UNKNOWN', `manifest.jws is signed by key ${kid}, which is not trusted.`);
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws.trim(), key, { algorithms: ['EdDSA'] }));
  } catch (err) {
    throw new BundleError('BUNDLE_SIGNATURE_INVALID', 'The signature of manifest.jws does not verify.', { cause: err });
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (err) {
    throw new BundleError('BUNDLE_RECORD_INVALID', 'The manifest is not JSON.', { cause: err });
  }
}

/** The trusted key whose thumbprint is `kid`; keys that are not Ed25519 are never a match. */
async function findKey(jwks: Jwks, kid: string): Promise<KeyObject | undefined> {
  for (const jwk of Array.isArray(jwks?.keys) ? jwks.keys : []) {
    try {
      const key = importPublicJwk(jwk);
      if ((await thumbprint(jwk)) === kid) return key;
    } catch {
      // not a usable Ed25519 public key: it can never have signed a bundle
    }
  }
  return undefined;
}

function peekPayload(jws: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(base64url.decode(jws.trim().split('.')[1] ?? '')));
  } catch {
    return undefined;
  }
}
