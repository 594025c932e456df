// Small state files in the data dir saved at a graceful shutdown (the report-id filter, the pool
// sums): written whole or not at all (a temporary file, synced, then renamed over the name),
// readable by the daemon's user only.
import { open, rename } from 'node:fs/promises';

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
