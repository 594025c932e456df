// The license state in the one writer: a transaction builds on what earlier transactions of its
// group staged, never on what a failed one staged; the pool index follows only what is durable.
import t from 'tap';
import { applySnapshot, transfer, type Line } from '../../../../../daemon/domain/licenses/core/index.ts';
import { LicenseBook } from '../../../../../daemon/domain/licenses/workspace/book.ts';
import { loadLicenseRecords } from '../../../../../daemon/domain/licenses/workspace/records.ts';
import { Sequences } from '../../../../../daemon/domain/satellite/sequences.ts';
import { Writer, type BatchOp } from '../../../../../daemon/store/index.ts';
import { MemoryStore } from '../../../../../daemon/store/memory.ts';

const NOW = new Date('2026-03-01T00:00:00.000Z');
const lineOf = (lineId: string, quantity: number, virtualAccount = 'Default'): Line => ({
  lineId,
  sku: 'SKU',
  entitlement: 'network-advantage',
  description: '',
  quantity,
  type: 'perpetual',
  startsAt: '2026-01-01T00:00:00.000Z',
  endsAt: null,
  virtualAccount,
});
const resolve = (p: string) => ({ Default: 'va_default', Eng: 'va_eng', Ops: 'va_ops' })[p];

class GatedStore extends MemoryStore {
  gate: Promise<void> | null = null;
  failNext = false;
  override async batch(ops: BatchOp[], opts?: { sync?: boolean }): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    return super.batch(ops, opts);
  }
}

async function setup() {
  const store = new GatedStore();
  await store.open();
  const seq = await Sequences.load(store);
  const writer = new Writer(store, { queueLimit: 100 });
  const book = new LicenseBook(await loadLicenseRecords(store), seq);
  const snapshot = (lines: Line[]) =>
    writer.run(async (tx) => {
      const base = await book.base(tx);
      const r = applySnapshot(base.state, lines, resolve, 'va_default', NOW);
      book.stage(tx, base, r.state, r.changes);
    });
  const move = (id: string, quantity: number, to: string) =>
    writer.run(async (tx) => {
      const base = await book.base(tx);
      const r = transfer(base.state, { entitlement: 'network-advantage', quantity, fromVaId: 'va_default', toVaId: to, transferId: id, at: NOW, by: 'test' }, book.poolOf(base.state, NOW));
      book.stage(tx, base, r.state, r.changes);
    });
  /** Holds the next batch until released, so what is queued meanwhile forms one group. */
  const hold = () => {
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    return () => {
      store.gate = null;
      release();
    };
  };
  return { store, seq, writer, book, snapshot, move, hold };
}

t.test('transactions of one group build on each other', async (t) => {
  const { book, snapshot, move, hold, store } = await setup();
  const release = hold();
  const first = snapshot([lineOf('L-1', 5)]); // alone in the held batch
  const grouped = [snapshot([lineOf('L-1', 10)]), move('t1', 6, 'va_eng'), move('t2', 6, 'va_ops')];
  release();
  await first;
  const results = await Promise.allSettled(grouped);
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected'], 'the second transfer saw the first and found 4 left');
  t.match((results[2] as PromiseRejectedResult).reason, { code: 'INSUFFICIENT_QUANTITY' });
  t.same(book.state.holdings, [
    { lineId: 'L-1', vaId: 'va_default', quantity: 4 },
    { lineId: 'L-1', vaId: 'va_eng', quantity: 6 },
  ]);
  t.same(book.index.pools(NOW).map((p) => [p.vaId, p.purchased]), [['va_default', 4], ['va_eng', 6]], 'the index followed every change in order');
  const reloaded = await loadLicenseRecords(store);
  t.same(reloaded.state, book.state, 'the records hold exactly the state');
  t.equal(reloaded.rev, 3);
  t.same([...reloaded.positions.transfers], [['t1', 1]]);
});

t.test('a transaction that fails after staging leaves nothing for the next one to build on', async (t) => {
  const { book, writer, snapshot, move, hold } = await setup();
  await snapshot([lineOf('L-1', 10)]);
  const release = hold();
  const blocker = move('t0', 1, 'va_eng');
  const failing = writer.run(async (tx) => {
    const base = await book.base(tx);
    const r = transfer(base.state, { entitlement: 'network-advantage', quantity: 9, fromVaId: 'va_default', toVaId: 'va_ops', transferId: 't1', at: NOW, by: 'test' }, book.poolOf(base.state, NOW));
    book.stage(tx, base, r.state, r.changes);
    throw new Error('the caller gave up after staging');
  });
  const after = move('t2', 9, 'va_eng');
  release();
  await blocker;
  await t.rejects(failing, /gave up/);
  await after;
  t.same(book.state.holdings, [{ lineId: 'L-1', vaId: 'va_eng', quantity: 10 }], 'the failed transfer is nowhere');
  t.same(book.state.transfers.map((x) => x.transferId), ['t0', 't2']);
});

t.test('a batch that fails to write changes neither the state nor the index', async (t) => {
  const { book, store, snapshot, move } = await setup();
  await snapshot([lineOf('L-1', 10)]);
  store.failNext = true;
  await t.rejects(move('t1', 3, 'va_eng'), /disk full/);
  t.same(book.state.holdings, [{ lineId: 'L-1', vaId: 'va_default', quantity: 10 }]);
  t.same(book.index.pools(NOW).map((p) => [p.vaId, p.purchased]), [['va_default', 10]]);
  await move('t2', 3, 'va_eng');
  t.same(book.state.holdings.map((h) => [h.vaId, h.quantity]), [['va_default', 7], ['va_eng', 3]], 'and the next change builds on the committed state');
  t.same((await loadLicenseRecords(store)).state, book.state);
});
