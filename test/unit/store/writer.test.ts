import t from 'tap';
import { NOT_CACHED, Writer, type BatchOp } from '../../../daemon/store/index.ts';
import { MemoryStore } from '../../../daemon/store/memory.ts';
import { OutpostError } from '../../../daemon/errors.ts';

class CountingStore extends MemoryStore {
  batches: BatchOp[][] = [];
  failNext = false;
  gate: Promise<void> | null = null;
  override async batch(ops: BatchOp[], opts?: { sync?: boolean }): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.batches.push(ops);
    return super.batch(ops, opts);
  }
}

async function setup(queueLimit = 100) {
  const store = new CountingStore();
  await store.open();
  const sizes: number[] = [];
  const writer = new Writer(store, { queueLimit, stats: { onBatch: (n) => sizes.push(n) } });
  return { store, writer, sizes };
}

t.test('concurrent transactions share one synced batch (group commit)', async (t) => {
  const { store, writer, sizes } = await setup();
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  const first = writer.run((tx) => tx.put('k!0', 0));
  await new Promise((r) => setImmediate(r)); // the writer wakes and takes the first alone
  const rest = Array.from({ length: 20 }, (_, i) => writer.run((tx) => tx.put(`k!${i + 1}`, i + 1)));
  release();
  store.gate = null;
  await Promise.all([first, ...rest]);
  t.same(sizes, [1, 20], 'the first batch holds one, the 20 queued meanwhile go together');
  t.equal(await store.get('k!20'), 20);
});

t.test('transactions queued in the same turn of the event loop share the first batch', async (t) => {
  const { writer, sizes } = await setup();
  await Promise.all(Array.from({ length: 5 }, (_, i) => writer.run((tx) => tx.put(`k!${i}`, i))));
  t.same(sizes, [5]);
});

