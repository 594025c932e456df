// The three report files (SPEC §4 /api/reports/…): licenses (the pools), subscriptions (term
// and subscription holdings with their end dates and days left) and devices. Each is scoped
// to the VAs the caller may see; rows are produced while the file is written (the devices
// report's straight from the store, a chunk at a time, as the writer asks for them).
import { DAY_MS } from '../satellite/clock.ts';
import type { DomainContext } from '../satellite/context.ts';
import type { Licensing } from './workspace/index.ts';
import type { Cell, ReportTable } from '../../http/report-files/table.ts';
import { keys, prefixRange } from '../../store/index.ts';
import type { DeviceRecord, LatestUsage } from '../satellite/records.ts';

export const REPORTS = ['licenses', 'subscriptions', 'devices'] as const;
export type ReportName = (typeof REPORTS)[number];

/** Records read per store round trip by the devices report (~1 MB of JSON at most). */
const DEVICE_CHUNK = 1000;

export function createReportTables(ctx: DomainContext, licensing: Licensing) {
  const { state } = ctx;
  const inScope = (scope: ReadonlySet<string> | null, vaId: string) => scope === null || scope.has(vaId);

  function licenses(scope: ReadonlySet<string> | null, now: Date): ReportTable {
    const pools = licensing.pools(now, scope);
    return {
      name: 'licenses',
      columns: ['Virtual account', 'Virtual account id', 'Entitlement', 'Purchased', 'Reserved', 'In use', 'Available', 'Status', 'Flags'],
      rows: pools
        .map((p) => ({ p, path: state.vaPath(p.vaId!) }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.p.entitlement < b.p.entitlement ? -1 : 1))
        .map(({ p, path }) => [path, p.vaId, p.entitlement, p.purchased, p.reserved, p.inUse, p.available, p.status, p.flags.join(' ')]),
    };
  }

  function subscriptions(scope: ReadonlySet<string> | null, now: Date): ReportTable {
    const { lines, holdings } = licensing.book.state;
    const byId = new Map(lines.map((l) => [l.lineId, l]));
    const nowMs = now.getTime();
    const rows = holdings
      .filter((h) => inScope(scope, h.vaId) && byId.get(h.lineId)!.type !== 'perpetual')
      .map((h) => {
        const l = byId.get(h.lineId)!;
        const starts = Date.parse(l.startsAt);
        const ends = Date.parse(l.endsAt!);
        const status = nowMs < starts ? 'not started' : nowMs >= ends ? 'ended' : 'active';
        const daysLeft = Math.max(0, Math.floor((ends - nowMs) / DAY_MS));
        const path = state.vaPath(h.vaId);
        return { sortKey: `${String(ends).padStart(16, '0')}\u0000${path}\u0000${l.lineId}`, cells: [path, h.vaId, l.lineId, l.sku, l.entitlement, l.description, l.type, h.quantity, l.startsAt, l.endsAt, daysLeft, status] };
      })
      // Soonest end first: what needs renewing first.
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    return {
      name: 'subscriptions',
      columns: ['Virtual account', 'Virtual account id', 'Line', 'SKU', 'Entitlement', 'Description', 'Type', 'Quantity', 'Starts', 'Ends', 'Days left', 'Status'],
      rows: rows.map((r) => r.cells),
    };
  }

  /**
   * Every device in scope with its latest usage, in device-id order, read from the store in
   * chunks: the device records (`dev!`) and the latest usages (`dlu!`), both keyed by device id,
   * walked side by side (a merge join), so neither the fleet nor a lookup per device is needed.
   * The two walks are two snapshots: a device registered while the file is written may show
   * without its usage.
   */
  async function* deviceRows(scope: ReadonlySet<string> | null): AsyncGenerator<Cell[]> {
    const devices = ctx.store.chunks<DeviceRecord>(prefixRange(keys.devicePrefix), DEVICE_CHUNK)[Symbol.asyncIterator]();
    const latests = ctx.store.chunks<LatestUsage>(prefixRange(keys.latestUsagePrefix), DEVICE_CHUNK)[Symbol.asyncIterator]();
    const skip = keys.latestUsagePrefix.length;
    let usages: Array<[string, LatestUsage]> = [];
    let u = 0;
    let usagesDone = false;
    try {
      for (;;) {
        const next = await devices.next();
        if (next.done) break;
        for (const [, d] of next.value) {
          // Move the usage walk up to this device's id (ids sort the same in both prefixes).
          let latest: LatestUsage | undefined;
          for (;;) {
            if (u === usages.length) {
              if (usagesDone) break;
              const more = await latests.next();
              if (more.done) {
                usagesDone = true;
                break;
              }
              usages = more.value;
              u = 0;
              continue;
            }
            const id = usages[u]![0].slice(skip);
            if (id < d.id) u++;
            else {
              if (id === d.id) latest = usages[u]![1];
              break;
            }
          }
          if (!inScope(scope, d.vaId)) continue;
          const usage = latest
            ? Object.keys(latest.usage)
                .sort()
                .map((e) => `${e}=${latest.usage[e]}`)
                .join('; ')
            : '';
          yield [d.id, d.udi.pid, d.udi.sn, d.hostname, state.vaPath(d.vaId), d.vaId, d.state, d.via, d.registeredAt, latest?.lastReportAt ?? null, usage];
        }
      }
    } finally {
      await devices.return?.();
      await latests.return?.();
    }
  }

  function devices(scope: ReadonlySet<string> | null): ReportTable {
    return {
      name: 'devices',
      columns: ['Device id', 'PID', 'Serial', 'Hostname', 'Virtual account', 'Virtual account id', 'State', 'Via', 'Registered at', 'Last report at', 'Usage'],
      rows: deviceRows(scope),
    };
  }

  return {
    table(name: ReportName, scope: ReadonlySet<string> | null, now: Date): ReportTable {
      if (name === 'licenses') return licenses(scope, now);
      if (name === 'subscriptions') return subscriptions(scope, now);
      return devices(scope);
    },
  };
}

export type ReportTables = ReturnType<typeof createReportTables>;
