// <dataDir>/satellite-key.json (mode 0600): the satellite's id and private key, made on first start.
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { identityFrom, newKeyFile, type Identity, type KeyFile } from '../domain/satellite/identity.ts';

export const KEY_FILE = 'satellite-key.json';

/** Loads the identity, making it on first start. */
export async function loadIdentity(dataDir: string): Promise<{ identity: Identity; created: boolean }> {
  const file = path.join(dataDir, KEY_FILE);
  let created = false;
  let content: KeyFile;
  try {
    content = JSON.parse(await readFile(file, 'utf8')) as KeyFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    content = newKeyFile();
    const tmp = `${file}.tmp`;
    await writeFile(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, file);
    created = true;
  }
  await chmod(file, 0o600);
  return { identity: await identityFrom(content), created };
}
