// The filter of stored report ids: "certainly new" only once every stored id is in it.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { ReportIdFilter } from '../../../daemon/domain/report-ids.ts';
import { keys, MemoryStore } from '../../../daemon/store/index.ts';

async function storeWith(ids: string[]) {
  const store = new MemoryStore();
  await store.open();
  await store.batch(ids.map((id) => ({ type: 'put' as const, key: keys.report(id), value: { reportId: id } })));
  await store.batch([{ type: 'put', key: 'rpq!0000000000000001', value: { reportId: 'not-a-report-key' } }]);
  return store;
}

t.test('until loaded every id may be stored; loaded, stored ids may be and new ones are not', async (t) => {
  const stored = Array.from({ length: 5000 }, () => randomUUID());
  const store = await storeWith(stored);
  const filter = new ReportIdFilter();
  const fresh = Array.from({ length: 5000 }, () => randomUUID());
  t.ok(fresh.every((id) => filter.mayContain(id)), 'before the scan nothing counts as new');
  t.equal(await filter.load(store), 5000, 'only rep! keys are read');
  t.ok(filter.ready);
  t.ok(stored.every((id) => filter.mayContain(id)), 'no stored id is ever called new');
  const falsePositives = fresh.filter((id) => filter.mayContain(id)).length;
  t.ok(falsePositives <= 5, `new ids are recognised as new (${falsePositives} of 5,000 false positives)`);
  t.notOk(filter.mayContain('not-a-report-key'), 'other prefixes are not read');
  const added = randomUUID();
  filter.add(added);
  t.ok(filter.mayContain(added), 'an id staged after the scan is in it');
});

t.test('stop() ends a load at its next chunk and leaves the filter answering "maybe"', async (t) => {
  const store = await storeWith(Array.from({ length: 10_000 }, () => randomUUID()));
  const filter = new ReportIdFilter();
  const loading = filter.load(store);
  await filter.stop();
  t.equal(await loading, null);
  t.notOk(filter.ready);
  t.ok(filter.mayContain(randomUUID()));
});
