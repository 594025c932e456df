// The device list's indexes and counters (store/keys.ts `dx!`, `dcn!`), staged in the same batch
// as the device change they follow: every writer of a device calls `stageDevice`, every writer of
// a device's latest usage `stageLatest`, so a crash never leaves a device and its entries apart.
//
// One index per sort order (id, last report, hostname, registered), partitioned by scope (each VA,
// and `*` for every VA), state and via, so a page of any filter is a merge of a few key ranges
// that reads about one page of keys from each. Counters per (VA, state, via) say which partitions
// are empty, give the status and VA counts, and are what the start-up check reads.
import type { Store, Tx, Writer } from '../../store/index.ts';
import { keys, prefixRange } from '../../store/index.ts';
import type { DeviceRecord, DeviceState, LatestUsage } from '../satellite/records.ts';
import type { State } from '../satellite/state.ts';

/** Raised when the entries' layout changes: a store with another number rebuilds them. */
export const DEVICE_INDEX_FORMAT = 1;

export type IndexSort = 'i' | 'l' | 'h' | 'r';
export const SORTS: readonly IndexSort[] = ['i', 'l', 'h', 'r'];
export const STATE_CODE: Record<DeviceState, string> = { registered: 'r', deregistered: 'd' };
export const VIA_CODE: Record<DeviceRecord['via'], string> = { token: 't', policy: 'p', collector: 'c' };
/** Every (state, via) partition. */
export const PARTS: readonly string[] = ['rt', 'rp', 'rc', 'dt', 'dp', 'dc'];
/** The scope of the indexes over every VA. */
export const ALL = '*';

/** What an index entry holds: enough to match `?q=` and to judge a silent device without a read. */
export type IndexValue = [hostname: string | null, pid: string, sn: string, registeredAt: string];

export const partOf = (d: Pick<DeviceRecord, 'state' | 'via'>): string => STATE_CODE[d.state] + VIA_CODE[d.via];

/**
 * Where a device sorts: a device that never reported sorts as the oldest (''), one without a
 * hostname after every hostname (hostnames carry a \u0001 in front, a missing one is \u0002).
 */
export function sortKeyOf(sort: IndexSort, d: DeviceRecord, lastReportAt: string | null): string {
  switch (sort) {
    case 'i':
      return '';
    case 'l':
      return lastReportAt ?? '';
    case 'h':
      return d.hostname === null ? '\u0002' : '\u0001' + d.hostname;
    case 'r':
      return d.registeredAt;
  }
}

export const indexKey = (sort: IndexSort, scope: string, part: string, sortKey: string, id: string): string =>
  keys.deviceIndexPrefix(sort, scope, part) + sortKey + '\u0000' + id;

/** The key just after every key starting with `prefix` (which ends with `!`). */
export const prefixEnd = (prefix: string): string => prefix.slice(0, -1) + '"';

/** The device id and sort key of an index key whose partition prefix is `prefixLength` long. */
export function parseIndexKey(key: string, prefixLength: number): { sortKey: string; id: string } {
  const nul = key.lastIndexOf('\u0000');
  return { sortKey: key.slice(prefixLength, nul), id: key.slice(nul + 1) };
}

/** Every index entry of a device, given its last report time. */
export function indexEntries(d: DeviceRecord, lastReportAt: string | null): Array<[string, IndexValue]> {
  const part = partOf(d);
  const value: IndexValue = [d.hostname, d.udi.pid, d.udi.sn, d.registeredAt];
  const out: Array<[string, IndexValue]> = [];
  for (const sort of SORTS) {
    const sk = sortKeyOf(sort, d, lastReportAt);
    out.push([indexKey(sort, d.vaId, part, sk, d.id), value], [indexKey(sort, ALL, part, sk, d.id), value]);
  }
  return out;
}

/** A change of the counters: `dcn!` key → added amount. */
export type CountDelta = Array<[vaId: string, part: string, n: number]>;

function countDelta(before: DeviceRecord | undefined, after: DeviceRecord): CountDelta {
  const b = before === undefined ? null : `${before.vaId}!${partOf(before)}`;
  const a = `${after.vaId}!${partOf(after)}`;
  if (b === a) return [];
  const out: CountDelta = [[after.vaId, partOf(after), 1]];
  if (before !== undefined) out.push([before.vaId, partOf(before), -1]);
  return out;
}

async function stageCounts(tx: Tx, delta: CountDelta): Promise<void> {
  for (const [vaId, part, n] of delta) {
    const key = keys.deviceCount(vaId, part);
    const c = ((await tx.get<number>(key)) ?? 0) + n;
    if (c === 0) tx.del(key);
    else tx.put(key, c);
  }
}

/**
 * Stages a device write (`before` as the transaction read it, undefined for a new device) with
 * its UDI mapping, index entries and counters, and tells the state once the batch is durable.
 * Every writer of a device record calls this, so nothing else writes `dev!`, `dx!` or `dcn!`.
 */
