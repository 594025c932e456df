// <dataDir>/pool-counts.json (mode 0600): the pools' usage sums saved at a graceful shutdown,
// taken back by the next start and deleted either way (domain/licenses/workspace/pool-counts.ts
// says why): after a crash there is no file, and the sums are counted again in the background.
import { saveWhole, takeFile } from './synced-file.ts';
import type { PoolCounts } from '../domain/licenses/workspace/pool-counts.ts';

export const POOL_COUNTS_FILE = 'pool-counts.json';

/** Takes the saved sums back when they cover this store; deletes the file either way. */
export async function restorePoolCounts(counts: PoolCounts, file: string): Promise<'restored' | 'missing' | 'stale'> {
  const bytes = await takeFile(file);
  if (!bytes) return 'missing';
  return counts.restore(bytes, await counts.cover()) ? 'restored' : 'stale';
}

/** Saves whole sums, synced, for the next start (after the writer's last batch); false when they were not whole. */
export async function savePoolCounts(counts: PoolCounts, file: string): Promise<boolean> {
  return saveWhole(file, counts.serialize(await counts.cover()));
}
