// Usage over time, for the charts: one sample a day of every VA's pools (in use, purchased,
// reserved per entitlement), taken from the pools the reports keep current. The latest sample
// of a day replaces the earlier one (an hourly job takes them), and days older than
// HISTORY_DAYS are dropped as new ones come. A read sums the samples over the VAs a caller may see.
import type { Store, Tx } from '../../../store/index.ts';
import { keys, prefixRange } from '../../../store/index.ts';
import type { PoolView } from '../core/types.ts';

/** Days of samples kept. */
export const HISTORY_DAYS = 400;
const DAY_MS = 86_400_000;

export interface UsageSample {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  /** When it was taken (the last time that day). */
  at: string;
  pools: Array<{ vaId: string; entitlement: string; inUse: number; purchased: number; reserved: number }>;
}

export interface UsagePoint {
  day: string;
  entitlement: string;
  inUse: number;
  purchased: number;
  reserved: number;
}

export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

const sampled = (pools: readonly PoolView[]): UsageSample['pools'] =>
  pools
    .filter((p): p is PoolView & { vaId: string } => p.vaId !== null && (p.inUse !== 0 || p.purchased !== 0 || p.reserved !== 0))
    .map((p) => ({ vaId: p.vaId, entitlement: p.entitlement, inUse: p.inUse, purchased: p.purchased, reserved: p.reserved }));

/** Whether `pools` sample to what `stored` holds (its time aside). */
export const sameSample = (stored: UsageSample, pools: readonly PoolView[]): boolean => JSON.stringify(stored.pools) === JSON.stringify(sampled(pools));

/** Stages today's sample of `pools` (VA pools only) and drops the day that fell out of the window. */
export function stageUsageSample(tx: Pick<Tx, 'put' | 'del'>, now: Date, pools: readonly PoolView[]): UsageSample {
  const sample: UsageSample = {
    day: dayOf(now),
    at: now.toISOString(),
    pools: sampled(pools),
  };
  tx.put(keys.usageSample(sample.day), sample);
  tx.del(keys.usageSample(dayOf(new Date(now.getTime() - HISTORY_DAYS * DAY_MS))));
  return sample;
}

/**
 * Points per day and entitlement from `since` (a day) on, summed over `vaIds` (null: every VA),
 * sorted by entitlement then day.
 */
export async function readUsageHistory(store: Pick<Store, 'iterate'>, q: { since: string; vaIds: ReadonlySet<string> | null; entitlement?: string }): Promise<UsagePoint[]> {
  const sums = new Map<string, UsagePoint>();
  for await (const [, s] of store.iterate<UsageSample>({ ...prefixRange(keys.usageSamplePrefix), gte: keys.usageSample(q.since) })) {
    for (const p of s.pools) {
      if (q.vaIds !== null && !q.vaIds.has(p.vaId)) continue;
      if (q.entitlement !== undefined && p.entitlement !== q.entitlement) continue;
      const k = `${p.entitlement}\u0000${s.day}`;
      const point = sums.get(k) ?? { day: s.day, entitlement: p.entitlement, inUse: 0, purchased: 0, reserved: 0 };
      point.inUse += p.inUse;
      point.purchased += p.purchased;
      point.reserved += p.reserved;
      sums.set(k, point);
    }
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

/** The paging key of a point (its sort order). */
export const usagePointKey = (p: UsagePoint): string => `${p.entitlement}\u0000${p.day}`;
