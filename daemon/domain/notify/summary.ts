// The summary (SPEC §10): per VA its pools, lines ending within 90 days and silent devices, plus
// sync, lapse and open alerts. One document for `GET /api/summary`, the dashboard's overview and
// the summary email, always cut to one reader's scope.

export const ENDING_WITHIN_DAYS = 90;
export const SILENT_AFTER_DAYS = 30;
const DAY = 86_400_000;

export interface SummaryPool {
  entitlement: string;
  purchased: number;
  reserved: number;
  inUse: number;
  available: number;
  status: 'ok' | 'insufficient';
}

export interface EndingLine {
  lineId: string;
  sku: string;
  entitlement: string;
  quantity: number;
  endsAt: string;
}

export interface SummaryVa {
  id: string;
  path: string;
  pools: SummaryPool[];
  endingWithin90Days: EndingLine[];
  silentDevices: number;
}

export interface SummaryAlert {
  type: string;
  severity: string;
  virtualAccount: { id: string; path: string } | null;
  entitlement: string | null;
  since: string;
  message: string;
  [more: string]: unknown;
}

export interface Summary {
  generatedAt: string;
  satellite: { id: string; name: string };
  registration: string;
  daysUntilLapse: number | null;
  lastCloudContact: string | null;
  sync: Record<string, unknown>;
  virtualAccounts: SummaryVa[];
  alerts: SummaryAlert[];
}

/** What the satellite knows, gathered by the caller (no IO here). */
export interface SummaryInput {
  now: Date;
  satellite: { id: string; name: string };
  registration: string;
  daysUntilLapse: number | null;
  lastCloudContact: string | null;
  sync: Record<string, unknown>;
  /** Every VA, in the order to show them (by path). */
  vas: ReadonlyArray<{ id: string; path: string }>;
  pools: ReadonlyArray<SummaryPool & { vaId: string }>;
  /** What each VA holds of each line. */
  holdings: ReadonlyArray<{ vaId: string; lineId: string; sku: string; entitlement: string; quantity: number; endsAt: string | null }>;
  /** Registered devices: their VA and last report (or registration when none). */
  devices: ReadonlyArray<{ vaId: string; lastSeenAt: string }>;
  /** Silent devices per VA counted already (from the device index), added to those of `devices`. */
  silentByVa?: ReadonlyMap<string, number>;
  alerts: ReadonlyArray<SummaryAlert & { vaId: string | null }>;
}

/**
 * The summary for a reader whose scope is `scope` (VA ids; null: everything). Satellite-wide
 * alerts (no VA) are shown to every reader, as `GET /api/alerts` does.
 */
export function buildSummary(input: SummaryInput, scope: ReadonlySet<string> | null): Summary {
  const inScope = (vaId: string) => scope === null || scope.has(vaId);
  const now = input.now.getTime();
  const byVa = new Map<string, SummaryVa>();
  for (const va of input.vas) {
    if (inScope(va.id)) byVa.set(va.id, { id: va.id, path: va.path, pools: [], endingWithin90Days: [], silentDevices: 0 });
  }
  for (const p of input.pools) {
    const { vaId, ...pool } = p;
    byVa.get(vaId)?.pools.push({
      entitlement: pool.entitlement,
      purchased: pool.purchased,
      reserved: pool.reserved,
      inUse: pool.inUse,
      available: pool.available,
      status: pool.status,
    });
  }
  for (const h of input.holdings) {
    if (h.endsAt === null || h.quantity <= 0) continue;
    const ends = Date.parse(h.endsAt);
    if (ends <= now || ends - now > ENDING_WITHIN_DAYS * DAY) continue;
    byVa.get(h.vaId)?.endingWithin90Days.push({ lineId: h.lineId, sku: h.sku, entitlement: h.entitlement, quantity: h.quantity, endsAt: h.endsAt });
  }
  for (const d of input.devices) {
    if (now - Date.parse(d.lastSeenAt) >= SILENT_AFTER_DAYS * DAY) {
      const va = byVa.get(d.vaId);
      if (va) va.silentDevices++;
    }
  }
  for (const [vaId, n] of input.silentByVa ?? []) {
    const va = byVa.get(vaId);
    if (va) va.silentDevices += n;
  }
  for (const va of byVa.values()) {
    va.pools.sort((a, b) => (a.entitlement < b.entitlement ? -1 : a.entitlement > b.entitlement ? 1 : 0));
    va.endingWithin90Days.sort((a, b) => (a.endsAt < b.endsAt ? -1 : a.endsAt > b.endsAt ? 1 : 0));
  }
  return {
    generatedAt: input.now.toISOString(),
    satellite: input.satellite,
    registration: input.registration,
    daysUntilLapse: input.daysUntilLapse,
    lastCloudContact: input.lastCloudContact,
    sync: input.sync,
    virtualAccounts: [...byVa.values()],
    alerts: input.alerts.filter((a) => a.vaId === null || inScope(a.vaId)).map(({ vaId: _vaId, ...a }) => a),
  };
}

/** Shortages: pools whose available is below zero, with their VA. */
export const shortages = (s: Summary) =>
  s.virtualAccounts.flatMap((va) => va.pools.filter((p) => p.status === 'insufficient').map((p) => ({ path: va.path, ...p })));
