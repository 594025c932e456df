// A copy of a data dir as `outpost backup` makes it — a new LevelDB with every record of one
// snapshot of the store, and the satellite key — for the pre-upgrade copy and scheduled backups.
// A copy is checked by opening it again and counting its records.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KEY_FILE } from '../files/identity-file.ts';
import { LevelStore } from './level.ts';
import type { BatchOp, Store } from './port.ts';

/** The collector's secrets key in its default place, <dataDir>/secrets.key. */
const SECRETS_KEY_FILE = 'secrets.key';

/** Written last into a copy: a copy without it was interrupted and is not one. */
export const COMPLETE_FILE = 'backup-complete.json';

export interface CopyResult {
  dir: string;
  records: number;
}

/** Copies every record of `store` (one snapshot) and the key file of `dataDir` into the new directory `dest`. */
export async function copyDataDir(store: Store, dataDir: string, dest: string, at: Date): Promise<CopyResult> {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true, mode: 0o700 });
  await chmod(dest, 0o700);
  const copy = new LevelStore(path.join(dest, 'db'));
  await copy.open();
  let records = 0;
  try {
    for await (const chunk of store.chunks<unknown>({}, 1000)) {
      const ops: BatchOp[] = chunk.map(([key, value]) => ({ type: 'put', key, value }));
      await copy.batch(ops);
      records += ops.length;
    }
    await copy.batch([], { sync: true });
  } finally {
    await copy.close();
  }
  await copyFile(path.join(dataDir, KEY_FILE), path.join(dest, KEY_FILE));
  await chmod(path.join(dest, KEY_FILE), 0o600);
  // The collector's secrets key (SPEC §9), in its default place: a restored satellite can still poll.
  if (existsSync(path.join(dataDir, SECRETS_KEY_FILE))) {
    await copyFile(path.join(dataDir, SECRETS_KEY_FILE), path.join(dest, SECRETS_KEY_FILE));
    await chmod(path.join(dest, SECRETS_KEY_FILE), 0o600);
  }
  await verifyCopy(dest, records);
  await writeFile(path.join(dest, COMPLETE_FILE), JSON.stringify({ at: at.toISOString(), records }) + '\n', { mode: 0o600 });
  return { dir: dest, records };
}

/** Opens the copy's database again and counts its records: a copy that does not open, or holds fewer, is refused. */
export async function verifyCopy(dir: string, expected: number): Promise<void> {
  const db = new LevelStore(path.join(dir, 'db'));
  await db.open();
  let n = 0;
  try {
    for await (const chunk of db.chunks({ values: false }, 1000)) n += chunk.length;
  } finally {
    await db.close();
  }
  if (n !== expected) throw new Error(`the copy in ${dir} holds ${n} records, not ${expected}`);
}
