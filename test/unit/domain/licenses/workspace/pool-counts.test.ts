// The pools' usage sums without reading the fleet at start: saved and taken back, or counted in
// the background while devices keep reporting and moving, on a real LevelDB through the writer.
import t, { type Test } from 'tap';
import { PoolIndex } from '../../../../../daemon/domain/licenses/core/index.ts';
import { PoolCounts, countedIn } from '../../../../../daemon/domain/licenses/workspace/pool-counts.ts';
import type { DeviceRecord, LatestUsage } from '../../../../../daemon/domain/satellite/records.ts';
import { OutpostError } from '../../../../../daemon/errors.ts';
import { keys, prefixRange, type BatchOp } from '../../../../../daemon/store/index.ts';
import { LevelStore } from '../../../../../daemon/store/level.ts';
import { prng } from '../../../../helpers/fuzz.ts';
import { openStore } from '../../../../helpers/store.ts';

const VAS = ['va_a', 'va_b', 'va_c', 'va_d'];
const ENTS = ['e0', 'e1', 'e2', 'constructor'];
type Usage = Record<string, number>;

const device = (id: string, vaId: string, state: 'registered' | 'deregistered' = 'registered'): DeviceRecord =>
  ({ id, udi: { pid: 'P', sn: id }, hostname: id, vaId, state, via: 'token', registeredAt: '2026-01-01T00:00:00.000Z', credentialId: null, revoked: false }) as unknown as DeviceRecord;
const latest = (usage: Usage): LatestUsage => ({ reportId: 'r', windowEnd: '2026-01-01T00:00:00.000Z', usage, lastReportAt: '2026-01-01T00:00:00.000Z' });

/** A real store with `n` devices (ids in random order against their creation), most of them reporting. */
async function setup(t: Test, n: number, seed = 7) {
  const rnd = prng(seed);
  const { store, writer } = await openStore(t);
  const usageOf = (): Usage => {
    const u: Usage = {};
    for (const e of ENTS) if (rnd() < 0.6) u[e] = Math.floor(rnd() * 5);
    return u;
  };
  const ids: string[] = [];
  const ops: BatchOp[] = [{ type: 'put', key: keys.seq('event'), value: 42 }];
  for (let i = 0; i < n; i++) {
    const id = `dev_${Math.floor(rnd() * 2 ** 40).toString(36).padStart(8, '0')}${i}`;
    ids.push(id);
    ops.push({ type: 'put', key: keys.device(id), value: device(id, VAS[i % VAS.length]!, rnd() < 0.1 ? 'deregistered' : 'registered') });
    if (rnd() < 0.8) ops.push({ type: 'put', key: keys.latestUsage(id), value: latest(usageOf()) });
  }
  // A latest usage without its device (never written so; the walk must skip it).
  ops.push({ type: 'put', key: keys.latestUsage('dev_zzzz-orphan'), value: latest({ e0: 99 }) });
  await store.batch(ops, { sync: true });
  const index = new PoolIndex();
  const counts = new PoolCounts(index, { store, writer, satelliteId: 'sat_1' });
  /** The watchers, as the licensing service follows the state (the latest usage as told so far). */
  const told = new Map<string, Usage>();
  const onUsage = (d: DeviceRecord, before: Usage | undefined, after: Usage) => {
    told.set(d.id, after);
    const va = countedIn(d);
    if (va !== null && counts.follows(d.id)) index.replaceUsage(va, before ?? {}, after);
  };
  const onDeviceChange = (before: DeviceRecord | undefined, after: DeviceRecord) => {
    const was = countedIn(before);
    const now = countedIn(after);
    if (was === now || !counts.follows(after.id)) return;
    const usage = told.get(after.id) ?? store.getSync<LatestUsage>(keys.latestUsage(after.id))?.usage;
    if (usage === undefined) return;
    if (was !== null) index.countUsage(was, usage, -1);
    if (now !== null) index.countUsage(now, usage, 1);
  };
  const fleet = {
    /** A report (txOnly, as ingest): replaces the device's latest usage. */
    report: (id: string, usage: Usage) =>
      writer.run(
        async (tx) => {
          const d = (await tx.get<DeviceRecord>(keys.device(id)))!;
          const prev = await tx.get<LatestUsage>(keys.latestUsage(id));
          tx.put(keys.latestUsage(id), latest(usage));
          tx.put(keys.seq('report'), ((await tx.get<number>(keys.seq('report'))) ?? 0) + 1);
          tx.after(() => onUsage(d, prev?.usage, usage));
        },
        { txOnly: true },
      ),
    /** A move to another VA, a deregistration or a registration again. */
    change: (id: string, vaId: string, state: 'registered' | 'deregistered') =>
      writer.run(async (tx) => {
        const d = await tx.get<DeviceRecord>(keys.device(id));
        const next = { ...device(id, vaId, state) };
        tx.put(keys.device(id), next);
        tx.after(() => onDeviceChange(d, next));
      }),
    usageOf,
  };
  return { store, writer, index, counts, ids, fleet, rnd };
}

