// One cloud process per data dir: `serve` and the offline `respond` verb both take this lock,
// so they never write the same state at once. A lock left by a dead process is taken over.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// The one piece of module state: data dirs this process holds. A lock file naming our own pid
// is otherwise taken for stale (a restarted container is pid 1 again), so this tells a lock
// held here, by another part of the same process, from one left by a previous run.
const heldHere = new Set<string>();

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, 'cloud.lock');
  if (heldHere.has(path)) throw new Error(`the data dir ${dataDir} is in use by cloud process ${process.pid}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      heldHere.add(path);
      return {
        release: async () => {
          heldHere.delete(path);
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(path, 'utf8').catch(() => ''));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`the data dir ${dataDir} is in use by cloud process ${pid}`);
      }
      await rm(path, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`cannot lock the data dir ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
