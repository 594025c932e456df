// Migration 003: a format-2 store's devices get their index entries and counters; running it
// again (as after a kill -9 mid-way) gives the same store.
import path from 'node:path';
import t from 'tap';
import { DEVICE_INDEX_FORMAT, deviceIndexLooksSound } from '../../../../daemon/domain/devices/device-index.ts';
import type { DeviceRecord } from '../../../../daemon/domain/satellite/records.ts';
import { keys } from '../../../../daemon/store/keys.ts';
import { LevelStore } from '../../../../daemon/store/level.ts';
import { deviceIndex } from '../../../../daemon/store/migrations/003-device-index.ts';
import { deviceIndexDrift } from '../../../helpers/device-index.ts';
import { tempDir } from '../../../helpers/tmp.ts';

t.test('003 indexes every device of a format-2 store, and running it twice is the same', async (t) => {
  const store = new LevelStore(path.join(tempDir(t), 'db'));
  await store.open();
  t.teardown(() => store.close());
  const ops: Array<{ type: 'put'; key: string; value: unknown }> = [];
  for (let i = 0; i < 2500; i++) {
    const d: DeviceRecord = {
      id: `dev_${String(i).padStart(5, '0')}`, udi: { pid: 'C9300-24P', sn: `SN${i}` }, hostname: i % 5 ? `sw-${i}` : null,
      vaId: `va_${i % 3}`, state: i % 4 ? 'registered' : 'deregistered', via: (['token', 'policy', 'collector'] as const)[i % 3]!,
      registeredAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), credentialId: null, revoked: false,
    };
    ops.push({ type: 'put', key: keys.device(d.id), value: d }, { type: 'put', key: keys.udi(d.udi.pid, d.udi.sn), value: d.id });
    if (i % 2) ops.push({ type: 'put', key: keys.latestUsage(d.id), value: { reportId: 'r', windowEnd: '2026-02-01T00:00:00.000Z', usage: { x: 1 }, lastReportAt: new Date(Date.UTC(2026, 1, 1, 0, 0, i)).toISOString() } });
  }
  await store.batch(ops);
  t.equal(deviceIndex.to, 3);
  t.notOk(await deviceIndexLooksSound(store), 'before: the start-up check finds no indexes');
  await deviceIndex.run(store);
  const once: Record<string, unknown> = {};
  for await (const [k, v] of store.iterate({})) once[k] = v;
  await deviceIndex.run(store);
  const twice: Record<string, unknown> = {};
  for await (const [k, v] of store.iterate({})) twice[k] = v;
  t.same(twice, once, 'a second run changes nothing');
  const drift = await deviceIndexDrift(store);
  t.same({ devices: drift.devices, missing: drift.missing, stale: drift.stale, counts: drift.counts }, { devices: 2500, missing: [], stale: [], counts: {} }, 'every entry and counter the devices call for');
  t.same(await store.get(keys.deviceIndexFormat), { format: DEVICE_INDEX_FORMAT });
  t.ok(await deviceIndexLooksSound(store), 'after: the start-up check finds them sound');
});
