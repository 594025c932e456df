// A migration that writes one record per batch, slowly, and says how far it got: the upgrade
// runner's test kills a process running it (kill -9) part way and starts again.
//   node --import tsx test/helpers/slow-migration.ts DATA_DIR
import pino from 'pino';
import type { Migration } from '../../daemon/store/migrations/index.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import { upgradeStore } from '../../daemon/store/upgrade.ts';
import path from 'node:path';

export const SLOW_RECORDS = 300;

/** Format 1 → 2: `mig!NNN` = {n} for each n; re-running over its own partial work gives the same store. */
export function slowMigration(onWrite: (n: number) => void = () => {}): Migration {
  return {
    to: 2,
    description: 'a slow test migration',
    async run(store) {
      for (let n = 0; n < SLOW_RECORDS; n++) {
        await store.batch([{ type: 'put', key: `mig!${String(n).padStart(3, '0')}`, value: { n } }], { sync: true });
        onWrite(n);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]).endsWith('slow-migration.ts') && process.argv[2]) {
  const dataDir = process.argv[2];
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  await upgradeStore(store, { dataDir, log: pino({ level: 'silent' }), now: new Date(), migrations: [slowMigration((n) => process.stdout.write(`wrote ${n}\n`))] });
  process.stdout.write('done\n');
  await store.close();
}
