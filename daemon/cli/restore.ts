// `outpost restore --from DIR`: puts a backup (from `outpost backup` or a scheduled one) in place
// as the data dir of a stopped Outpost. A data dir whose database is open — a running daemon
// holds its lock — is refused, changing nothing. A database already there is moved aside to
// <dataDir>/replaced-<time>/, not deleted. Run as root on a service's data dir, the restored
// files get the data dir's owner, so the service can open them.
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { KEY_FILE } from '../files/identity-file.ts';
import { REPORT_IDS_FILE } from '../files/report-ids-file.ts';
import { POOL_COUNTS_FILE } from '../files/pool-counts-file.ts';
import { LevelStore, StoreLockedError } from '../store/level.ts';
import type { BatchOp } from '../store/port.ts';
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await chown(p, uid, gid);
  if ((await stat(p)).isDirectory()) for (const n of await readdir(p)) await chownTree(path.join(p, n), uid, gid);
}

export const restore: Verb = {
  options: { from: { type: 'string' } },
  async run({ out, values, positionals, config }) {
    if (typeof values.from !== 'string' || positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost restore --from DIR');
    const from = path.resolve(values.from);
    const dataDir = path.resolve(config.dataDir);
    if (!existsSync(path.join(from, 'db', 'CURRENT')) || !existsSync(path.join(from, KEY_FILE))) {
      throw new CliError('INVALID_REQUEST', `${from} is not an Outpost backup (it needs db/ and ${KEY_FILE})`);
    }
    if (from === dataDir) throw new CliError('INVALID_REQUEST', '--from names the data dir itself');

    // The lock first: a running daemon holds it, and while we hold it none can start.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const lockProbe = existsSync(path.join(dataDir, 'db', 'CURRENT')) ? new LevelStore(path.join(dataDir, 'db')) : null;
    if (lockProbe) {
      try {
        await lockProbe.open();
      } catch (err) {
        if (err instanceof StoreLockedError) {
          throw new CliError('INVALID_REQUEST', `Outpost is running on ${dataDir}; stop it first (systemctl stop outpost), then restore`);
        }
        throw new CliError('INTERNAL', `cannot open the database in ${dataDir}: ${(err as Error).message}`);
      }
      await lockProbe.close();
    }

    const source = new LevelStore(path.join(from, 'db'));
    try {
      await source.open();
    } catch (err) {
      throw new CliError('INVALID_REQUEST', `cannot open the backup's database in ${from}: ${(err as Error).message}`);
    }
    const staging = path.join(dataDir, `restoring-${Date.now()}`);
    let records = 0;
    try {
      await mkdir(staging, { mode: 0o700 });
      const target = new LevelStore(path.join(staging, 'db'));
      await target.open();
      try {
        for await (const chunk of source.chunks<unknown>({}, 1000)) {
          await target.batch(chunk.map(([key, value]): BatchOp => ({ type: 'put', key, value })));
          records += chunk.length;
        }
        await target.batch([], { sync: true });
      } finally {
        await target.close();
      }
      await copyFile(path.join(from, KEY_FILE), path.join(staging, KEY_FILE));
      await chmod(path.join(staging, KEY_FILE), 0o600);
      // The collector's secrets key (SPEC §9), when the backup carries it.
      if (existsSync(path.join(from, 'secrets.key'))) {
        await copyFile(path.join(from, 'secrets.key'), path.join(staging, 'secrets.key'));
        await chmod(path.join(staging, 'secrets.key'), 0o600);
      }
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    } finally {
      await source.close();
    }

    // Swap: what was there goes aside, whole; the report-id filter saved for the old database goes.
    let replaced: string | null = null;
    if (existsSync(path.join(dataDir, 'db')) || existsSync(path.join(dataDir, KEY_FILE))) {
      replaced = path.join(dataDir, `replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      await mkdir(replaced, { mode: 0o700 });
      for (const name of ['db', KEY_FILE, 'secrets.key']) if (existsSync(path.join(dataDir, name))) await rename(path.join(dataDir, name), path.join(replaced, name));
    }
    await rm(path.join(dataDir, REPORT_IDS_FILE), { force: true });
    await rm(path.join(dataDir, POOL_COUNTS_FILE), { force: true }); // its cover would refuse it anyway
    await rename(path.join(staging, 'db'), path.join(dataDir, 'db'));
    await rename(path.join(staging, KEY_FILE), path.join(dataDir, KEY_FILE));
    if (existsSync(path.join(staging, 'secrets.key'))) await rename(path.join(staging, 'secrets.key'), path.join(dataDir, 'secrets.key'));
    await rm(staging, { recursive: true, force: true });
    if (process.getuid?.() === 0) {
      const owner = await stat(dataDir);
      await chownTree(path.join(dataDir, 'db'), owner.uid, owner.gid);
      await chown(path.join(dataDir, KEY_FILE), owner.uid, owner.gid);
    }
    out.result({ from, dataDir, records, replaced }, (v) =>
      `restored ${v.records} records from ${v.from} into ${v.dataDir}${v.replaced ? `; what was there is in ${v.replaced}` : ''}; start Outpost to serve it`,
    );
  },
};
