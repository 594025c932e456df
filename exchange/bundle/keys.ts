// Ed25519 keys for signing bundles: make, store, load, and name them (RFC 7638 thumbprints).
// Keys are node:crypto KeyObjects, which jose accepts and which export to PEM and JWK alike.
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';

/** A JSON Web Key Set: several keys may be trusted at once, for rotation. */
export interface Jwks {
  keys: JWK[];
}

export interface SigningKey {
  privateKey: KeyObject;
  publicJwk: JWK;
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicJwk: publicJwkOf(privateKey) };
}

/** The public half of an Ed25519 key as a bare JWK `{kty, crv, x}`. */
export function publicJwkOf(key: KeyObject | CryptoKey): JWK {
  const keyObject = key instanceof KeyObject ? key : KeyObject.from(key);
  const pub = keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject;
  assertEd25519(pub);
  const { kty, crv, x } = pub.export({ format: 'jwk' });
  return { kty, crv, x };
}

/** RFC 7638 SHA-256 thumbprint: the `kid` of every bundle and key this project signs. */
export function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

export function importPublicJwk(jwk: JWK): KeyObject {
  if (jwk.d !== undefined) throw new TypeError('expected a public JWK, got one with a private part');
  const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  assertEd25519(key);
  return key;
}

/** A private key from PKCS#8 PEM or a private JWK. */
export function importPrivateKey(source: string | JWK): KeyObject {
  const key =
    typeof source === 'string'
      ? createPrivateKey(source)
      : createPrivateKey({ key: source as import('node:crypto').JsonWebKey, format: 'jwk' });
  assertEd25519(key);
  return key;
}

export function exportPrivatePem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function exportPrivateJwk(key: KeyObject): JWK {
  return key.export({ format: 'jwk' }) as JWK;
}

/** Writes a private key as PEM, mode 0600; refuses to replace an existing file. */
export async function writePrivateKeyFile(path: string, key: KeyObject): Promise<void> {
  await writeFile(path, exportPrivatePem(key), { mode: 0o600, flag: 'wx' });
}

export async function readPrivateKeyFile(path: string): Promise<SigningKey> {
  const privateKey = importPrivateKey(await readFile(path, 'utf8'));
  return { privateKey, publicJwk: publicJwkOf(privateKey) };
}

/** A JWKS document for `keys`, each with its `kid` (thumbprint), `alg` and `use`. */
export async function jwksOf(keys: JWK[]): Promise<Jwks> {
  return {
    keys: await Promise.all(
      keys.map(async (k) => ({ kty: k.kty, crv: k.crv, x: k.x, kid: await thumbprint(k), alg: 'EdDSA', use: 'sig' })),
    ),
  };
}

export async function writeJwksFile(path: string, keys: JWK[]): Promise<void> {
  await writeFile(path, JSON.stringify(await jwksOf(keys), null, 2) + '\n');
}

/** Loads a JWKS file (such as `exchange.cloudKeys`); every key must be an Ed25519 public key. */
export async function loadJwks(path: string): Promise<Jwks> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the key set ${path}: ${(err as Error).message}`, { cause: err });
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new Error(`the key set ${path} is not a JWKS with at least one key in "keys"`);
  }
  keys.forEach((k: JWK, i) => {
    try {
      importPublicJwk(k);
    } catch (err) {
      throw new Error(`key ${i} of the key set ${path} is not an Ed25519 public key: ${(err as Error).message}`);
    }
  });
  return { keys: keys as JWK[] };
}

function assertEd25519(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  }
}