/** The sums as a count made apart from the store: [vaId, entitlement, inUse] sorted. */
async function truth(store: LevelStore): Promise<Array<[string, string, number]>> {
  const devs = new Map<string, DeviceRecord>();
  for await (const [, d] of store.iterate<DeviceRecord>(prefixRange(keys.devicePrefix))) devs.set(d.id, d);
  const sums = new Map<string, number>();
  for await (const [key, l] of store.iterate<LatestUsage>(prefixRange(keys.latestUsagePrefix))) {
    const va = countedIn(devs.get(key.slice(keys.latestUsagePrefix.length)));
    if (va === null) continue;
    for (const [e, n] of Object.entries(l.usage)) sums.set(`${va}\u0000${e}`, (sums.get(`${va}\u0000${e}`) ?? 0) + n);
  }
  return [...sums].filter(([, n]) => n !== 0).map(([k, n]) => [...(k.split('\u0000') as [string, string]), n] as [string, string, number]).sort();
}

const sorted = (c: Array<[string, string, number]>) => [...c].sort();

t.test('a count walks devices and latest usages together, in chunks, and sums what counts', async (t) => {
  const { store, index, counts } = await setup(t, 5000);
  t.notOk(counts.ready);
  t.throws(() => counts.assertCounted(), new OutpostError('UNAVAILABLE', 'The license pools are being counted after an unclean shutdown; retry in a moment.'), 'reads are refused (503) until the sums are whole');
  const r = await counts.count();
  t.match(r, { devices: 5000, chunks: 6 }, '1,000 devices a chunk, and an empty one that ends the walk');
  t.ok(counts.ready);
  await counts.counted;
  t.same(sorted(index.usageCounts()), await truth(store), 'deregistered devices and an orphaned usage count nothing');
  t.ok(index.usageCounts().length > 0);
});

t.test('reports, moves and registrations during a count leave exactly the sums of the final store', async (t) => {
  const { store, index, counts, ids, fleet, rnd } = await setup(t, 9000, 11);
  let duringCount = 0;
  let done = false;
  const counting = counts.count().then((r) => ((done = true), r));
  const all = [...ids];
  const work: Array<Promise<unknown>> = [];
  for (let i = 0; i < 3000; i++) {
    const k = rnd();
    if (k < 0.6) work.push(fleet.report(all[Math.floor(rnd() * all.length)]!, fleet.usageOf()));
    else if (k < 0.9) work.push(fleet.change(all[Math.floor(rnd() * all.length)]!, VAS[Math.floor(rnd() * VAS.length)]!, rnd() < 0.2 ? 'deregistered' : 'registered'));
    else {
      const id = `dev_${Math.floor(rnd() * 2 ** 40).toString(36).padStart(8, '0')}n${i}`;
      all.push(id);
      work.push(fleet.change(id, VAS[0]!, 'registered').then(() => fleet.report(id, fleet.usageOf())));
    }
    if (i % 25 === 0) {
      await Promise.all(work.splice(0));
      if (!done) duringCount += 25;
    }
  }
  await Promise.all(work);
  const r = await counting;
  t.ok(duringCount > 0 && r !== null && r.chunks >= 5, `${duringCount} changes landed while the count ran (${r?.chunks} chunks)`);
  t.same(sorted(index.usageCounts()), await truth(store), 'the counted sums plus the changes followed equal a count of the final store');
  // And once counted, every change is followed.
  for (let i = 0; i < 200; i++) await fleet.report(all[i]!, fleet.usageOf());
  await fleet.change(all[0]!, 'va_d', 'registered');
  t.same(sorted(index.usageCounts()), await truth(store));
});

