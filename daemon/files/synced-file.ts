// Small state files in the data dir saved at a graceful shutdown (the report-id filter, the pool
// sums): written whole or not at all (a temporary file, synced, then renamed over the name),
// readable by the daemon's user only, and taken back once: the next start reads and deletes
// them, so a crash after that start leaves none to be trusted.
import { open, readFile, rename, rm } from 'node:fs/promises';

/**
 * Writes `bytes` (or the parts, one after another, taken as they are written: no copy of a large
 * file's pieces into one buffer) to `file` (mode 0600) through `<file>.tmp`, synced before the rename.
 */
export async function writeFileSynced(file: string, bytes: Uint8Array | Iterable<Uint8Array>): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    for (const part of bytes instanceof Uint8Array ? [bytes] : bytes) await fh.writeFile(part);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** Saves `bytes` with `writeFileSynced` when there are any; false when there are none (the state was not whole). */
export async function saveWhole(file: string, bytes: Uint8Array | null): Promise<boolean> {
  if (!bytes) return false;
  await writeFileSynced(file, bytes);
  return true;
}

/** Reads a saved file and deletes it, whatever it holds; null when there is none. */
export async function takeFile(file: string): Promise<Buffer | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return null;
  }
  await rm(file, { force: true });
  return bytes;
}
