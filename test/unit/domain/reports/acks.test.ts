// The acknowledged ranges: a watermark that only moves up, the range of any sequence, and a
// device's acks read as a page of its reports up to the watermark.
import t from 'tap';
import { AckLedger } from '../../../../daemon/domain/reports/acks.ts';
import { keys, Writer } from '../../../../daemon/store/index.ts';
import { MemoryStore } from '../../../../daemon/store/memory.ts';

async function ledgerWith(ranges: Array<[number, number, number]>) {
  const store = new MemoryStore();
  await store.open();
  const writer = new Writer(store, { queueLimit: 10 });
  const ledger = await AckLedger.load(store);
  for (const [from, upTo, bundleSequence] of ranges) {
    await writer.run((tx) => ledger.stage(tx, { from, upTo, count: upTo - from, bundleSequence, acknowledgedAt: `2026-01-0${bundleSequence}T00:00:00.000Z` }));
  }
  return { store, writer, ledger };
}

t.test('the watermark and the range of each sequence', async (t) => {
  const { store, ledger } = await ledgerWith([[0, 10, 1], [10, 25, 3]]);
  t.equal(ledger.watermark, 25);
  t.equal(ledger.rangeOf(0), undefined);
  t.equal(ledger.rangeOf(1)?.bundleSequence, 1);
  t.equal(ledger.rangeOf(10)?.bundleSequence, 1);
  t.equal(ledger.rangeOf(11)?.bundleSequence, 3);
  t.equal(ledger.rangeOf(25)?.bundleSequence, 3);
  t.equal(ledger.rangeOf(26), undefined);
  const again = await AckLedger.load(store);
  t.same(again.ranges, ledger.ranges, 'ranges are durable');
});

t.test('a range must continue from the watermark', async (t) => {
  const { writer, ledger } = await ledgerWith([[0, 10, 1]]);
  await t.rejects(writer.run((tx) => ledger.stage(tx, { from: 5, upTo: 20, count: 1, bundleSequence: 2, acknowledgedAt: 'x' })), TypeError);
  await t.rejects(writer.run((tx) => ledger.stage(tx, { from: 10, upTo: 10, count: 0, bundleSequence: 2, acknowledgedAt: 'x' })), TypeError);
  t.equal(ledger.watermark, 10);
});

t.test('page: a device reports up to the watermark, after the cursor, at most `limit`', async (t) => {
  const { store, ledger } = await ledgerWith([[0, 10, 1], [10, 20, 2]]);
  const ops = [];
  for (let seq = 2; seq <= 30; seq += 2) ops.push({ type: 'put' as const, key: keys.deviceReport('dev_a', seq), value: `r${seq}` });
  ops.push({ type: 'put' as const, key: keys.deviceReport('dev_b', 3), value: 'other' });
  await store.batch(ops);
  const first = await ledger.page(store, 'dev_a', 0, 3);
  t.same(first, {
    acks: [
      { reportId: 'r2', acknowledgedAt: '2026-01-01T00:00:00.000Z', bundleSequence: 1 },
      { reportId: 'r4', acknowledgedAt: '2026-01-01T00:00:00.000Z', bundleSequence: 1 },
      { reportId: 'r6', acknowledgedAt: '2026-01-01T00:00:00.000Z', bundleSequence: 1 },
    ],
    cursor: 6,
  });
  const rest = await ledger.page(store, 'dev_a', 6, 100);
  t.same(rest.acks.map((a) => [a.reportId, a.bundleSequence]), [['r8', 1], ['r10', 1], ['r12', 2], ['r14', 2], ['r16', 2], ['r18', 2], ['r20', 2]], 'nothing above the watermark');
  t.equal(rest.cursor, 20);
  t.same(await ledger.page(store, 'dev_a', 20, 100), { acks: [], cursor: null });
});

t.test('dropAcknowledged removes the queue below the watermark in chunks, each starting after the last', async (t) => {
  const { store, writer, ledger } = await ledgerWith([[0, 25, 1]]);
  await store.batch(Array.from({ length: 30 }, (_, i) => ({ type: 'put' as const, key: keys.unacked(i + 1), value: { n: i + 1 } })));
  const { dropAcknowledged } = await import('../../../../daemon/domain/exchange/queue.ts');
  const ranges: unknown[] = [];
  const iterate = store.iterate.bind(store);
  store.iterate = (range) => (ranges.push(range), iterate(range));
  const dropped = await dropAcknowledged({ store, writer } as never, ledger, 10);
  t.equal(dropped, 25);
  const left: string[] = [];
  for await (const [k] of iterate({ gte: keys.unackedPrefix, lt: keys.unackedPrefix + '\uffff' })) left.push(k);
  t.same(left, [26, 27, 28, 29, 30].map((n) => keys.unacked(n)), 'what is above the watermark stays');
  t.same(
    ranges.map((r) => (r as { gt?: string }).gt ?? null),
    [null, keys.unacked(10), keys.unacked(20), keys.unacked(25)],
    'the first chunk starts at the queue, each later one after the last key deleted',
  );
});
