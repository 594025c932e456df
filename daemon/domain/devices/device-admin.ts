// Devices as users manage them (SPEC §4 /api/devices): the list with filters, sorting and cursor
// paging; moving a device to another VA (its usage moves with it: the pools follow device
// changes); reinstating a device the cloud revoked.
//
// The list is answered from the store's device indexes (device-index.ts): one sorted key range per
// (scope, state, via) partition that the filters allow and the counters say is not empty, merged
// in key order, so a page reads about a page of keys from each range whatever the fleet.
//
// `?q=` asks the compact text column (device-search.ts: saved at shutdown and taken back at
// start, or filled from the store in the background) for its matches. Up to CANDIDATES of them:
// sorted by id with no filter, only the page's devices are read (the column holds the ids);
// otherwise each match is read, filtered and sorted (a rare match costs its own reads). More than
// that, or before the column is ready, the sorted ranges above are walked in chunks keeping the
// entries whose text (held in the index value) matches until the page is full (a common match
// fills a page soon).
import { OutpostError } from '../../errors.ts';
import { keys, type Range } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { journalDeviceChange } from './device-journal.ts';
import { ALL, PARTS, STATE_CODE, VIA_CODE, parseIndexKey, prefixEnd, sortKeyOf, stageDevice, type IndexSort, type IndexValue } from './device-index.ts';
import { DeviceSearch, MemoryText, fold, type SavedColumn, type TextBytes } from './device-search.ts';
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
  /** How the device came: a registration token, policy mode, or the collector. */
  via?: DeviceRecord['via'];
  /** Case-insensitive substring of hostname, PID or serial. */
  q?: string;
  sort: DeviceSortField;
  /** Descending: newest report first, hostnames Z to A. */
  desc: boolean;
  limit: number;
  cursor: string | null;
}

/**
 * How `?q=` decides whether a device matches, from the text its index entries hold. A plain,
 * case-insensitive substring: regular-expression and wildcard characters are literal.
 */
export interface DeviceTextMatch {
  (q: string): (hostname: string | null, pid: string, sn: string) => boolean;
}

/** As the text column matches: both sides folded the same way (device-search.ts `fold`). */
export const substringMatch: DeviceTextMatch = (q) => {
  const needle = fold(q);
  return (hostname, pid, sn) => fold(sn).includes(needle) || fold(pid).includes(needle) || (hostname !== null && fold(hostname).includes(needle));
};

/** Matches of `?q=` read one by one at most; past this many, the sorted indexes are walked. */
export const CANDIDATES = 5000;
/** Queries whose matches are kept for their next pages. */
const RECENT_QUERIES = 8;

const SORT_CODE: Record<DeviceSortField, IndexSort> = { id: 'i', lastReportAt: 'l', hostname: 'h', registeredAt: 'r' };

/**
 * Compares as LevelDB orders keys (UTF-8 bytes): as JavaScript does (UTF-16 units) except that a
 * surrogate (a character past U+FFFF) sorts after U+E000–U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** One partition's range being read in chunks: its next entry, then the rest. */
interface Source {
  prefixLength: number;
  it: AsyncIterator<Array<[string, IndexValue]>>;
  buf: Array<[string, IndexValue]>;
  at: number;
  done: boolean;
}

/**
 * `match`: how a walk of the indexes matches `?q=` (tests); `text`: where a new text column
 * keeps its bytes (the daemon: a file of its own; by default memory); `onSearchFailure`: told
 * once when the column's storage fails and `?q=` falls back to walking the indexes.
 */
