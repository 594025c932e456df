// At start, before any service reads the store (SPEC §12): a new store gets the current format;
// an older one is copied to <dataDir>/backups/pre-upgrade-<from>-to-<to>/ and migrated forward
// one format at a time; a newer one is refused, changing nothing. The format record moves only
// after a migration has finished, so a migration cut short (kill -9) runs again at the next start
// from its beginning, and the copy taken before it is kept, not retaken from half-migrated data.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { COMPLETE_FILE, copyDataDir } from './copy.ts';
import { STORE_FORMAT } from './format.ts';
import { keys } from './keys.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import type { Store } from './port.ts';

/** A store written by a newer program: this one must not touch it. */
export class StoreTooNewError extends Error {
  override name = 'StoreTooNewError';
}

export interface Upgrade {
  from: number;
  to: number;
  /** The copy taken before migrating. */
  backup: string;
}

export interface UpgradeOptions {
  dataDir: string;
  log: Logger;
  now: Date;
  /** For tests of the runner itself; the program's own by default. */
  migrations?: readonly Migration[];
}

/** The directory of the copy taken before migrating from `from` to `to`. */
export const preUpgradeDir = (dataDir: string, from: number, to: number): string =>
  path.join(dataDir, 'backups', `pre-upgrade-${from}-to-${to}`);

/** The format `store` is in: recorded, or 1 for a store of release 0.1.0, or null for an empty store. */
export async function storeFormat(store: Store): Promise<number | null> {
  const rec = await store.get<{ format: number }>(keys.format);
  if (rec) return rec.format;
  for await (const _ of store.iterate({ limit: 1, values: false })) return 1;
  return null;
}

/** Brings `store` to the program's format; answers what it did, or null when nothing was to do. */
export async function upgradeStore(store: Store, opts: UpgradeOptions): Promise<Upgrade | null> {
  const migrations = opts.migrations ?? MIGRATIONS;
  const current = 1 + migrations.length;
  const from = await storeFormat(store);
  if (from === null) {
    await store.batch([{ type: 'put', key: keys.format, value: { format: current } }], { sync: true });
    return null;
  }
  if (from > current) {
    throw new StoreTooNewError(
      `dataDir: the store in ${opts.dataDir} is format ${from}, newer than this program's format ${current}; run the Outpost that wrote it, or restore a backup made before it`,
    );
  }
  if (from === current) return null;

  const backup = preUpgradeDir(opts.dataDir, from, current);
  if (existsSync(path.join(backup, COMPLETE_FILE))) {
    opts.log.warn({ backup }, `resuming the store upgrade from format ${from}; the copy taken before it is kept`);
  } else {
    const copy = await copyDataDir(store, opts.dataDir, backup, opts.now);
    opts.log.info({ backup, records: copy.records }, `copied the store before upgrading it from format ${from} to ${current}`);
  }
  for (const m of migrations.slice(from - 1)) {
    const started = performance.now();
    await m.run(store);
    await store.batch([{ type: 'put', key: keys.format, value: { format: m.to } }], { sync: true });
    opts.log.info({ ms: Math.round(performance.now() - started) }, `store migrated to format ${m.to}: ${m.description}`);
  }
  return { from, to: current, backup };
}

export { STORE_FORMAT };
