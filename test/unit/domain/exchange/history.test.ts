// The exchange history: written through a real writer into a real store, bounded, newest first,
// and read back after a restart.
import t from 'tap';
import { HISTORY_SIZE, SyncHistory, historyKey, type HistoryInput } from '../../../../daemon/domain/exchange/history.ts';
import { MemoryStore } from '../../../../daemon/store/memory.ts';
import { Writer, keys } from '../../../../daemon/store/index.ts';

const entry = (i: number): HistoryInput => ({
  path: i % 2 ? 'network' : 'air-gapped',
  direction: 'out',
  kind: 'satellite-report',
  sequence: i,
  received: null,
  records: i * 10,
  result: 'ok',
  error: null,
  actor: 'local',
});

t.test('kept newest first, at most HISTORY_SIZE, and loaded again', async (t) => {
  const store = new MemoryStore();
  await store.open();
  const writer = new Writer(store, { queueLimit: 100 });
  const history = await SyncHistory.load(store);
  t.same(history.entries, []);
  const at = new Date('2026-11-28T10:00:00.000Z');
  for (let i = 1; i <= HISTORY_SIZE + 5; i++) await writer.run((tx) => void history.stage(tx, at, entry(i)));
  t.equal(history.entries.length, HISTORY_SIZE, 'bounded');
  t.equal(history.entries[0]!.sequence, HISTORY_SIZE + 5, 'newest first');
  t.equal(history.entries.at(-1)!.sequence, 6, 'the oldest fell off');
  const keysInOrder = history.entries.map(historyKey);
  t.same(keysInOrder, [...keysInOrder].sort(), 'paging keys ascend newest first');
  const again = await SyncHistory.load(store);
  t.same(again.entries, history.entries, 'the same after a restart');
  t.equal(((await store.get<unknown[]>(keys.syncHistory)) ?? []).length, HISTORY_SIZE);
});

t.test('a failed batch leaves memory as it was', async (t) => {
  const store = new MemoryStore();
  await store.open();
  const writer = new Writer(store, { queueLimit: 100 });
  const history = await SyncHistory.load(store);
  await t.rejects(
    writer.run((tx) => {
      history.stage(tx, new Date(), entry(1));
      throw new Error('refused later in the same batch');
    }),
  );
  t.same(history.entries, []);
});

t.test('a noted entry (a refusal) is shown but never stored', async (t) => {
  const store = new MemoryStore();
  await store.open();
  const writer = new Writer(store, { queueLimit: 100 });
  const history = await SyncHistory.load(store);
  const at = new Date('2026-11-28T10:00:00.000Z');
  await writer.run((tx) => void history.stage(tx, at, entry(1)));
  history.note(at, { ...entry(2), result: 'refused', error: { code: 'BUNDLE_NOT_ZIP', message: 'not a zip' } });
  await writer.run((tx) => void history.stage(tx, at, entry(3)));
  t.same(history.entries.map((e) => [e.n, e.result]), [[3, 'ok'], [2, 'refused'], [1, 'ok']]);
  t.same(((await store.get<Array<{ n: number }>>(keys.syncHistory)) ?? []).map((e) => e.n), [1, 3], 'the store holds the successes only');
  t.same((await SyncHistory.load(store)).entries.map((e) => e.n), [3, 1], 'after a restart: what was stored');
});
