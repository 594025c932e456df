// Holdings: where the quantity of each line lives. Helpers shared by snapshots, transfers and
// pools: the active rule of §6, the joined view, and the diff that becomes `changes`.

import type { Holding, HoldingView, LicenseState, LineRecord } from './types.ts';

/** §6: a holding counts once its line has started and until it ends (an end is exclusive). */
export function isActive(startsMs: number, endsMs: number | null, nowMs: number): boolean {
  return startsMs <= nowMs && (endsMs === null || nowMs < endsMs);
}

/** Every holding joined with its line's entitlement and dates, in state order. */
export function holdingViews(state: LicenseState): HoldingView[] {
  const lines = new Map(state.lines.map((l) => [l.lineId, l]));
  return state.holdings.map((h) => view(h, lines.get(h.lineId)!));
}

function view(h: Holding, line: LineRecord): HoldingView {
  return {
    lineId: h.lineId,
    vaId: h.vaId,
    entitlement: line.entitlement,
    quantity: h.quantity,
    startsAt: line.startsAt,
    endsAt: line.endsAt,
  };
}

const key = (lineId: string, vaId: string): string => `${lineId}\u0000${vaId}`;

/** The views that differ between two states: new or changed as they are now, gone with quantity 0. */
export function diffHoldings(before: HoldingView[], after: HoldingView[]): HoldingView[] {
  const old = new Map(before.map((v) => [key(v.lineId, v.vaId), v]));
  const changes: HoldingView[] = [];
  for (const v of after) {
    const k = key(v.lineId, v.vaId);
    const o = old.get(k);
    old.delete(k);
    if (
      o === undefined ||
      o.quantity !== v.quantity ||
      o.entitlement !== v.entitlement ||
      o.startsAt !== v.startsAt ||
      o.endsAt !== v.endsAt
    ) {
      changes.push(v);
    }
  }
  for (const o of old.values()) changes.push({ ...o, quantity: 0 });
  return changes;
}

/** A mutable working copy of holdings, per line then VA, for building the next state. */
export class HoldingTable {
  readonly #byLine = new Map<string, Map<string, number>>();

  constructor(holdings: readonly Holding[]) {
    for (const h of holdings) this.add(h.lineId, h.vaId, h.quantity);
  }

  get(lineId: string, vaId: string): number {
    return this.#byLine.get(lineId)?.get(vaId) ?? 0;
  }

  /** The VAs holding some of a line, with their quantities. */
  of(lineId: string): ReadonlyMap<string, number> {
    return this.#byLine.get(lineId) ?? new Map();
  }

  add(lineId: string, vaId: string, quantity: number): void {
    if (quantity === 0) return;
    let vas = this.#byLine.get(lineId);
    if (vas === undefined) this.#byLine.set(lineId, (vas = new Map()));
    const next = (vas.get(vaId) ?? 0) + quantity;
    if (next < 0) throw new TypeError(`holding of ${lineId} in ${vaId} would go negative`);
    if (next === 0) vas.delete(vaId);
    else vas.set(vaId, next);
    if (vas.size === 0) this.#byLine.delete(lineId);
  }

  /** Takes up to `quantity` of a line from one VA; answers what it took. */
  take(lineId: string, vaId: string, quantity: number): number {
    const taken = Math.min(quantity, this.get(lineId, vaId));
    this.add(lineId, vaId, -taken);
    return taken;
  }

  dropLine(lineId: string): void {
    this.#byLine.delete(lineId);
  }

  /** Sorted by (lineId, vaId), as the state keeps them. */
  toArray(): Holding[] {
    const out: Holding[] = [];
    for (const lineId of [...this.#byLine.keys()].sort()) {
      const vas = this.#byLine.get(lineId)!;
      for (const vaId of [...vas.keys()].sort()) out.push({ lineId, vaId, quantity: vas.get(vaId)! });
    }
    return out;
  }
}
