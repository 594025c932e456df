// Scheduled backups (SPEC §12, config `backup`): on the cron, a consistent copy of the database
// and the key, as `outpost backup` makes, into <dir>/outpost-backup-<time>/; the copy is opened
// again and its records counted before it counts; then the oldest copies beyond `keep` go, and
// any copy a crash left unfinished. One event says what was written, or why not.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DomainContext } from '../domain/satellite/context.ts';
import { recordEvent } from '../domain/satellite/events.ts';
import { COMPLETE_FILE, copyDataDir } from '../store/copy.ts';

export const BACKUP_PREFIX = 'outpost-backup-';

export interface BackupResult {
  dir: string;
  records: number;
  removed: string[];
}

/** Where scheduled copies go: `backup.dir`, or <dataDir>/backups. */
export const backupDirOf = (ctx: Pick<DomainContext, 'config'>): string =>
  path.resolve(ctx.config.backup.dir ?? path.join(ctx.config.dataDir, 'backups'));

export function backupJob(ctx: DomainContext, log: Logger): () => Promise<BackupResult> {
  return async () => {
    const now = ctx.clock();
    const dir = backupDirOf(ctx);
    const dest = path.join(dir, BACKUP_PREFIX + now.toISOString().replace(/[:.]/g, '-'));
    let result: BackupResult;
    try {
      const copy = await copyDataDir(ctx.store, ctx.config.dataDir, dest, now);
      const removed = await pruneCopies(dir, ctx.config.backup.keep);
      result = { dir: dest, records: copy.records, removed };
    } catch (err) {
      await rm(dest, { recursive: true, force: true }).catch(() => {});
      const message = (err as Error).message;
      log.error({ err, dir: dest }, 'scheduled backup failed');
      await ctx.writer.run((tx) => void recordEvent(tx, ctx.seq, now, { actor: 'system', type: 'backup.failed', vaId: null, details: { dir: dest, error: message } }));
      throw err;
    }
    log.info(result, `backup of ${result.records} records written to ${result.dir}`);
    await ctx.writer.run((tx) => void recordEvent(tx, ctx.seq, now, { actor: 'system', type: 'backup.written', vaId: null, details: { ...result } }));
    return result;
  };
}

/** Removes unfinished copies and the oldest finished ones beyond `keep`; answers what went. */
export async function pruneCopies(dir: string, keep: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(BACKUP_PREFIX)).sort();
  const finished = names.filter((n) => existsSync(path.join(dir, n, COMPLETE_FILE)));
  const unfinished = names.filter((n) => !finished.includes(n));
  const gone = [...unfinished, ...finished.slice(0, Math.max(0, finished.length - keep))];
  for (const n of gone) await rm(path.join(dir, n), { recursive: true, force: true });
  return gone.map((n) => path.join(dir, n));
}
