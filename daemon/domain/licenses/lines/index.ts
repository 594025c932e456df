// The lines behind each pool, as the Licenses page lists them (GET /api/licenses/lines): one row
// per line and VA holding part of it, with the line's fields, the days left, its standing
// (active, expiring, expired, not yet started) and the transfers that moved its quantity in or
// out of that VA. Pure: it reads a license state and answers views; the caller scopes and pages.
import type { LicenseState, LineType } from '../core/types.ts';

/** Within this many days of its end a line counts as expiring (SPEC §6: a holding ends within 90 days). */
export const LINE_EXPIRING_DAYS = 90;
const DAY_MS = 86_400_000;

export type LineStanding = 'active' | 'expiring' | 'expired' | 'future';

export interface LineMove {
  direction: 'in' | 'out';
  /** The other VA of the transfer. */
  virtualAccount: { id: string; path: string };
  quantity: number;
  at: string;
  by: string;
  transferId: string;
}

export interface LineView {
  lineId: string;
  virtualAccount: { id: string; path: string };
  entitlement: string;
  sku: string;
  description: string;
  type: LineType;
  /** The quantity this VA holds of the line. */
  quantity: number;
  /** The line's whole quantity as the cloud sold it. */
  lineQuantity: number;
  startsAt: string;
  endsAt: string | null;
  /** Whole days until `endsAt` (rounded up; 0 on the last day, negative once ended); null without an end. */
  daysLeft: number | null;
  standing: LineStanding;
  /** It landed in Default because the VA the cloud named (or none) is not here. */
  landedByDefault: boolean;
  /** Transfers that moved this line's quantity into or out of this VA, oldest first. */
  moves: LineMove[];
}

export interface LineQuery {
  /** VA ids to show, or null for every VA. */
  vaIds: ReadonlySet<string> | null;
  entitlement?: string;
  now: Date;
  vaRef: (id: string) => { id: string; path: string };
}

export function standingOf(startsAt: string, endsAt: string | null, now: number): { standing: LineStanding; daysLeft: number | null } {
  const start = Date.parse(startsAt);
  const end = endsAt === null ? null : Date.parse(endsAt);
  const daysLeft = end === null ? null : Math.ceil((end - now) / DAY_MS);
  if (end !== null && end <= now) return { standing: 'expired', daysLeft };
  if (start > now) return { standing: 'future', daysLeft };
  if (daysLeft !== null && daysLeft <= LINE_EXPIRING_DAYS) return { standing: 'expiring', daysLeft };
  return { standing: 'active', daysLeft };
}

/** Line rows sorted by VA path, entitlement, end (soonest first, no end last), then line id. */
export function lineViews(state: LicenseState, q: LineQuery): LineView[] {
  const now = q.now.getTime();
  const lines = new Map(state.lines.map((l) => [l.lineId, l]));
  const moves = new Map<string, LineMove[]>();
  for (const t of state.transfers) {
    for (const m of t.moved) {
      const push = (vaId: string, move: LineMove) => {
        const k = `${m.lineId}\u0000${vaId}`;
        const list = moves.get(k);
        if (list) list.push(move);
        else moves.set(k, [move]);
      };
      const base = { quantity: m.quantity, at: t.at, by: t.by, transferId: t.transferId };
      push(t.from, { direction: 'out', virtualAccount: q.vaRef(t.to), ...base });
      push(t.to, { direction: 'in', virtualAccount: q.vaRef(t.from), ...base });
    }
  }
  const out: LineView[] = [];
  for (const hd of state.holdings) {
    if (q.vaIds !== null && !q.vaIds.has(hd.vaId)) continue;
    const line = lines.get(hd.lineId);
    if (!line) continue;
    if (q.entitlement !== undefined && line.entitlement !== q.entitlement) continue;
    const { standing, daysLeft } = standingOf(line.startsAt, line.endsAt, now);
    out.push({
      lineId: line.lineId,
      virtualAccount: q.vaRef(hd.vaId),
      entitlement: line.entitlement,
      sku: line.sku,
      description: line.description,
      type: line.type,
      quantity: hd.quantity,
      lineQuantity: line.quantity,
      startsAt: line.startsAt,
      endsAt: line.endsAt,
      daysLeft,
      standing,
      landedByDefault: line.landedByDefault && line.landedVaId === hd.vaId,
      moves: moves.get(`${hd.lineId}\u0000${hd.vaId}`) ?? [],
    });
  }
  return out.sort((a, b) => compare(lineKey(a), lineKey(b)));
}

/** The sort and cursor key of a row: unique per (VA, line). */
export function lineKey(v: LineView): string {
  return [v.virtualAccount.path, v.entitlement, v.endsAt ?? '\uffff', v.lineId].join('\u0000');
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
