// The filter of stored report ids: "certainly new" only once every stored id is in it.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { ReportIdFilter } from '../../../../daemon/domain/reports/report-ids.ts';
import { restoreReportIds, saveReportIds } from '../../../../daemon/files/report-ids-file.ts';
import { keys } from '../../../../daemon/store/index.ts';
import { MemoryStore } from '../../../../daemon/store/memory.ts';

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

t.test('a filter saved at shutdown comes back only for the same satellite and report sequence, once', async (t) => {
  const { tempDir } = await import('../../../helpers/tmp.ts');
  const { existsSync, writeFileSync, statSync } = await import('node:fs');
  const path = (await import('node:path')).default;
  const file = path.join(tempDir(t), 'report-ids.bloom');
  const stored = Array.from({ length: 1000 }, () => randomUUID());
  const filter = new ReportIdFilter();
  t.equal(await saveReportIds(filter, file, { satelliteId: 'sat_a', reportSeq: 1000 }), false, 'a filter not yet filled is not saved');
  await filter.load(await storeWith(stored));
  t.equal(await saveReportIds(filter, file, { satelliteId: 'sat_a', reportSeq: 1000 }), true);
  t.equal(statSync(file).mode & 0o777, 0o600);

  const back = new ReportIdFilter();
  t.equal(await restoreReportIds(back, file, { satelliteId: 'sat_a', reportSeq: 1000 }), true);
  t.ok(back.ready);
  t.ok(stored.every((id) => back.mayContain(id)), 'every stored id is in the filter taken back');
  t.notOk(existsSync(file), 'the file is used once: a crash later cannot bring back a stale filter');
  t.equal(await restoreReportIds(new ReportIdFilter(), file, { satelliteId: 'sat_a', reportSeq: 1000 }), false, 'no file: no filter');

  for (const [what, cover] of [
    ['a report arrived after it was saved', { satelliteId: 'sat_a', reportSeq: 1001 }],
    ['another satellite', { satelliteId: 'sat_b', reportSeq: 1000 }],
  ] as const) {
    await saveReportIds(filter, file, { satelliteId: 'sat_a', reportSeq: 1000 });
    const other = new ReportIdFilter();
    t.equal(await restoreReportIds(other, file, cover), false, what);
    t.notOk(other.ready, `${what}: filled by a scan instead`);
    t.notOk(existsSync(file));
  }
  writeFileSync(file, '{"format":"outpost.report-ids/1"}\ngarbage');
  t.equal(await restoreReportIds(new ReportIdFilter(), file, { satelliteId: 'sat_a', reportSeq: 1000 }), false, 'a damaged file is ignored');
});