t.test('saved sums come back when they cover the store, and only then', async (t) => {
  const { store, writer, index, counts } = await setup(t, 300);
  t.equal(counts.serialize(await counts.cover()), null, 'nothing to save before the sums are whole');
  await counts.count();
  const cover = await counts.cover();
  t.same(cover, { satelliteId: 'sat_1', sequences: { event: 42 } });
  const bytes = counts.serialize(cover)!;
  const fresh = () => {
    const i = new PoolIndex();
    return { i, c: new PoolCounts(i, { store, writer, satelliteId: 'sat_1' }) };
  };

  const ok = fresh();
  t.ok(ok.c.restore(bytes, await ok.c.cover()));
  t.ok(ok.c.ready);
  await ok.c.counted;
  t.same(sorted(ok.i.usageCounts()), sorted(index.usageCounts()), 'the same sums');
  t.same(ok.i.pools(0), index.pools(0), 'the same pools');
  t.notOk(ok.c.restore(bytes, cover), 'taken back once');

  const saved = JSON.parse(bytes.toString('utf8'));
  const tampered = structuredClone(saved);
  tampered.counts[0][2] += 1;
  const other = fresh();
  t.notOk(other.c.restore(Buffer.from(JSON.stringify(tampered)), cover), 'a changed count fails its digest');
  t.notOk(other.c.restore(Buffer.from('not json'), cover), 'garbage');
  t.notOk(other.c.restore(Buffer.from(JSON.stringify({ ...saved, counts: [['va_a', 'e0', -1]] })), cover), 'a negative count');
  t.notOk(other.c.restore(bytes, { ...cover, satelliteId: 'sat_2' }), 'another satellite');
  t.notOk(other.c.restore(bytes, { ...cover, sequences: { event: 43 } }), 'a store that changed since');
  t.notOk(other.c.restore(bytes, { ...cover, sequences: { event: 42, report: 1 } }), 'a sequence more');
  t.notOk(other.c.ready);
  t.same(other.i.usageCounts(), [], 'a refused file leaves nothing counted');

  const dirty = fresh();
  t.notOk(dirty.c.follows('dev_x'), 'a change before the sums are restored or counted is not followed');
  t.notOk(dirty.c.restore(bytes, cover), 'and saved sums cannot cover it');
  await dirty.c.count();
  t.same(sorted(dirty.i.usageCounts()), await truth(store), 'a count can');
});

t.test('stop ends a count between chunks: nothing saved, reads still refused', async (t) => {
  const { counts } = await setup(t, 6000);
  const counting = counts.count();
  await counts.stop();
  t.equal(await counting, null);
  t.notOk(counts.ready);
  t.equal(counts.serialize(await counts.cover()), null);
});

t.test('a count that fails lets its waiters go: reads answer 503, never a partial sum', async (t) => {
  const { writer, counts } = await setup(t, 100);
  await writer.close();
  await t.rejects(counts.count(), { code: 'UNAVAILABLE' });
  await counts.counted;
  t.notOk(counts.ready);
  t.throws(() => counts.assertCounted(), { code: 'UNAVAILABLE' });
  t.notOk(counts.follows('dev_1'), 'changes are not followed');
});
