// Migration 002: a store of release 0.1.0 keeps every record as it is and records format 2.
import path from 'node:path';
import t from 'tap';
import { keys } from '../../../../daemon/store/keys.ts';
import { LevelStore } from '../../../../daemon/store/level.ts';
import { recordFormat } from '../../../../daemon/store/migrations/002-record-format.ts';
import { storeFormat } from '../../../../daemon/store/upgrade.ts';
import { tempDir } from '../../../helpers/tmp.ts';

t.test('002 changes no record of a format-1 store, and running it twice is the same', async (t) => {
  const store = new LevelStore(path.join(tempDir(t), 'db'));
  await store.open();
  t.teardown(() => store.close());
  const records = { [keys.satellite]: { id: 'sat_x' }, [keys.va('va_1')]: { id: 'va_1', name: 'Default' }, [keys.event(1)]: { id: 'evt_1' } };
  await store.batch(Object.entries(records).map(([key, value]) => ({ type: 'put', key, value })));
  t.equal(recordFormat.to, 2);
  t.equal(await storeFormat(store), 1);
  await recordFormat.run(store);
  await recordFormat.run(store);
  const after: Record<string, unknown> = {};
  for await (const [k, v] of store.iterate({})) after[k] = v;
  t.same(after, records);
});
