// What the device indexes and counters of a store should be, from its device records, against
// what they are: for the fault tests (a full scan, test-sized stores only).
import { indexEntries, partOf } from '../../daemon/domain/devices/device-index.ts';
import type { DeviceRecord, LatestUsage } from '../../daemon/domain/satellite/records.ts';
import { keys, prefixRange, type Store } from '../../daemon/store/index.ts';

export interface IndexDrift {
  devices: number;
  /** Index keys a device calls for that the store lacks. */
  missing: string[];
  /** Index keys the store holds that no device calls for. */
  stale: string[];
  /** Counters that differ: key → [expected, stored]. */
  counts: Record<string, [number, number]>;
}

export async function deviceIndexDrift(store: Store): Promise<IndexDrift> {
  const expected = new Map<string, string>();
  const counts = new Map<string, number>();
  let devices = 0;
  for await (const [, d] of store.iterate<DeviceRecord>(prefixRange(keys.devicePrefix))) {
    devices++;
    const latest = await store.get<LatestUsage>(keys.latestUsage(d.id));
    for (const [k, v] of indexEntries(d, latest?.lastReportAt ?? null)) expected.set(k, JSON.stringify(v));
    const c = keys.deviceCount(d.vaId, partOf(d));
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const stale: string[] = [];
  const seen = new Set<string>();
  for await (const [k, v] of store.iterate(prefixRange(keys.deviceIndexAll))) {
    if (expected.get(k) === JSON.stringify(v)) seen.add(k);
    else stale.push(k);
  }
  const missing = [...expected.keys()].filter((k) => !seen.has(k));
  const stored = new Map<string, number>();
  for await (const [k, n] of store.iterate<number>(prefixRange(keys.deviceCountPrefix))) stored.set(k, n);
  const drift: Record<string, [number, number]> = {};
  for (const k of new Set([...counts.keys(), ...stored.keys()])) {
    if ((counts.get(k) ?? 0) !== (stored.get(k) ?? 0)) drift[k] = [counts.get(k) ?? 0, stored.get(k) ?? 0];
  }
  return { devices, missing, stale, counts: drift };
}