export function createDeviceAdmin(ctx: Pick<DomainContext, 'state' | 'writer' | 'seq' | 'clock' | 'store'>, opts: { match?: DeviceTextMatch; text?: () => TextBytes; onSearchFailure?: (err: unknown) => void } = {}) {
  const { state } = ctx;
  const match = opts.match ?? substringMatch;
  /** `?q=`'s text column: not used until taken back or filled in the background at start. */
  let text = new DeviceSearch((opts.text ?? (() => new MemoryText()))());
  let textReady = false;
  /** Devices changed while the column was being filled or loaded: the older copy is skipped. */
  const changedDuringFill = new Set<string>();

  /** Why the column was given up (its text file failed: a full or failing disk), or null. */
  let searchFailure: string | null = null;
  /**
   * Runs `fn` on the column; if its storage fails (the text's file: a full or failing disk),
   * the column is given up: `?q=` walks the indexes from then on (right, slower), nothing of it
   * is saved at shutdown, and the next start makes it anew. Answers `fallback` then.
   */
  function guarded<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      textReady = false;
      if (searchFailure === null) opts.onSearchFailure?.(err);
      searchFailure = (err as Error).message;
      recent.clear();
      return fallback;
    }
  }

  /**
   * The matches of the last few `?q=` (≤ CANDIDATES each), for the next pages of the same query:
   * a cursor page reuses them while the column is unchanged (same column, same `changes`) instead
   * of scanning it again. A first page always scans.
   */
  const recent = new Map<string, { column: DeviceSearch; changes: number; ids: string[] }>();
  function matches(q: string, next: boolean): string[] {
    const kept = recent.get(q);
    if (next && kept && kept.column === text && kept.changes === text.changes) return kept.ids;
    const ids: string[] = [];
    text.search(q, (id) => (ids.push(id), ids.length <= CANDIDATES));
    recent.delete(q);
    recent.set(q, { column: text, changes: text.changes, ids });
    if (recent.size > RECENT_QUERIES) recent.delete(recent.keys().next().value!);
    return ids;
  }

  /** A page of `?q=` matches sorted by id alone, no filter: only the page's devices are read. */
  function idPage(ids: string[], desc: boolean, after: [string, string] | null, want: number) {
    const sign = desc ? -1 : 1;
    const page = after === null ? ids : ids.filter((id) => sign * compareUtf8(id, after[1]) > 0);
    page.sort((a, b) => sign * compareUtf8(a, b));
    return page.slice(0, want).map((id) => ({ sortKey: '', id }));
  }

  /** A page from the matches of `?q=` (at most CANDIDATES ids), read, filtered and sorted here. */
  function candidatePage(ids: string[], query: DeviceQuery, sort: IndexSort, after: [string, string] | null, want: number) {
    const sign = query.desc ? -1 : 1;
    const cmp = (ak: string, aid: string, bk: string, bid: string) => sign * (compareUtf8(ak, bk) || compareUtf8(aid, bid));
    const found: Array<{ sortKey: string; id: string }> = [];
    for (const id of ids) {
      const d = ctx.store.getSync<DeviceRecord>(keys.device(id));
      if (!d) continue;
      if (query.vaIds !== null && !query.vaIds.has(d.vaId)) continue;
      if (query.state !== undefined && d.state !== query.state) continue;
      if (query.via !== undefined && d.via !== query.via) continue;
      const sortKey = sortKeyOf(sort, d, sort === 'l' ? (state.latestOf(id)?.lastReportAt ?? null) : null);
      if (after !== null && cmp(sortKey, id, after[0], after[1]) <= 0) continue;
      found.push({ sortKey, id });
    }
    found.sort((a, b) => cmp(a.sortKey, a.id, b.sortKey, b.id));
    return found.slice(0, want);
  }

  const view = (d: DeviceRecord): DeviceJson => {
    const latest = state.latestOf(d.id);
    return {
      id: d.id,
      udi: { pid: d.udi.pid, sn: d.udi.sn },
      hostname: d.hostname,
      virtualAccount: state.vaRef(d.vaId),
      state: d.state,
      via: d.via,
      registeredAt: d.registeredAt,
      lastReportAt: latest?.lastReportAt ?? null,
      usage: latest?.usage ?? null,
      revoked: d.revoked,
      ...(d.via === 'policy' ? { keyThumbprint: d.keyThumbprint ?? null } : {}),
      ...(d.via === 'collector' && d.target ? { target: d.target } : {}),
    };
  };

  function decodeCursor(cursor: string): [string, string] {
    try {
      const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
    } catch {
      // fall through
    }
    throw new OutpostError('INVALID_REQUEST', 'Parameter "cursor" is not valid.');
  }

  function pageOf(page: Array<{ sortKey: string; id: string }>, limit: number): { items: DeviceJson[]; next: string | null } {
    const more = page.length > limit;
    if (more) page.pop();
    const last = page[page.length - 1];
    const items: DeviceJson[] = [];
    for (const e of page) {
      const d = state.device(e.id);
      if (d) items.push(view(d));
    }
    return {
      items,
      next: more && last ? Buffer.from(JSON.stringify([last.sortKey, last.id])).toString('base64url') : null,
    };
  }

  async function fill(s: Source): Promise<void> {
    while (s.at >= s.buf.length && !s.done) {
      const r = await s.it.next();
      if (r.done) s.done = true;
      else {
        s.buf = r.value;
        s.at = 0;
      }
    }
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
    async list(query: DeviceQuery): Promise<{ items: DeviceJson[]; next: string | null }> {
      // While the indexes are rebuilt (start-up found them missing or wrong), lists wait.
      await state.deviceIndex.ready();
      const sort = SORT_CODE[query.sort];
      const after = query.cursor === null ? null : decodeCursor(query.cursor);
      const test = query.q === undefined ? null : match(query.q);
      const want = query.limit + 1;
      // Every VA in scope (`?va=Default&nested=true`): the index over every VA, one range a part.
      const everyVa = query.vaIds === null || (query.vaIds.size >= state.vas.size && [...state.vas.keys()].every((id) => query.vaIds!.has(id)));
      const ids = query.q !== undefined && textReady ? guarded(() => matches(query.q!, after !== null), []) : null;
      if (ids !== null && textReady) {
        if (ids.length <= CANDIDATES) {
          // The column holds ids: sorted by id with no filter, a page reads only its own devices.
          if (sort === 'i' && everyVa && query.state === undefined && query.via === undefined) return pageOf(idPage(ids, query.desc, after, want), query.limit);
          return pageOf(candidatePage(ids, query, sort, after, want), query.limit);
        }
      }
      const scopes = everyVa ? [ALL] : [...query.vaIds!].filter((id) => PARTS.some((p) => state.deviceCount(id, p) > 0));
      const sources: Source[] = [];
      const ranges: Array<{ scope: string; part: string; count: number }> = [];
      for (const scope of scopes) {
        for (const part of PARTS) {
          if (query.state !== undefined && part[0] !== STATE_CODE[query.state]) continue;
          if (query.via !== undefined && part[1] !== VIA_CODE[query.via]) continue;
          const count = state.deviceCount(scope, part);
          if (count > 0) ranges.push({ scope, part, count });
        }
      }
      const inScope = ranges.reduce((sum, r) => sum + r.count, 0);
      for (const { scope, part, count } of ranges) {
        const prefix = keys.deviceIndexPrefix(sort, scope, part);
        const from = after === null ? null : prefix + after[0] + '\u0000' + after[1];
        const range: Range = query.desc
          ? { gte: prefix, ...(from === null ? { lt: prefixEnd(prefix) } : { lt: from }), reverse: true }
          : { ...(from === null ? { gte: prefix } : { gt: from }), lt: prefixEnd(prefix) };
        // Without q a range gives at most a page, keys only, its first look about its share of
        // the page (twice, and 8 more: a partition of 1% of the fleet reads ~10 keys, not a page
        // it will not give; the merge reads on when it does); with q, matches may be sparse:
        // larger chunks, with the text the index values hold.
        let it: AsyncIterator<Array<[string, IndexValue]>>;
        if (test === null) {
          Object.assign(range, { limit: want, values: false });
          it = ctx.store.chunks<IndexValue>(range, want, Math.min(want, 8 + Math.ceil((2 * want * count) / inScope)))[Symbol.asyncIterator]();
        } else {
          range.values = true;
          it = ctx.store.chunks<IndexValue>(range, 512)[Symbol.asyncIterator]();
        }
        sources.push({ prefixLength: prefix.length, it, buf: [], at: 0, done: false });
      }
      const page: Array<{ sortKey: string; id: string }> = [];
      try {
        await Promise.all(sources.map(fill));
        const sign = query.desc ? -1 : 1;
        while (page.length < want) {
          let best: Source | null = null;
          let bestKey: { sortKey: string; id: string } | null = null;
          for (const s of sources) {
            if (s.at >= s.buf.length) continue;
            const k = parseIndexKey(s.buf[s.at]![0], s.prefixLength);
            if (bestKey === null || sign * (compareUtf8(k.sortKey, bestKey.sortKey) || compareUtf8(k.id, bestKey.id)) < 0) {
              best = s;
              bestKey = k;
            }
          }
          if (best === null || bestKey === null) break;
          const value = best.buf[best.at]![1];
          best.at++;
          if (best.at >= best.buf.length) await fill(best);
          if (test !== null && !test(value[0], value[1], value[2])) continue;
          page.push(bestKey);
        }
      } finally {
        await Promise.all(sources.map((s) => (s.done ? undefined : s.it.return?.())));
      }
      return pageOf(page, query.limit);
    },

    /**
     * Makes `?q=`'s text column, in the background at start (until it is ready, `?q=` walks the
     * indexes): from `saved`, the column saved at the last shutdown when it still covers the store
     * (the caller checks that), else from the device records, in chunks. Devices changed since
     * start are then taken from their current records. Answers how many devices it holds and
     * where the column came from; a saved column that does not load is left for the walk.
     */
    async openSearch(saved: SavedColumn | null): Promise<{ devices: number; from: 'saved' | 'store'; error?: string }> {
      let error: string | undefined;
      if (saved !== null) {
        // What the watcher set meanwhile is in this one: kept if the saved column does not load.
        const meanwhile = text;
        try {
          text = DeviceSearch.load(saved.source, saved.textAt);
          for (const id of changedDuringFill) {
            const d = state.device(id);
            if (d) text.set(d.id, d.hostname, d.udi.pid, d.udi.sn);
          }
          meanwhile.close();
          textReady = searchFailure === null;
          changedDuringFill.clear();
          return { devices: text.count, from: 'saved' };
        } catch (err) {
          error = (err as Error).message;
          text = meanwhile;
          saved.close();
        }
      }
      for await (const chunk of ctx.store.chunks<DeviceRecord>({ gt: keys.devicePrefix, lt: prefixEnd(keys.devicePrefix) }, 1000)) {
        for (const [, d] of chunk) if (!changedDuringFill.has(d.id)) text.set(d.id, d.hostname, d.udi.pid, d.udi.sn);
        await new Promise((r) => setImmediate(r));
      }
      // A device changed during the walk was set by the watcher, with the change.
      textReady = searchFailure === null;
      changedDuringFill.clear();
      return { devices: text.count, from: 'store', ...(error === undefined ? {} : { error }) };
    },

    /** The text column as bytes to save at shutdown (after the writer's last batch; pieces, `save`, in order of text); null while it is not ready. */
    searchBytes(): Iterable<Uint8Array> | null {
      return textReady ? text.save({ clustered: true }) : null;
    },

    /** The state's device watcher: the text column follows hostnames (and new devices). */
    onDeviceChange(before: DeviceRecord | undefined, after: DeviceRecord): void {
      if (searchFailure !== null) return;
      if (!textReady) changedDuringFill.add(after.id);
      if (before === undefined || before.hostname !== after.hostname || !text.has(after.id)) guarded(() => text.set(after.id, after.hostname, after.udi.pid, after.udi.sn), undefined);
    },

    /** Why `?q=` walks the indexes instead of its column since a read or write of the column's file failed; null while it did not. */
    get searchFailure(): string | null {
      return searchFailure;
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
        await stageDevice(tx, state, current, moved);
        recordEvent(tx, ctx, now, {
          actor,
          type: 'device.moved',
          vaId,
          details: { deviceId, udi: current.udi, from: state.vaPath(current.vaId), to: state.vaPath(vaId), fromVirtualAccountId: current.vaId },
        });
        // The cloud hears of the move with the next satellite report (devices.ndjson).
        journalDeviceChange(tx, ctx.seq, state, moved, now);
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
        await stageDevice(tx, state, current, reinstated);
        recordEvent(tx, ctx, now, { actor, type: 'device.reinstated', vaId: current.vaId, details: { deviceId, udi: current.udi } });
        return reinstated;
      });
      return view(d);
    },
  };
}

export type DeviceAdmin = ReturnType<typeof createDeviceAdmin>;
