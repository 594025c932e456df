// <dataDir>/device-search.bin (mode 0600): `?q=`'s text column (domain/devices/device-search.ts)
// saved at a graceful shutdown, so the next start does not walk every device record to make it
// again. Like the pool sums it is tagged with the satellite and every sequence of the store
// (the pools' `cover`): it is taken back only when the store is exactly as it was saved, and the
// file is deleted at start once read, so after a crash there is none.
//
// Layout: "ODSEARCF", a u32 (little-endian) length L, L bytes of JSON {format, satelliteId,
// sequences} padded with spaces to a multiple of 4, then the column's own bytes (`toBuffer`: a
// header with a SHA-256 of its body). The padding keeps the column 4-byte aligned in a file read
// whole, so its arrays are loaded as views of that one buffer, not copied.
import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileSynced } from './synced-file.ts';
import type { Cover } from '../domain/licenses/workspace/pool-counts.ts';

export const DEVICE_SEARCH_FILE = 'device-search.bin';
const MAGIC = Buffer.from('ODSEARCF', 'latin1');
const FORMAT = 'outpost.device-search/1';

const coverSchema = z.strictObject({ format: z.literal(FORMAT), satelliteId: z.string(), sequences: z.record(z.string(), z.number()) });

const sameCover = (a: Cover, b: Cover): boolean => {
  const ka = Object.keys(a.sequences);
  return a.satelliteId === b.satelliteId && ka.length === Object.keys(b.sequences).length && ka.every((k) => Object.hasOwn(b.sequences, k) && b.sequences[k] === a.sequences[k]);
};

/**
 * The saved column's bytes when the file covers exactly this store (`cover`, read at start before
 * anything was written); 'missing' or 'stale' otherwise. The caller deletes the file
 * (`dropDeviceSearch`) once it has read it, so a daemon stopped while it reads leaves the file
 * for the next start (which takes it if nothing changed since).
 */
export async function takeDeviceSearch(file: string, cover: Cover): Promise<Buffer | 'missing' | 'stale'> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return 'missing';
  }
  if (bytes.length < 12 || !bytes.subarray(0, 8).equals(MAGIC)) return 'stale';
  const len = bytes.readUInt32LE(8);
  if (len % 4 !== 0 || 12 + len > bytes.length) return 'stale';
  let saved: z.infer<typeof coverSchema>;
  try {
    saved = coverSchema.parse(JSON.parse(bytes.toString('utf8', 12, 12 + len)));
  } catch {
    return 'stale';
  }
  if (!sameCover(saved, cover)) return 'stale';
  return bytes.subarray(12 + len);
}

/** Deletes the saved column: what it holds is in memory now, or was of no use. */
export async function dropDeviceSearch(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Saves the column (its parts, `toBuffers`; null: not ready, nothing saved), synced, tagged with `cover` (read after the writer's last batch). */
export async function saveDeviceSearch(file: string, cover: Cover, column: Buffer[] | null): Promise<boolean> {
  if (column === null) return false;
  let json = JSON.stringify({ format: FORMAT, satelliteId: cover.satelliteId, sequences: cover.sequences });
  json += ' '.repeat((4 - (Buffer.byteLength(json) % 4)) % 4);
  const head = Buffer.alloc(12);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(Buffer.byteLength(json), 8);
  await writeFileSynced(file, [head, Buffer.from(json, 'utf8'), ...column]);
  return true;
}
