// Format 2 → 3: the device list's indexes and counters (domain/devices/device-index.ts), built from
// the device records and their latest usage, a thousand devices a batch. Idempotent: every entry
// is a put of what the records say, and the counters are written once, at the end, whole (a run
// cut short leaves no counters, and the next run starts over from the first device).
import { DEVICE_INDEX_FORMAT, indexOps, partOf } from '../../domain/devices/device-index.ts';
import type { DeviceRecord, LatestUsage } from '../../domain/satellite/records.ts';
import { keys } from '../keys.ts';
import { prefixRange, type BatchOp } from '../port.ts';
import type { Migration } from './migration.ts';

export const deviceIndex: Migration = {
  to: 3,
  description: 'the device list is answered from indexes (dx!, dcn!, meta!device-index)',
  async run(store) {
    const counts = new Map<string, number>();
    for await (const chunk of store.chunks<DeviceRecord>(prefixRange(keys.devicePrefix), 1000)) {
      const ops: BatchOp[] = [];
      for (const [, d] of chunk) {
        const latest = store.getSync<LatestUsage>(keys.latestUsage(d.id));
        ops.push(...indexOps(d, latest));
        const key = keys.deviceCount(d.vaId, partOf(d));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await store.batch(ops);
    }
    const ops: BatchOp[] = [...counts].map(([key, value]) => ({ type: 'put', key, value }));
    ops.push({ type: 'put', key: keys.deviceIndexFormat, value: { format: DEVICE_INDEX_FORMAT } });
    await store.batch(ops, { sync: true });
  },
};
