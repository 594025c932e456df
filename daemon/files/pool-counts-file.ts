// <dataDir>/pool-counts.json (mode 0600): the pools' usage sums saved at a graceful shutdown,
// taken back by the next start and deleted either way (domain/licenses/workspace/pool-counts.ts
// says why): after a crash there is no file, and the sums are counted again in the background.
import { readFile, rm } from 'node:fs/promises';
import { writeFileSynced } from './synced-file.ts';
import type { PoolCounts } from '../domain/licenses/workspace/pool-counts.ts';

export const POOL_COUNTS_FILE = 'pool-counts.json';

/** Takes the saved sums back when they cover this store; deletes the file either way. */
export async function restorePoolCounts(counts: PoolCounts, file: string): Promise<'restored' | 'missing' | 'stale'> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return 'missing';
  }
  await rm(file, { force: true });
  return counts.restore(bytes, await counts.cover()) ? 'restored' : 'stale';
}

/** Saves whole sums, synced, for the next start (after the writer's last batch); false when they were not whole. */
export async function savePoolCounts(counts: PoolCounts, file: string): Promise<boolean> {
  const bytes = counts.serialize(await counts.cover());
  if (!bytes) return false;
  await writeFileSynced(file, bytes);
  return true;
}