t.test('a transaction sees what earlier ones in its group staged, so a check cannot pass twice', async (t) => {
  const { store, writer } = await setup();
  await store.batch([{ type: 'put', key: 'uses', value: 4 }]);
  const use = () =>
    writer.run(async (tx) => {
      const n = (await tx.get<number>('uses'))!;
      if (n >= 5) throw new OutpostError('TOKEN_EXHAUSTED', 'no uses left');
      tx.put('uses', n + 1);
      return n + 1;
    });
  const results = await Promise.allSettled([use(), use(), use()]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected']);
  t.equal(await store.get('uses'), 5);
});

t.test('a transaction reads what its group staged before it, then the store as the earlier batch left it', async (t) => {
  const { store, writer } = await setup();
  await store.batch([{ type: 'put', key: 'n', value: 1 }]);
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  const first = writer.run(async (tx) => tx.put('n', ((await tx.get<number>('n')) ?? 0) + 1));
  await new Promise((r) => setImmediate(r)); // the first batch is now being written (held at the gate)
  const bump = () =>
    writer.run(async (tx) => {
      const n = (await tx.get<number>('n'))!;
      tx.put('n', n + 1);
      return n;
    });
  const second = bump();
  const third = bump();
  release();
  store.gate = null;
  await first;
  t.equal(await second, 2, 'the second group reads the first batch once it is durable');
  t.equal(await third, 3, 'and its second transaction reads what the first staged');
  t.equal(await store.get('n'), 4);
});

t.test('a transaction that throws stages nothing and its neighbours still commit', async (t) => {
  const { store, writer } = await setup();
  const ok = writer.run((tx) => tx.put('a', 1));
  const bad = writer.run((tx) => {
    tx.put('b', 2);
    throw new Error('refused');
  });
  const after: string[] = [];
  const ok2 = writer.run((tx) => {
    tx.after(() => after.push('ran'));
    tx.put('c', 3);
  });
  await ok;
  await t.rejects(bad, /refused/);
  await ok2;
  t.same(['a', 'b', 'c'].map((k) => store.getSync(k)), [1, undefined, 3]);
  t.same(after, ['ran'], 'after() runs once the batch is durable');
});

t.test('a failed batch rejects every transaction in it and runs no after()', async (t) => {
  const { store, writer } = await setup();
  store.failNext = true;
  let ran = false;
  await t.rejects(writer.run((tx) => { tx.put('x', 1); tx.after(() => (ran = true)); }), /disk full/);
  t.equal(ran, false);
  t.equal(await store.get('x'), undefined);
});

t.test('bounded work is refused 429 BUSY when the queue is full', async (t) => {
  const { store, writer } = await setup(3);
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  const running = writer.run((tx) => tx.put('first', 1));
  await new Promise((r) => setImmediate(r));
  const queued = [1, 2, 3].map((i) => writer.run((tx) => tx.put(`q${i}`, i), { bounded: true }));
  const refused = writer.run((tx) => tx.put('over', 1), { bounded: true });
  await t.rejects(refused, { code: 'BUSY', status: 429, headers: { 'Retry-After': '1' } });
  release();
  store.gate = null;
  await Promise.all([running, ...queued]);
  t.equal(await store.get('over'), undefined);
});

t.test('close() waits for queued work and refuses new work', async (t) => {
  const { store, writer } = await setup();
  const pending = writer.run((tx) => tx.put('late', 1));
  await writer.close();
  await pending;
  t.equal(await store.get('late'), 1);
  await t.rejects(writer.run((tx) => tx.put('x', 1)), { code: 'UNAVAILABLE' });
});

t.test('an exclusive transaction goes alone in its batch, after every earlier after() ran', async (t) => {
  const { store, writer, sizes } = await setup();
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  const view = new Set<string>();
  const put = (k: string) =>
    writer.run((tx) => {
      tx.put(k, 1);
      tx.after(() => view.add(k));
    });
  const first = put('a');
  await new Promise((r) => setImmediate(r)); // the writer wakes and takes 'a' alone
  const before = [put('b'), put('c')];
  let seen: string[] = [];
  const exclusive = writer.run(
    (tx) => {
      seen = [...view].sort();
      tx.put('x', 1);
    },
    { exclusive: true },
  );
  const afterwards = [put('d'), put('e')];
  release();
  store.gate = null;
  await Promise.all([first, ...before, exclusive, ...afterwards]);
  t.same(sizes, [1, 2, 1, 2], 'the batch splits before and after the exclusive transaction');
  t.same(seen, ['a', 'b', 'c'], 'it sees the in-memory view of everything queued before it');
});

t.test('txOnly transactions run while the previous batch syncs, reading its writes, and commit in the next', async (t) => {
  const { store, writer, sizes } = await setup();
  await store.batch([{ type: 'put', key: 'n', value: 0 }]);
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  const bump = (txOnly: boolean) =>
    writer.run(
      async (tx) => {
        const n = (await tx.get<number>('n'))!;
        tx.put('n', n + 1);
        return n + 1;
      },
      { txOnly },
    );
  const first = bump(true);
  await new Promise((r) => setImmediate(r)); // the first batch is being written, held at the gate
  let ran = 0;
  const early = [1, 2, 3].map(() => writer.run(async (tx) => {
    ran++;
    const n = (await tx.get<number>('n'))!;
    tx.put('n', n + 1);
    return n + 1;
  }, { txOnly: true }));
  await new Promise((r) => setTimeout(r, 10));
  t.equal(ran, 3, 'they ran before the first batch was durable');
  let answered = false;
  void early[0]!.then(() => (answered = true));
  await new Promise((r) => setTimeout(r, 10));
  t.equal(answered, false, 'but nobody is answered before their own batch is durable');
  release();
  store.gate = null;
  t.same(await Promise.all([first, ...early]), [1, 2, 3, 4], 'each read what the one before staged');
  t.same(sizes, [1, 3]);
  t.equal(await store.get('n'), 4);
  t.equal(await bump(false), 5);
});

t.test('a plain transaction waits until the batch being synced is durable and its after() ran', async (t) => {
  const { store, writer } = await setup();
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  const view: string[] = [];
  const first = writer.run((tx) => {
    tx.put('a', 1);
    tx.after(() => view.push('a'));
  });
  await new Promise((r) => setImmediate(r));
  let seen: string[] | null = null;
  const plain = writer.run(() => {
    seen = [...view];
  });
  await new Promise((r) => setTimeout(r, 10));
  t.equal(seen, null, 'it has not run while the batch syncs');
  release();
  store.gate = null;
  await Promise.all([first, plain]);
  t.same(seen, ['a']);
});

t.test('a failed batch also fails the txOnly transactions that ran on top of it; later ones commit', async (t) => {
  const { store, writer } = await setup();
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  store.failNext = true;
  const doomed = writer.run((tx) => tx.put('x', 1), { txOnly: true });
  await new Promise((r) => setImmediate(r));
  const onTop = writer.run(async (tx) => {
    tx.put('y', ((await tx.get<number>('x')) ?? 0) + 1);
  }, { txOnly: true });
  await new Promise((r) => setTimeout(r, 10));
  release();
  store.gate = null;
  await t.rejects(doomed, /disk full/);
  await t.rejects(onTop, /disk full/, 'it read x from the batch that failed');
  await writer.run((tx) => tx.put('z', 1), { txOnly: true });
  t.same(['x', 'y', 'z'].map((k) => store.getSync(k)), [undefined, undefined, 1]);
});

t.test('a batch the disk refuses stops the writer: 503 STORAGE_UNAVAILABLE until resume()', async (t) => {
  const store = new CountingStore();
  await store.open();
  const failures: unknown[] = [];
  const writer = new Writer(store, { queueLimit: 100, onStorageError: (err) => failures.push(err) });
  let refuse = true;
  const batch = store.batch.bind(store);
  store.batch = async (ops, opts) => {
    if (refuse) throw Object.assign(new Error('IO error: /data/db/000005.log: No space left on device'), { code: 'LEVEL_IO_ERROR' });
    return batch(ops, opts);
  };
  const first = await Promise.allSettled([writer.run((tx) => tx.put('a', 1)), writer.run((tx) => tx.put('b', 2), { txOnly: true })]);
  for (const r of first) t.match(r, { status: 'rejected', reason: { code: 'STORAGE_UNAVAILABLE', status: 503, headers: { 'Retry-After': '5' } } });
  t.equal(failures.length, 1, 'the hook hears of it once');
  t.equal(writer.available, false);
  await t.rejects(writer.run((tx) => tx.put('c', 3)), { code: 'STORAGE_UNAVAILABLE' }, 'refused at once while it stands');
  refuse = false;
  t.equal(writer.resume(), 3, 'resume answers how many were refused');
  await writer.run((tx) => tx.put('d', 4));
  t.equal(await store.get('d'), 4, 'writes again after resume');
  t.equal(await store.get('a'), undefined, 'nothing of the refused batch was written');
});

t.test('undo callbacks run instead of after when a transaction throws or its batch fails, last staged first', async (t) => {
  const { store, writer } = await setup();
  const log: string[] = [];
  await t.rejects(
    writer.run((tx) => {
      tx.put('a', 1);
      tx.after(() => log.push('after a'));
      tx.undo(() => log.push('undo a1'));
      tx.undo(() => log.push('undo a2'));
      throw new Error('changed its mind');
    }),
    /changed its mind/,
  );
  t.same(log, ['undo a2', 'undo a1'], 'a transaction that throws: its undos, last first, no after');
  log.length = 0;
  await writer.run((tx) => {
    tx.put('b', 2);
    tx.after(() => log.push('after b'));
    tx.undo(() => log.push('undo b'));
  });
  t.same(log, ['after b'], 'a written one: after, no undo');
  log.length = 0;
  store.failNext = true;
  const failed = await Promise.allSettled(
    ['c', 'd'].map((k) =>
      writer.run((tx) => {
        tx.put(k, 1);
        tx.after(() => log.push(`after ${k}`));
        tx.undo(() => {
          log.push(`undo ${k}`);
          throw new Error('an undo that throws does not stop the others');
        });
      }),
    ),
  );
  t.same(failed.map((r) => r.status), ['rejected', 'rejected']);
  t.same(log.sort(), ['undo c', 'undo d'], 'a batch that fails: every transaction in it is undone');
  t.equal(store.getSync('c'), undefined);
});

t.test('readThrough: a transaction reads a key the hook holds without the store, and what is staged before either', async (t) => {
  const { store, writer } = await setup();
  await store.batch([{ type: 'put', key: 'k', value: 'in the store' }, { type: 'put', key: 'gone', value: 'in the store' }]);
  const asked: string[] = [];
  writer.readThrough((key) => {
    asked.push(key);
    if (key === 'k') return 'cached';
    if (key === 'gone') return undefined; // known to be absent
    return NOT_CACHED;
  });
  const read = await writer.run(async (tx) => [await tx.get('k'), await tx.get('gone'), await tx.get('other')]);
  t.same(read, ['cached', undefined, undefined], 'the hook answers; NOT_CACHED falls through to the store');
  t.same(asked, ['k', 'gone', 'other']);
  asked.length = 0;
  const staged = await writer.run(async (tx) => {
    tx.put('k', 'staged');
    return tx.get('k');
  });
  t.equal(staged, 'staged', 'what the transaction staged comes first');
  t.same(asked, [], 'without asking the hook');
});
