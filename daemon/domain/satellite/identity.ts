// The satellite's identity: an id and an Ed25519 key pair, kept in <dataDir>/satellite-key.json
// (mode 0600). It signs device credentials, bundles and reservation codes.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { newId } from './ids.ts';

export interface Identity {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key with its `kid`, `alg` and `use`, as GET /v1/keys serves it. */
  publicJwk: JWK;
  /** The bare public key `{kty, crv, x}`, as a registration request carries it. */
  bareJwk: JWK;
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
}

/** What <dataDir>/satellite-key.json holds (read and written by daemon/files/identity-file.ts). */
export interface KeyFile {
  id: string;
  privateJwk: JWK;
}

/** A new identity's key file content: a fresh id and Ed25519 key. */
export function newKeyFile(): KeyFile {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { id: newId('sat'), privateJwk: privateKey.export({ format: 'jwk' }) as JWK };
}

/** The identity a key file holds; its public JWK and thumbprint are derived here, once. */
export async function identityFrom(content: KeyFile): Promise<Identity> {
  const privateKey = createPrivateKey({ key: content.privateJwk as never, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const { kty, crv, x } = publicKey.export({ format: 'jwk' }) as JWK;
  const bareJwk: JWK = { kty, crv, x };
  const kid = await calculateJwkThumbprint(bareJwk);
  return { id: content.id, privateKey, publicKey, publicJwk: { ...bareJwk, kid, alg: 'EdDSA', use: 'sig' }, bareJwk, kid };
}
