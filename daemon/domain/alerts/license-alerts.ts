// License alerts (SPEC §7): expiring, expired and insufficient pools, and lines that landed in
// Default because their VA was null or unknown. Derived anew from pools on every read.
import type { Severity } from './alerts.ts';
import { EXPIRING_DAYS } from '../licenses/core/pool-index.ts';
import { DAY_MS, parseIso, toIso, toMs, type Instant } from '../licenses/core/time.ts';
import type { HoldingView, PoolView, UnknownVaNote } from '../licenses/core/types.ts';

export type LicenseAlertType = 'expiring' | 'expired' | 'insufficient' | 'unknown-virtual-account';
export type { Severity };

/** The SPEC §4 alert with the VA as an id; the caller adds the path. */
export interface LicenseAlert {
  type: LicenseAlertType;
  severity: Severity;
  vaId: string | null;
  entitlement: string | null;
  /** An unknown-virtual-account alert names its line: two lines can land in Default for one entitlement. */
  subject?: { kind: 'line'; id: string };
  since: string;
  message: string;
}

export interface AlertInput {
  /** The VA pools (`PoolIndex.pools(now)`). */
  pools: readonly PoolView[];
  /** `holdingViews(state)`: the dates behind `since` and the messages. */
  holdings: readonly HoldingView[];
  /** `landingNotes(state)`, passed through as unknown-virtual-account alerts. */
  notes: readonly UnknownVaNote[];
  now: Instant;
  /** The previous list, if kept: a standing alert whose start is not derivable keeps its `since`. */
  previous?: readonly LicenseAlert[];
  /**
   * When each line reached the satellite (lineId → ISO): a derived `since` is never earlier than
   * the satellite's knowledge of the lines behind it (a line bought long ago and landed a minute
   * ago has been expiring for a minute here, not for 64 days).
   */
  landedAt?: ReadonlyMap<string, string>;
}

/** An expiring pool is a warning once its soonest end is this close, info before. */
export const EXPIRING_WARNING_DAYS = 30;

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const poolKey = (vaId: string | null, entitlement: string | null): string => `${vaId ?? ''}\u0000${entitlement ?? ''}`;
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * One alert of each applicable type per VA and entitlement, plus one per note. Severities:
 * `expired` critical (devices use what nothing covers); `insufficient` warning (overage is
 * allowed and reported) and left out where `expired` already says it; `expiring` warning when the
 * soonest end is within 30 days, info within 90; `unknown-virtual-account` warning for a path
 * that names no VA, info for a line that named none. `since`: for expiring, the moment the
 * soonest end came within 90 days; for expired, the last end of a holding of that pool; for a
 * note, when the line landed; otherwise the previous alert's `since`, or `now` when new.
 */
export function computeAlerts(input: AlertInput): LicenseAlert[] {
  const nowMs = toMs(input.now);
  const nowIso = toIso(nowMs);
  const byPool = new Map<string, HoldingView[]>();
  for (const h of input.holdings) {
    const k = poolKey(h.vaId, h.entitlement);
    const list = byPool.get(k);
    if (list === undefined) byPool.set(k, [h]);
    else list.push(h);
  }
  const previousSince = new Map<string, string>();
  for (const a of input.previous ?? []) previousSince.set(`${a.type}\u0000${poolKey(a.vaId, a.entitlement)}`, a.since);
  const keep = (type: LicenseAlertType, p: PoolView): string =>
    previousSince.get(`${type}\u0000${poolKey(p.vaId, p.entitlement)}`) ?? nowIso;

  const knownAt = (lineId: string): number => {
    const at = input.landedAt?.get(lineId);
    return at === undefined ? -Infinity : (parseIso(at) ?? -Infinity);
  };
  /** A derived start, moved up to when the satellite first knew of the lines behind it. */
  const known = (derivedMs: number, lines: Array<{ knownMs: number }>): string => toIso(Math.min(nowMs, Math.max(derivedMs, Math.min(...lines.map((l) => l.knownMs)))));

  const alerts: LicenseAlert[] = [];
  for (const p of input.pools) {
    const holdings = byPool.get(poolKey(p.vaId, p.entitlement)) ?? [];
    const ends = holdings
      .filter((h) => h.endsAt !== null)
      .map((h) => ({ quantity: h.quantity, endsMs: parseIso(h.endsAt)!, knownMs: knownAt(h.lineId) }));

    if (p.flags.includes('expiring')) {
      const horizon = nowMs + EXPIRING_DAYS * DAY_MS;
      const soon = ends.filter((e) => e.endsMs > nowMs && e.endsMs <= horizon);
      const quantity = soon.reduce((s, e) => s + e.quantity, 0);
      const first = soon.length > 0 ? Math.min(...soon.map((e) => e.endsMs)) : null;
      alerts.push({
        type: 'expiring',
        severity: first !== null && first - nowMs <= EXPIRING_WARNING_DAYS * DAY_MS ? 'warning' : 'info',
        vaId: p.vaId,
        entitlement: p.entitlement,
        since: first !== null ? known(first - EXPIRING_DAYS * DAY_MS, soon) : keep('expiring', p),
        message:
          first === null
            ? `${p.entitlement} licenses end within ${EXPIRING_DAYS} days.`
            : `${plural(quantity, `${p.entitlement} license ends`, `${p.entitlement} licenses end`)} within ${EXPIRING_DAYS} days, the first on ${toIso(first).slice(0, 10)} (in ${plural(Math.ceil((first - nowMs) / DAY_MS), 'day', 'days')}).`,
      });
    }

    if (p.flags.includes('expired')) {
      const ended = ends.filter((e) => e.endsMs <= nowMs);
      alerts.push({
        type: 'expired',
        severity: 'critical',
        vaId: p.vaId,
        entitlement: p.entitlement,
        since: ended.length > 0 ? known(Math.max(...ended.map((e) => e.endsMs)), ended) : keep('expired', p),
        message: `${plural(p.inUse, `${p.entitlement} license is`, `${p.entitlement} licenses are`)} in use with no active license.`,
      });
    } else if (p.status === 'insufficient') {
      alerts.push({
        type: 'insufficient',
        severity: 'warning',
        vaId: p.vaId,
        entitlement: p.entitlement,
        since: keep('insufficient', p),
        message: `${p.entitlement} is short by ${-p.available}: ${p.purchased} purchased, ${p.reserved} reserved, ${p.inUse} in use.`,
      });
    }
  }

  for (const n of input.notes) {
    alerts.push({
      type: 'unknown-virtual-account',
      severity: n.path === null ? 'info' : 'warning',
      vaId: n.vaId,
      entitlement: n.entitlement,
      subject: { kind: 'line', id: n.lineId },
      since: n.since,
      message:
        n.path === null
          ? `Line ${n.lineId} (${n.entitlement}) names no virtual account; it landed in Default.`
          : `Line ${n.lineId} (${n.entitlement}) names the virtual account ${n.path}, which does not exist; it landed in Default.`,
    });
  }

  return alerts.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) ||
      ((a.vaId ?? '') < (b.vaId ?? '') ? -1 : (a.vaId ?? '') > (b.vaId ?? '') ? 1 : 0) ||
      ((a.entitlement ?? '') < (b.entitlement ?? '') ? -1 : (a.entitlement ?? '') > (b.entitlement ?? '') ? 1 : 0),
  );
}
