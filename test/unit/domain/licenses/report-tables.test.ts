// The devices report read from the store: device records and latest usages joined by device id
// across chunk boundaries, scoped by VA, without the in-memory device maps.
import t from 'tap';
import type { Cell } from '../../../../daemon/http/report-files/index.ts';
import type { DeviceRecord, LatestUsage } from '../../../../daemon/domain/satellite/records.ts';
import { keys } from '../../../../daemon/store/index.ts';
import { ensureVa } from '../../../helpers/licenses.ts';
import { startSatellite } from '../../../helpers/satellite.ts';

async function rowsOf(rows: Iterable<Cell[]> | AsyncIterable<Cell[]>): Promise<Cell[][]> {
  const out: Cell[][] = [];
  for await (const r of rows) out.push(r);
  return out;
}

t.test('the devices report joins each device with its latest usage, in id order, across chunks, within the scope', async (t) => {
  const sat = await startSatellite(t);
  const eng = await ensureVa(sat, 'Default/Eng');
  const ops = await ensureVa(sat, 'Default/Ops');
  const now = sat.clock().toISOString();
  const N = 2_500; // more than two chunks of 1,000
  const expected = new Map<string, { va: string; usage: string; at: string | null }>();
  // Written in an order other than id order: the store sorts them.
  const order = Array.from({ length: N }, (_, i) => (i * 7919) % N);
  for (let start = 0; start < N; start += 500) {
    await sat.ctx.writer.run((tx) => {
      for (const i of order.slice(start, start + 500)) {
        const id = `dev_${String(i).padStart(6, '0')}`;
        const va = i % 3 === 0 ? ops : eng;
        const d: DeviceRecord = { id, udi: { pid: 'C9300', sn: `SN${i}` }, hostname: i % 11 === 0 ? null : `=host-${i}`, vaId: va, state: 'registered', via: 'token', registeredAt: now, credentialId: null, revoked: false };
        tx.put(keys.device(id), d);
        // Every fourth device has never reported: the join must not shift the others' usage.
        if (i % 4 !== 0) {
          const l: LatestUsage = { reportId: `r${i}`, windowEnd: now, usage: { 'b-ent': i, 'a-ent': 1 }, lastReportAt: now };
          tx.put(keys.latestUsage(id), l);
        }
        expected.set(id, { va, usage: i % 4 === 0 ? '' : `a-ent=1; b-ent=${i}`, at: i % 4 === 0 ? null : now });
      }
      // A usage whose device is gone (ids before, between and after the devices) is skipped.
      if (start === 0) for (const orphan of ['dev_', 'dev_000100x', 'dev_zzz']) tx.put(keys.latestUsage(orphan), { reportId: 'x', windowEnd: now, usage: { orphan: 1 }, lastReportAt: now });
    });
  }

  const all = await rowsOf(sat.services.reportTables.table('devices', null, sat.clock()).rows);
  t.equal(all.length, N);
  const ids = all.map((r) => r[0] as string);
  t.same(ids, [...ids].sort(), 'in device-id order');
  let wrong = 0;
  for (const r of all) {
    const e = expected.get(r[0] as string)!;
    if (r[5] !== e.va || r[10] !== e.usage || r[9] !== e.at) wrong++;
  }
  t.equal(wrong, 0, 'each row carries its own device’s usage and VA');
  t.same(all.find((r) => r[0] === 'dev_000004'), ['dev_000004', 'C9300', 'SN4', '=host-4', 'Default/Eng', eng, 'registered', 'token', now, null, '']);
  t.equal(all.find((r) => r[0] === 'dev_000011')![3], null, 'no hostname');

  const scoped = await rowsOf(sat.services.reportTables.table('devices', new Set([ops]), sat.clock()).rows);
  t.equal(scoped.length, Math.ceil(N / 3));
  t.ok(scoped.every((r) => r[4] === 'Default/Ops'));
  t.same(scoped.map((r) => r[10]), scoped.map((r) => expected.get(r[0] as string)!.usage), 'usage joined for the scoped rows too');

  // A reader that stops early closes the store walks (the satellite then closes without waiting on them).
  const it = (sat.services.reportTables.table('devices', null, sat.clock()).rows as AsyncIterable<Cell[]>)[Symbol.asyncIterator]();
  t.equal(((await it.next()).value as Cell[])[0], 'dev_000000');
  await it.return!(undefined);
  t.same(await it.next(), { done: true, value: undefined });
});
