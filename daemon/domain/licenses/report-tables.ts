// The three report files (SPEC §4 /api/reports/…): licenses (the pools), subscriptions (term
// and subscription holdings with their end dates and days left) and devices. Each is scoped
// to the VAs the caller may see; rows are produced while the file is written.
import { DAY_MS } from '../satellite/clock.ts';
import type { DomainContext } from '../satellite/context.ts';
import type { Licensing } from './workspace/index.ts';
import type { ReportTable } from '../../http/report-files/table.ts';
import { keys, prefixRange } from '../../store/index.ts';
import type { DeviceRecord, LatestUsage } from '../satellite/records.ts';

export const REPORTS = ['licenses', 'subscriptions', 'devices'] as const;
export type ReportName = (typeof REPORTS)[number];

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

  async function devices(scope: ReadonlySet<string> | null): Promise<ReportTable> {
    // (Until the report streams from the store: the ids in scope first, each record read as its
    // row is written, past the state's cache.)
    const ids: string[] = [];
    for await (const chunk of ctx.store.chunks<DeviceRecord>(prefixRange(keys.devicePrefix), 1000)) {
      for (const [, d] of chunk) if (inScope(scope, d.vaId)) ids.push(d.id);
    }
    function* rows() {
      for (const id of ids) {
        const d = ctx.store.getSync<DeviceRecord>(keys.device(id));
        if (!d) continue;
        const latest = ctx.store.getSync<LatestUsage>(keys.latestUsage(id));
        const usage = latest
          ? Object.keys(latest.usage)
              .sort()
              .map((e) => `${e}=${latest.usage[e]}`)
              .join('; ')
          : '';
        yield [d.id, d.udi.pid, d.udi.sn, d.hostname, state.vaPath(d.vaId), d.vaId, d.state, d.via, d.registeredAt, latest?.lastReportAt ?? null, usage];
      }
    }
    return {
      name: 'devices',
      columns: ['Device id', 'PID', 'Serial', 'Hostname', 'Virtual account', 'Virtual account id', 'State', 'Via', 'Registered at', 'Last report at', 'Usage'],
      rows: rows(),
    };
  }

  return {
    table(name: ReportName, scope: ReadonlySet<string> | null, now: Date): ReportTable | Promise<ReportTable> {
      if (name === 'licenses') return licenses(scope, now);
      if (name === 'subscriptions') return subscriptions(scope, now);
      return devices(scope);
    },
  };
}

export type ReportTables = ReturnType<typeof createReportTables>;
