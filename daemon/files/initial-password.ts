// <dataDir>/initial-admin-password (mode 0600): the first admin's one-time password.
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

/** Writes the password atomically and answers the file's path. */
export async function writeInitialPassword(dataDir: string, password: string): Promise<string> {
  const file = path.join(dataDir, INITIAL_PASSWORD_FILE);
  await writeFile(`${file}.tmp`, password + '\n', { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return file;
}

/**
 * Removes the file once the initial admin has chosen a password of their own: it then holds a
 * password that no longer works, and nothing should keep a copy. Answers the path removed, or null.
 */
export async function removeInitialPassword(dataDir: string): Promise<string | null> {
  const file = path.join(dataDir, INITIAL_PASSWORD_FILE);
  try {
    await stat(file);
  } catch {
    return null;
  }
  await rm(file, { force: true });
  return file;
}