export async function stageDevice(tx: Tx, state: State, before: DeviceRecord | undefined, after: DeviceRecord): Promise<void> {
  state.holdDevice(after.id, before);
  tx.undo(() => state.unholdDevice(after.id));
  tx.put(keys.device(after.id), after);
  if (before === undefined) tx.put(keys.udi(after.udi.pid, after.udi.sn), after.id);
  const latest = await tx.get<LatestUsage>(keys.latestUsage(after.id));
  const at = latest?.lastReportAt ?? null;
  const next = indexEntries(after, at);
  if (before !== undefined) {
    const kept = new Set(next.map(([k]) => k));
    for (const [k] of indexEntries(before, at)) if (!kept.has(k)) tx.del(k);
  }
  for (const [k, v] of next) tx.put(k, v);
  // While the indexes are rebuilt, the rebuild counts the devices it has not reached yet.
  const delta = state.deviceIndex.counted(after.id) ? countDelta(before, after) : [];
  await stageCounts(tx, delta);
  tx.after(() => {
    state.addDeviceCounts(delta);
    state.putDevice(after, before);
  });
}

/**
 * Stages a device's latest usage (`before` as the transaction read it) and moves its entry in the
 * last-report index; the state hears of it once the batch is durable.
 */
export async function stageLatest(
  tx: Tx,
  state: State,
  device: DeviceRecord,
  before: LatestUsage | undefined,
  latest: LatestUsage,
  change: { newer: boolean; before: Record<string, number> | undefined },
): Promise<void> {
  state.holdLatest(device.id, before);
  tx.undo(() => state.unholdLatest(device.id));
  tx.put(keys.latestUsage(device.id), latest);
  if (before?.lastReportAt !== latest.lastReportAt) {
    // The record as this batch leaves it: the caller's copy may predate a move staged meanwhile.
    const d = (await tx.get<DeviceRecord>(keys.device(device.id))) ?? device;
    const part = partOf(d);
    const value: IndexValue = [d.hostname, d.udi.pid, d.udi.sn, d.registeredAt];
    for (const scope of [d.vaId, ALL]) {
      tx.del(indexKey('l', scope, part, before?.lastReportAt ?? '', d.id));
      tx.put(indexKey('l', scope, part, latest.lastReportAt, d.id), value);
    }
  }
  tx.after(() => state.putLatest(device, latest, change));
}

// --- start-up check and rebuild ------------------------------------------------------------------

/** What `meta!device-index` holds. */
interface IndexFormatRecord {
  format: number;
}

/** The entries a store with these records should hold, for the migration and the rebuild. */
export function indexOps(d: DeviceRecord, latest: LatestUsage | undefined): Array<{ type: 'put'; key: string; value: unknown }> {
  return indexEntries(d, latest?.lastReportAt ?? null).map(([key, value]) => ({ type: 'put' as const, key, value }));
}

/** How many devices the start-up check reads from each end of the device records. */
const SAMPLE = 8;

/**
 * The start-up check, reading a few dozen keys whatever the fleet: the format record, one key of
 * each partition a counter says is not empty, and the first and last devices by id (a store
 * filled without the indexes shows there). False: rebuild.
 */
export async function deviceIndexLooksSound(store: Store): Promise<boolean> {
  const rec = await store.get<IndexFormatRecord>(keys.deviceIndexFormat);
  if (rec?.format !== DEVICE_INDEX_FORMAT) return false;
  let counted = 0;
  for await (const [key, n] of store.iterate<number>(prefixRange(keys.deviceCountPrefix))) {
    const [vaId, part] = key.slice(keys.deviceCountPrefix.length).split('!') as [string, string];
    if (typeof n !== 'number' || n < 0) return false;
    counted += n;
    for (const scope of [vaId, ALL]) {
      const prefix = keys.deviceIndexPrefix('i', scope, part);
      let found = false;
      for await (const _ of store.iterate({ gte: prefix, lt: prefixEnd(prefix), limit: 1, values: false })) found = true;
      if (!found) return false;
    }
  }
  const ends: string[] = [];
  for (const reverse of [false, true]) {
    for await (const [key] of store.iterate({ ...prefixRange(keys.devicePrefix), reverse, limit: SAMPLE, values: false })) ends.push(key);
  }
  if (ends.length > 0 && counted === 0) return false;
  for (const key of ends) {
    const d = store.getSync<DeviceRecord>(key);
    if (!d) continue;
    const latest = store.getSync<LatestUsage>(keys.latestUsage(d.id));
    for (const [k] of indexEntries(d, latest?.lastReportAt ?? null)) if (store.getSync(k) === undefined) return false;
  }
  return true;
}

/** Devices indexed per write transaction of the rebuild. */
const REBUILD_CHUNK = 1000;

/**
 * Rebuilds the indexes and counters from the device records while the satellite serves: first
 * every old entry goes, then the devices are indexed in id order, each chunk in its own exclusive
 * transaction (alone in its batch, with every earlier one durable, so the store is current).
 * Devices changed meanwhile keep their entries through `stageDevice`; the counters count a device
 * once its chunk is done (`state.deviceIndex.counted`). Answers the number of devices indexed.
 */
