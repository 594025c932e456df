// The cloud's signing identity in its data dir: an Ed25519 key (cloud-key.pem, mode 0600),
// made on first start, and the public key set satellites trust (cloud-keys.json).
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey, readPrivateKeyFile, thumbprint, writeJwksFile, writePrivateKeyFile } from '../bundle/index.ts';
import type { SigningKey } from '../bundle/index.ts';
import type { JWK } from 'jose';

export const KEY_FILE = 'cloud-key.pem';
export const JWKS_FILE = 'cloud-keys.json';

export interface CloudIdentity extends SigningKey {
  kid: string;
  /** Path of the JWKS file to configure as the satellites' `exchange.cloudKeys`. */
  jwksPath: string;
  created: boolean;
}

/**
 * Loads the key, or makes one when there is none. cloud-keys.json always lists the current
 * key; keys already in it stay, so rotating (moving cloud-key.pem away and starting again)
 * leaves the old public key trusted until the operator removes it.
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<CloudIdentity> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const keyPath = join(dataDir, KEY_FILE);
  const jwksPath = join(dataDir, JWKS_FILE);
  let key: SigningKey;
  let created = false;
  try {
    key = await readPrivateKeyFile(keyPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    key = generateSigningKey();
    await writePrivateKeyFile(keyPath, key.privateKey);
    created = true;
  }
  const kid = await thumbprint(key.publicJwk);
  const listed = await readListedKeys(jwksPath);
  const others = [];
  for (const k of listed) if ((await thumbprint(k)) !== kid) others.push(k);
  await writeJwksFile(jwksPath, [key.publicJwk, ...others]);
  return { ...key, kid, jwksPath, created };
}

async function readListedKeys(path: string): Promise<JWK[]> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as { keys?: JWK[] };
    return Array.isArray(doc.keys) ? doc.keys : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}
