// Devices as users manage them (SPEC §4 /api/devices): the list with filters, sorting by last
// report and cursor paging; moving a device to another VA (its usage moves with it: the pools
// follow device changes); reinstating a device the cloud revoked.
//
// The list is answered from memory in one pass that keeps only the page it needs (a bounded
// sorted buffer), so a page costs one pass over the devices with no sort of the whole set and
// no copy of it. Sorted by last report without filters, the pass runs over the latest-usage
// map itself plus the devices that never reported (kept as a set), so it never looks each
// device's report up by id (100,000 hash lookups are most of the cost of a page).
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { journalDeviceChange } from './device-journal.ts';
import { recordEvent } from '../satellite/events.ts';
import type { DeviceRecord, DeviceState } from '../satellite/records.ts';

export interface DeviceJson {
  id: string;
  udi: { pid: string; sn: string };
  hostname: string | null;
  virtualAccount: { id: string; path: string };
  state: DeviceState;
  via: 'token' | 'policy' | 'collector';
  registeredAt: string;
  lastReportAt: string | null;
  /** Counts per entitlement of its latest report (the one with the greatest window end); null before its first. */
  usage: Record<string, number> | null;
  /** The cloud revoked it: it cannot register again until reinstated. */
  revoked: boolean;
  keyThumbprint?: string | null;
  /** The collector target that took it (SPEC §9). */
  target?: string;
}

/** What a list is sorted by; ties are broken by id. */
export type DeviceSortField = 'id' | 'hostname' | 'registeredAt' | 'lastReportAt';

export interface DeviceQuery {
  /** VA ids to show, or null for all. */
  vaIds: ReadonlySet<string> | null;
  state?: DeviceState;
  /** Case-insensitive substring of hostname, PID or serial. */
  q?: string;
  sort: DeviceSortField;
  /** Descending: newest report first, hostnames Z to A. */
  desc: boolean;
  limit: number;
  cursor: string | null;
}

type Entry = { key: string; id: string; d: DeviceRecord | undefined };