export async function rebuildDeviceIndex(ctx: { store: Store; writer: Writer; state: State }): Promise<number> {
  const { store, writer, state } = ctx;
  state.deviceIndex.begin();
  // 1. Every old entry, counter and the format record.
  for (const prefix of [keys.deviceIndexAll, keys.deviceCountPrefix]) {
    let from: string | null = null;
    for (;;) {
      const done: boolean = await writer.run(
        async (tx) => {
          let n = 0;
          for await (const [key] of store.iterate({ gt: from ?? prefix, lt: prefixEnd(prefix), limit: 5000, values: false })) {
            if (key === prefix) continue;
            tx.del(key);
            from = key;
            n++;
          }
          return n === 0;
        },
        { exclusive: true },
      );
      if (done) break;
    }
  }
  await writer.run((tx) => tx.del(keys.deviceIndexFormat), { exclusive: true });
  state.resetDeviceCounts();
  // 2. Every device, in id order.
  let through = '';
  let total = 0;
  for (;;) {
    const n: number = await writer.run(
      async (tx) => {
        const delta: CountDelta = [];
        let last: string | null = null;
        let n = 0;
        for await (const [key, d] of store.iterate<DeviceRecord>({ gt: keys.device(through), lt: prefixEnd(keys.devicePrefix), limit: REBUILD_CHUNK })) {
          last = key;
          const latest = store.getSync<LatestUsage>(keys.latestUsage(d.id));
          for (const op of indexOps(d, latest)) tx.put(op.key, op.value);
          delta.push([d.vaId, partOf(d), 1]);
          n++;
        }
        await stageCounts(tx, delta);
        if (last !== null) through = last.slice(keys.devicePrefix.length);
        // Set now, not after the batch: a transaction that runs while this batch is being synced
        // reads it as staged, so it must count the devices this chunk counted. The last chunk
        // has read every device there is: from it on, every change counts (a device added after
        // it with a greater id than any it read would otherwise be counted by no one).
        const lastChunk = n < REBUILD_CHUNK;
        state.deviceIndex.reached(lastChunk ? '\uffff' : through);
        if (lastChunk) tx.put(keys.deviceIndexFormat, { format: DEVICE_INDEX_FORMAT } satisfies IndexFormatRecord);
        tx.after(() => state.addDeviceCounts(delta));
        return n;
      },
      { exclusive: true },
    );
    total += n;
    if (n < REBUILD_CHUNK) break;
  }
  state.deviceIndex.end();
  return total;
}

/** For a new store: the format record (there is nothing to index yet). */
export const deviceIndexFormatOp = () => ({ type: 'put' as const, key: keys.deviceIndexFormat, value: { format: DEVICE_INDEX_FORMAT } satisfies IndexFormatRecord });

/** Every registered device (its id and index part), from the id index, after `after` if given (in chunks: never the fleet at once). */
export async function* registeredDeviceIds(store: Store, after: RegisteredCursor | null = null): AsyncIterable<RegisteredCursor> {
  for (const part of PARTS) {
    if (!part.startsWith(STATE_CODE.registered)) continue;
    if (after !== null && PARTS.indexOf(part) < PARTS.indexOf(after.part)) continue;
    const prefix = keys.deviceIndexPrefix('i', ALL, part);
    const from = after !== null && part === after.part ? { gt: indexKey('i', ALL, part, '', after.id) } : { gte: prefix };
    for await (const chunk of store.chunks({ ...from, lt: prefixEnd(prefix), values: false }, 1000)) {
      for (const [key] of chunk) yield { part, id: parseIndexKey(key, prefix.length).id };
    }
  }
}

/** Where a walk of the registered devices is: resumed after it (`registeredDeviceIds`). */
export interface RegisteredCursor {
  part: string;
  id: string;
}

/**
 * Registered devices whose last report (their registration when they never reported) is at or
 * before `cutoff`, from the last-report index: a walk over the silent ones and those that never
 * reported, never the rest. In chunks: `onChunk` gets the ids with their VA and last-heard time.
 */
export async function* silentDevices(store: Store, cutoff: number, scope: string = ALL): AsyncIterable<Array<{ id: string; lastHeard: string }>> {
  for (const part of PARTS) {
    if (!part.startsWith(STATE_CODE.registered)) continue;
    const prefix = keys.deviceIndexPrefix('l', scope, part);
    for await (const chunk of store.chunks<IndexValue>({ gte: prefix, lt: prefixEnd(prefix) }, 1000)) {
      const out: Array<{ id: string; lastHeard: string }> = [];
      let past = false;
      for (const [key, value] of chunk) {
        const { sortKey, id } = parseIndexKey(key, prefix.length);
        if (sortKey !== '' && Date.parse(sortKey) > cutoff) {
          past = true;
          break;
        }
        const heard = sortKey === '' ? value[3] : sortKey;
        if (Date.parse(heard) <= cutoff) out.push({ id, lastHeard: heard });
      }
      if (out.length > 0) yield out;
      if (past) break;
    }
  }
}
