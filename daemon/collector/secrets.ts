// Target passwords at rest (SPEC §9): AES-256-GCM under the key file `collector.secretsKeyFile`
// (default <dataDir>/secrets.key), a random 96-bit nonce per encryption and the target id as
// associated data, so a ciphertext copied onto another target does not decrypt. The key file is
// created once with mode 0600 and never replaced: losing it loses the passwords, not the targets.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';

const KEY_BYTES = 32;
const PREFIX = 'aesgcm1';

export class SecretsKeyError extends Error {
  override readonly name = 'SecretsKeyError';
}

export interface SecretBox {
  readonly file: string;
  encrypt(targetId: string, plaintext: string): string;
  /** Throws when the text was not sealed by this key for this target. */
  decrypt(targetId: string, sealed: string): string;
}

/**
 * Reads the key file, or creates it (0600, exclusive) when `create` and it is missing. A file of
 * the wrong size stops with a SecretsKeyError: it is never overwritten.
 */
export async function openSecretBox(file: string, opts: { create: boolean }): Promise<SecretBox | null> {
  let key: Buffer;
  try {
    key = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SecretsKeyError(`Cannot read the secrets key file ${file}: ${(e as Error).message}`);
    if (!opts.create) return null;
    key = randomBytes(KEY_BYTES);
    let handle;
    try {
      handle = await open(file, 'wx', 0o600);
    } catch (e2) {
      // Another process made it between our read and our create: use theirs, never replace it.
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return openSecretBox(file, opts);
      throw new SecretsKeyError(`Cannot create the secrets key file ${file}: ${(e2 as Error).message}`);
    }
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  if (key.length !== KEY_BYTES) throw new SecretsKeyError(`The secrets key file ${file} is not a ${KEY_BYTES}-byte key.`);
  return secretBox(file, key);
}

export function secretBox(file: string, key: Buffer): SecretBox {
  return {
    file,
    encrypt(targetId, plaintext) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(targetId, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [PREFIX, nonce.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    decrypt(targetId, sealed) {
      const [prefix, nonce, ct, tag, extra] = sealed.split('.');
      if (prefix !== PREFIX || !nonce || ct === undefined || !tag || extra !== undefined) throw new SecretsKeyError('Not a sealed secret.');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(targetId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
