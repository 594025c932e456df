// The upgrade runner (SPEC §12): a new store gets the current format, an older one is copied and
// migrated, a newer one refused untouched, and a migration killed part way (kill -9) completes
// at the next start while the copy taken before it stays the pre-upgrade store.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import t, { type Test } from 'tap';
import { KEY_FILE } from '../../../daemon/files/identity-file.ts';
import { writeFile, mkdir } from 'node:fs/promises';
import { STORE_FORMAT } from '../../../daemon/store/format.ts';
import { keys } from '../../../daemon/store/keys.ts';
import { LevelStore } from '../../../daemon/store/level.ts';
import { MIGRATIONS } from '../../../daemon/store/migrations/index.ts';
import { preUpgradeDir, StoreTooNewError, storeFormat, upgradeStore } from '../../../daemon/store/upgrade.ts';
import { SLOW_RECORDS, slowMigration } from '../../helpers/slow-migration.ts';
import { tempDir } from '../../helpers/tmp.ts';

const log = pino({ level: 'silent' });
const now = new Date('2026-12-06T06:00:00Z');
const CHILD = fileURLToPath(new URL('../../helpers/slow-migration.ts', import.meta.url));

async function dump(dir: string): Promise<Record<string, unknown>> {
  const store = new LevelStore(dir);
  await store.open();
  const out: Record<string, unknown> = {};
  for await (const [k, v] of store.iterate({})) out[k] = v;
  await store.close();
  return out;
}

/** A data dir as release 0.1.0 left it: records without a format record, and a key file. */
async function oldDataDir(t: Test): Promise<string> {
  const dataDir = path.join(tempDir(t), 'data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dataDir, KEY_FILE), '{"test":"key"}\n', { mode: 0o600 });
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  await store.batch([
    { type: 'put', key: keys.satellite, value: { id: 'sat_x' } },
    { type: 'put', key: keys.va('va_1'), value: { id: 'va_1', name: 'Default' } },
  ]);
  await store.close();
  return dataDir;
}

t.test('each migration moves a store one format forward, in order', async (t) => {
  t.equal(STORE_FORMAT, 1 + MIGRATIONS.length);
  MIGRATIONS.forEach((m, i) => t.equal(m.to, i + 2, `MIGRATIONS[${i}] produces format ${i + 2}`));
});

t.test('a new store is given the current format and nothing is copied', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  t.equal(await storeFormat(store), null);
  t.equal(await upgradeStore(store, { dataDir, log, now }), null);
  t.equal(await storeFormat(store), STORE_FORMAT);
  await store.close();
  t.notOk(existsSync(path.join(dataDir, 'backups')));
});

t.test('an older store is copied first, then migrated; the next start has nothing to do', async (t) => {
  const dataDir = await oldDataDir(t);
  const before = await dump(path.join(dataDir, 'db'));
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  t.equal(await storeFormat(store), 1, 'no format record: release 0.1.0');
  const done = await upgradeStore(store, { dataDir, log, now });
  t.same(done, { from: 1, to: STORE_FORMAT, backup: preUpgradeDir(dataDir, 1, STORE_FORMAT) });
  t.equal(await upgradeStore(store, { dataDir, log, now }), null);
  await store.close();
  const backup = preUpgradeDir(dataDir, 1, STORE_FORMAT);
  t.same(await dump(path.join(backup, 'db')), before, 'the copy holds the store as it was');
  t.ok(existsSync(path.join(backup, KEY_FILE)), 'and the key');
  t.match(backup, /backups\/pre-upgrade-1-to-\d+$/);
});

t.test('a newer store is refused with one line, and nothing changes', async (t) => {
  const dataDir = await oldDataDir(t);
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  await store.batch([{ type: 'put', key: keys.format, value: { format: STORE_FORMAT + 1 } }]);
  await t.rejects(upgradeStore(store, { dataDir, log, now }), StoreTooNewError);
  const err = await upgradeStore(store, { dataDir, log, now }).catch((e: Error) => e);
  t.match((err as Error).message, new RegExp(`^dataDir: the store in .* is format ${STORE_FORMAT + 1}, newer than this program's format ${STORE_FORMAT}; [^\\n]+$`));
  await store.close();
  t.same(readdirSync(dataDir).sort(), ['db', KEY_FILE].sort(), 'no backups directory');
  t.same((await dump(path.join(dataDir, 'db')))[keys.format], { format: STORE_FORMAT + 1 });
});

t.test('a migration killed part way (kill -9) completes at the next start; the copy is the store before it', async (t) => {
  const dataDir = await oldDataDir(t);
  const before = await dump(path.join(dataDir, 'db'));
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c;
      if (/wrote 40\n/.test(buf)) {
        child.kill('SIGKILL');
        resolve();
      }
      if (buf.includes('done')) reject(new Error('the migration finished before it could be killed'));
    });
  });
  t.equal(await exited, 'SIGKILL');
  const partial = await dump(path.join(dataDir, 'db'));
  const written = Object.keys(partial).filter((k) => k.startsWith('mig!')).length;
  t.ok(written > 0 && written < SLOW_RECORDS, `killed part way (${written} of ${SLOW_RECORDS} written)`);
  t.equal(partial[keys.format], undefined, 'the format still says 1');

  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  const done = await upgradeStore(store, { dataDir, log, now, migrations: [slowMigration()] });
  t.same(done, { from: 1, to: 2, backup: preUpgradeDir(dataDir, 1, 2) });
  t.equal(await storeFormat(store), 2);
  await store.close();
  const after = await dump(path.join(dataDir, 'db'));
  t.equal(Object.keys(after).filter((k) => k.startsWith('mig!')).length, SLOW_RECORDS, 'the migration completed');
  t.same(await dump(path.join(preUpgradeDir(dataDir, 1, 2), 'db')), before, 'the copy was not retaken from half-migrated data');
});
