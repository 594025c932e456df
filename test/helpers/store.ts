// A real LevelDB store in a temporary directory and the one writer over it, both closed when the
// test ends (writer first, so its last batch is written before the store closes).
import path from 'node:path';
import type { Test } from 'tap';
import { Writer } from '../../daemon/store/index.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import { tempDir } from './tmp.ts';

export async function openStore(t: Test, queueLimit = 100_000): Promise<{ store: LevelStore; writer: Writer }> {
  const store = new LevelStore(path.join(tempDir(t), 'db'));
  await store.open();
  const writer = new Writer(store, { queueLimit });
  t.teardown(async () => {
    await writer.close();
    await store.close();
  });
  return { store, writer };
}
