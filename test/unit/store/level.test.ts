import t from 'tap';
import path from 'node:path';
import { LevelStore, MemoryStore, StoreLockedError } from '../../../daemon/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { storeConformance } from './conformance.ts';

storeConformance(t, 'LevelStore', async (t) => {
  const s = new LevelStore(path.join(tempDir(t), 'db'));
  await s.open();
  t.teardown(() => s.close());
  return s;
});

storeConformance(t, 'MemoryStore', async () => {
  const s = new MemoryStore();
  await s.open();
  return s;
});

t.test('LevelStore: data survives close and reopen', async (t) => {
  const dir = path.join(tempDir(t), 'db');
  const a = new LevelStore(dir);
  await a.open();
  await a.batch([{ type: 'put', key: 'x', value: { kept: true } }], { sync: true });
  await a.close();
  const b = new LevelStore(dir);
  await b.open();
  t.same(await b.get('x'), { kept: true });
  await b.close();
});

t.test('LevelStore: a second open of the same database is refused as locked', async (t) => {
  const dir = path.join(tempDir(t), 'db');
  const a = new LevelStore(dir);
  await a.open();
  t.teardown(() => a.close());
  // classic-level refuses a second lock even inside one process.
  await t.rejects(new LevelStore(dir).open(), StoreLockedError);
});
