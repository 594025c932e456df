// The satellite's identity: an id and an Ed25519 key pair, kept in <dataDir>/satellite-key.json
// (mode 0600). It signs device credentials, bundles and reservation codes.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { newId } from './ids.ts';

export interface Identity {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
}

export const KEY_FILE = 'satellite-key.json';

interface KeyFile {
  id: string;
  privateJwk: JWK;
}

/** Loads the identity, making it on first start. */
export async function loadIdentity(dataDir: string): Promise<{ identity: Identity; created: boolean }> {
  const file = path.join(dataDir, KEY_FILE);
  let created = false;
  let content: KeyFile;
  try {
    content = JSON.parse(await readFile(file, 'utf8')) as KeyFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const { privateKey } = generateKeyPairSync('ed25519');
    content = { id: newId('sat'), privateJwk: privateKey.export({ format: 'jwk' }) as JWK };
    const tmp = `${file}.tmp`;
    await writeFile(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, file);
    created = true;
  }
  await chmod(file, 0o600);
  return { identity: await identityFrom(content), created };
}

export async function identityFrom(content: KeyFile): Promise<Identity> {
  const privateKey = createPrivateKey({ key: content.privateJwk as never, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  return { id: content.id, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }, kid };
}