export function createDeviceAdmin(ctx: Pick<DomainContext, 'state' | 'writer' | 'seq' | 'clock'>) {
  const { state } = ctx;
  /** Devices without a latest report: set at start, kept by `onDeviceChange` and `onReported`. */
  const neverReported = new Set<string>();
  for (const id of state.devices.keys()) if (state.latestOf(id) === undefined) neverReported.add(id);

  const view = (d: DeviceRecord): DeviceJson => ({
    id: d.id,
    udi: { pid: d.udi.pid, sn: d.udi.sn },
    hostname: d.hostname,
    virtualAccount: state.vaRef(d.vaId),
    state: d.state,
    via: d.via,
    registeredAt: d.registeredAt,
    lastReportAt: state.latestOf(d.id)?.lastReportAt ?? null,
    usage: state.latestOf(d.id)?.usage ?? null,
    revoked: d.revoked,
    ...(d.via === 'policy' ? { keyThumbprint: d.keyThumbprint ?? null } : {}),
    ...(d.via === 'collector' && d.target ? { target: d.target } : {}),
  });

  function decodeCursor(cursor: string): [string, string] {
    try {
      const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
    } catch {
      // fall through
    }
    throw new OutpostError('INVALID_REQUEST', 'Parameter "cursor" is not valid.');
  }

  return {
    view,

    get(id: string): DeviceRecord {
      const d = state.device(id);
      if (!d) throw new OutpostError('NOT_FOUND', `No device ${JSON.stringify(id)}.`);
      return d;
    },

    /**
     * One page of devices, sorted by `sort` then id. A device that never reported counts as
     * the oldest; one without a hostname sorts after every hostname.
     */
    list(query: DeviceQuery): { items: DeviceJson[]; next: string | null } {
      const byReport = query.sort === 'lastReportAt';
      const keyOf =
        query.sort === 'hostname'
          ? (d: DeviceRecord) => d.hostname ?? '\uffff'
          : query.sort === 'registeredAt'
            ? (d: DeviceRecord) => d.registeredAt
            : byReport
              ? (d: DeviceRecord) => state.latestOf(d.id)?.lastReportAt ?? ''
              : () => '';
      const sign = query.desc ? -1 : 1;
      const cmp = (ak: string, aid: string, bk: string, bid: string): number =>
        sign * (ak < bk ? -1 : ak > bk ? 1 : aid < bid ? -1 : aid > bid ? 1 : 0);
      const after = query.cursor === null ? null : decodeCursor(query.cursor);
      // Case-insensitive substring: a regular expression of the escaped text, tested on each
      // field in place (no lower-cased copies of 100,000 devices' fields).
      const needle = query.q === undefined ? undefined : new RegExp(query.q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      const matches = (d: DeviceRecord): boolean =>
        needle!.test(d.udi.sn) || needle!.test(d.udi.pid) || (d.hostname !== null && needle!.test(d.hostname));
      const want = query.limit + 1;
      const page: Entry[] = [];

      const consider = (key: string, id: string, d: DeviceRecord | undefined): void => {
        if (after !== null && cmp(key, id, after[0], after[1]) <= 0) return;
        if (page.length === want) {
          const last = page[want - 1]!;
          if (cmp(key, id, last.key, last.id) >= 0) return;
          page.pop();
        }
        // Binary insertion: the buffer stays sorted and at most limit + 1 long.
        let lo = 0;
        let hi = page.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          const m = page[mid]!;
          if (cmp(m.key, m.id, key, id) < 0) lo = mid + 1;
          else hi = mid;
        }
        page.splice(lo, 0, { key, id, d });
      };

      const filtered = query.vaIds !== null || query.state !== undefined || needle !== undefined;
      if (byReport && !filtered) {
        for (const [id, latest] of state.latest) consider(latest.lastReportAt, id, undefined);
        for (const id of neverReported) consider('', id, undefined);
      } else {
        for (const d of state.devices.values()) {
          if (query.vaIds !== null && !query.vaIds.has(d.vaId)) continue;
          if (query.state !== undefined && d.state !== query.state) continue;
          if (needle !== undefined && !matches(d)) continue;
          consider(keyOf(d), d.id, d);
        }
      }

      const more = page.length > query.limit;
      if (more) page.pop();
      const last = page[page.length - 1];
      return {
        items: page.map((e) => view(e.d ?? state.device(e.id)!)),
        next: more && last ? Buffer.from(JSON.stringify([last.key, last.id])).toString('base64url') : null,
      };
    },

    /** The state's device watcher: a new device has not reported yet. */
    onDeviceChange(before: DeviceRecord | undefined, after: DeviceRecord): void {
      if (before === undefined && state.latestOf(after.id) === undefined) neverReported.add(after.id);
    },

    /** The state's report watcher: a device reported (a first report among them). */
    onReported(device: DeviceRecord): void {
      neverReported.delete(device.id);
    },

    /** Moves a device to another VA; its usage counts there from now on. An event says so. */
    async move(deviceId: string, vaId: string, actor: Actor): Promise<DeviceJson> {
      const now = ctx.clock();
      const d = await ctx.writer.run(async (tx) => {
        const current = await tx.get<DeviceRecord>(keys.device(deviceId));
        if (!current) throw new OutpostError('NOT_FOUND', `No device ${JSON.stringify(deviceId)}.`);
        if (!state.vas.has(vaId)) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(vaId)}.`);
        if (current.vaId === vaId) return current;
        const moved: DeviceRecord = { ...current, vaId };
        tx.put(keys.device(deviceId), moved);
        recordEvent(tx, ctx, now, {
          actor,
          type: 'device.moved',
          vaId,
          details: { deviceId, udi: current.udi, from: state.vaPath(current.vaId), to: state.vaPath(vaId), fromVirtualAccountId: current.vaId },
        });
        // The cloud hears of the move with the next satellite report (devices.ndjson).
        journalDeviceChange(tx, ctx.seq, state, moved, now);
        tx.after(() => state.putDevice(moved));
        return moved;
      });
      return view(d);
    },

    /** Clears the cloud's revocation: the device may register again. An event says so. */
    async reinstate(deviceId: string, actor: Actor): Promise<DeviceJson> {
      const now = ctx.clock();
      const d = await ctx.writer.run(async (tx) => {
        const current = await tx.get<DeviceRecord>(keys.device(deviceId));
        if (!current) throw new OutpostError('NOT_FOUND', `No device ${JSON.stringify(deviceId)}.`);
        if (!current.revoked) return current;
        const reinstated: DeviceRecord = { ...current, revoked: false };
        tx.put(keys.device(deviceId), reinstated);
        recordEvent(tx, ctx, now, { actor, type: 'device.reinstated', vaId: current.vaId, details: { deviceId, udi: current.udi } });
        tx.after(() => state.putDevice(reinstated));
        return reinstated;
      });
      return view(d);
    },
  };
}

export type DeviceAdmin = ReturnType<typeof createDeviceAdmin>;
