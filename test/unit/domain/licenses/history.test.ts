// Usage over time: a day's sample replaces that day's earlier one, days beyond the window go,
// and reads sum over the VAs in scope per day and entitlement.
import t from 'tap';
import { HISTORY_DAYS, readUsageHistory, stageUsageSample } from '../../../../daemon/domain/licenses/history/index.ts';
import type { PoolView } from '../../../../daemon/domain/licenses/core/index.ts';
import { MemoryStore } from '../../../../daemon/store/memory.ts';
import { Writer, keys } from '../../../../daemon/store/index.ts';

const pool = (vaId: string, entitlement: string, inUse: number, purchased: number): PoolView => ({
  vaId,
  entitlement,
  inUse,
  purchased,
  reserved: 0,
  available: purchased - inUse,
  status: purchased >= inUse ? 'ok' : 'insufficient',
  flags: [],
});

t.test('one sample a day, summed over the scope, bounded', async (t) => {
  const store = new MemoryStore();
  await store.open();
  const writer = new Writer(store, { queueLimit: 100 });
  const day1 = new Date('2026-11-26T10:00:00.000Z');
  const day2 = new Date('2026-11-27T09:00:00.000Z');
  const day2later = new Date('2026-11-27T23:00:00.000Z');
  await writer.run((tx) => void stageUsageSample(tx, day1, [pool('va_a', 'na', 3, 10), pool('va_b', 'na', 1, 5), pool('va_b', 'dna', 0, 0)]));
  await writer.run((tx) => void stageUsageSample(tx, day2, [pool('va_a', 'na', 4, 10), pool('va_b', 'na', 1, 5)]));
  await writer.run((tx) => void stageUsageSample(tx, day2later, [pool('va_a', 'na', 6, 10), pool('va_b', 'na', 2, 5)]));
  const all = await readUsageHistory(store, { since: '2026-11-01', vaIds: null });
  t.same(
    all.map((p) => [p.day, p.entitlement, p.inUse, p.purchased]),
    [
      ['2026-11-26', 'na', 4, 15],
      ['2026-11-27', 'na', 8, 15],
    ],
    'the later sample of a day replaced the earlier; an empty pool is not kept',
  );
  t.same((await readUsageHistory(store, { since: '2026-11-01', vaIds: new Set(['va_b']) })).map((p) => p.inUse), [1, 2], 'one VA');
  t.same((await readUsageHistory(store, { since: '2026-11-27', vaIds: null })).map((p) => p.day), ['2026-11-27'], 'since a day');
  t.same(await readUsageHistory(store, { since: '2026-11-01', vaIds: null, entitlement: 'dna' }), []);
  // A sample HISTORY_DAYS later drops day 1.
  const later = new Date(day1.getTime() + HISTORY_DAYS * 86_400_000);
  await writer.run((tx) => void stageUsageSample(tx, later, [pool('va_a', 'na', 1, 10)]));
  t.equal(await store.get(keys.usageSample('2026-11-26')), undefined, 'the day out of the window is gone');
  t.ok(await store.get(keys.usageSample('2026-11-27')));
});
