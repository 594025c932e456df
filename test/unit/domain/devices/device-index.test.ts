// The device indexes follow every device change in its batch, and a rebuild while devices keep
// changing ends with exactly the entries and counters the records call for.
import t, { type Test } from 'tap';
import { rebuildDeviceIndex, stageDevice, stageLatest } from '../../../../daemon/domain/devices/device-index.ts';
import type { DeviceRecord, LatestUsage } from '../../../../daemon/domain/satellite/records.ts';
import { State } from '../../../../daemon/domain/satellite/state.ts';
import { keys, prefixRange } from '../../../../daemon/store/index.ts';
import { deviceIndexDrift } from '../../../helpers/device-index.ts';
import { openStore } from '../../../helpers/store.ts';

async function open(t: Test) {
  const { store, writer } = await openStore(t);
  const state = await State.load(store, { cacheEntries: 100 });
  // As the daemon runs: transactions read what the state has cached (small caches: misses too).
  writer.readThrough((key) => state.cached(key));
  return { store, writer, state };
}

const device = (i: number, vaId = `va_${i % 4}`): DeviceRecord => ({
  id: `dev_${String(i).padStart(5, '0')}`, udi: { pid: 'P', sn: `S${i}` }, hostname: `h${i % 17}`, vaId, state: 'registered',
  via: i % 2 ? 'token' : 'policy', registeredAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), credentialId: null, revoked: false,
});

async function change(ctx: Awaited<ReturnType<typeof open>>, i: number, step: number) {
  await ctx.writer.run(async (tx) => {
    const id = device(i).id;
    const before = await tx.get<DeviceRecord>(keys.device(id));
    if (!before) return stageDevice(tx, ctx.state, undefined, device(i));
    if (step % 3 === 0) return stageDevice(tx, ctx.state, before, { ...before, vaId: `va_${(step + i) % 4}` });
    if (step % 3 === 1) return stageDevice(tx, ctx.state, before, { ...before, state: before.state === 'registered' ? 'deregistered' : 'registered' });
    const prev = await tx.get<LatestUsage>(keys.latestUsage(id));
    const at = new Date(Date.UTC(2026, 1, 1, 0, 0, step)).toISOString();
    return stageLatest(tx, ctx.state, before, prev, { reportId: `r${step}`, windowEnd: at, usage: {}, lastReportAt: at }, { newer: true, before: prev?.usage });
  });
}

const counted = (s: State) => s.countDevices();

t.test('moves, deregistrations and reports keep entries and counters exact', async (t) => {
  const ctx = await open(t);
  for (let i = 0; i < 200; i++) await change(ctx, i, 0);
  for (let step = 1; step < 7; step++) await Promise.all(Array.from({ length: 200 }, (_, i) => (i % step === 0 ? change(ctx, i, step) : null)));
  const drift = await deviceIndexDrift(ctx.store);
  t.same({ missing: drift.missing, stale: drift.stale, counts: drift.counts }, { missing: [], stale: [], counts: {} });
  const stored = await State.load(ctx.store);
  t.same(counted(ctx.state), counted(stored), 'the counters in memory are the stored ones');
  t.equal(counted(ctx.state).registered + counted(ctx.state).deregistered, 200);
});

t.test('a rebuild while devices keep changing ends exact', async (t) => {
  const ctx = await open(t);
  for (let i = 0; i < 3000; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => change(ctx, i + k, 0)));
  // The indexes and counters go (as a store filled without them would have none).
  const dels: Array<{ type: 'del'; key: string }> = [];
  for (const prefix of [keys.deviceIndexAll, keys.deviceCountPrefix]) {
    for await (const [key] of ctx.store.iterate({ ...prefixRange(prefix), values: false })) dels.push({ type: 'del', key });
  }
  await ctx.store.batch(dels);
  const rebuilt = rebuildDeviceIndex(ctx);
  t.ok(ctx.state.deviceIndex.rebuilding, 'the rebuild is under way');
  // Changes run alongside: new devices, moves, state changes and reports, ids all over the range.
  let step = 1;
  while (ctx.state.deviceIndex.rebuilding) {
    await Promise.all(Array.from({ length: 40 }, (_, k) => change(ctx, (step * 97 + k * 131) % 3300, step + k)));
    step++;
  }
  t.equal(await rebuilt, await rebuilt, 'it ends');
  t.ok(step > 2, `changes ran during the rebuild (${step - 1} rounds)`);
  const drift = await deviceIndexDrift(ctx.store);
  t.same({ missing: drift.missing, stale: drift.stale, counts: drift.counts }, { missing: [], stale: [], counts: {} }, 'entries and counters match the records');
  const stored = await State.load(ctx.store);
  t.same(counted(ctx.state), counted(stored), 'the counters in memory are the stored ones');
  t.equal(counted(stored).registered + counted(stored).deregistered, drift.devices);
});

t.test('a change staged by a transaction that throws, or in a batch the disk refuses, leaves no hold behind', async (t) => {
  const ctx = await open(t);
  await change(ctx, 1, 0);
  const before = ctx.state.device(device(1).id)!;
  t.equal(ctx.state.heldCount, 0);
  await t.rejects(
    ctx.writer.run(async (tx) => {
      await stageDevice(tx, ctx.state, before, { ...before, hostname: 'never' });
      await stageLatest(tx, ctx.state, before, undefined, { reportId: 'x', windowEnd: 'w', usage: {}, lastReportAt: '2026-03-01T00:00:00.000Z' }, { newer: true, before: undefined });
      throw new Error('refused after staging');
    }),
    /refused after staging/,
  );
  t.equal(ctx.state.heldCount, 0, 'the holds ended with the transaction');
  t.equal(ctx.state.device(before.id)?.hostname, before.hostname, 'the device reads as it was');
  t.equal(ctx.state.latestOf(before.id), undefined);

  const batch = ctx.store.batch.bind(ctx.store);
  ctx.store.batch = async () => {
    ctx.store.batch = batch;
    throw new Error('a batch that fails');
  };
  await t.rejects(ctx.writer.run((tx) => stageDevice(tx, ctx.state, before, { ...before, hostname: 'lost' })));
  t.equal(ctx.state.heldCount, 0, 'a failed batch ends its holds too');
  t.equal(ctx.state.device(before.id)?.hostname, before.hostname);

  await ctx.writer.run((tx) => stageDevice(tx, ctx.state, before, { ...before, hostname: 'later' }));
  t.equal(ctx.state.device(before.id)?.hostname, 'later', 'and a later change shows at once');
});
