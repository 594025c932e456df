// Pools and compliance (SPEC §6), kept incrementally: each device's usage is added to and taken
// from per-VA sums as it changes, so reading every pool costs the number of pools and holdings,
// never the number of devices.

import { holdingViews, isActive } from './holdings.ts';
import { reservedTotals } from './reservations.ts';
import { DAY_MS, parseIso, toMs, type Instant } from './time.ts';
import type { HoldingView, LicenseState, PoolFlag, PoolView } from './types.ts';

/** A holding ending within this many days flags its pool `expiring`. */
export const EXPIRING_DAYS = 90;

interface HoldingEntry {
  lineId: string;
  vaId: string;
  entitlement: string;
  quantity: number;
  startsMs: number;
  endsMs: number | null;
}

interface Cell {
  inUse: number;
  reserved: number;
  holdings: Map<string, HoldingEntry>;
}

function checkUsage(usage: Readonly<Record<string, number>>): void {
  for (const entitlement in usage) {
    const count = usage[entitlement];
    if (!Number.isSafeInteger(count) || count! < 0) throw new TypeError(`usage of ${entitlement} must be a non-negative integer`);
  }
}

/** What a pool's flags and purchased come from, summed over some holdings. */
interface Supply {
  purchased: number;
  active: boolean;
  expiring: boolean;
}

const holdingKey = (lineId: string, vaId: string): string => `${lineId}\u0000${vaId}`;
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function supplyOf(holdings: Iterable<HoldingEntry>, nowMs: number, into: Supply): Supply {
  const horizon = nowMs + EXPIRING_DAYS * DAY_MS;
  for (const h of holdings) {
    if (isActive(h.startsMs, h.endsMs, nowMs)) {
      into.purchased += h.quantity;
      into.active = true;
    }
    if (h.endsMs !== null && h.endsMs > nowMs && h.endsMs <= horizon) into.expiring = true;
  }
  return into;
}

function toPool(vaId: string | null, entitlement: string, supply: Supply, reserved: number, inUse: number): PoolView {
  const available = supply.purchased - reserved - inUse;
  const flags: PoolFlag[] = [];
  if (supply.expiring) flags.push('expiring');
  if (inUse > 0 && !supply.active) flags.push('expired');
  return {
    vaId,
    entitlement,
    purchased: supply.purchased,
    reserved,
    inUse,
    available,
    status: available >= 0 ? 'ok' : 'insufficient',
    flags,
  };
}

/**
 * The pools of one satellite, kept up to date by the caller: device usage as reports arrive,
 * devices move or leave; holdings and reservations whenever the license state changes. It holds
 * nothing per device: the caller says what each change adds to or takes from a VA's sums.
 */
export class PoolIndex {
  readonly #cells = new Map<string, Map<string, Cell>>();
  readonly #holdings = new Map<string, HoldingEntry>();

  /** A new index holding the state's holdings and reservations (devices are added apart). */
  static fromState(state: LicenseState): PoolIndex {
    const index = new PoolIndex();
    index.setLicenses(state);
    return index;
  }

  #cell(vaId: string, entitlement: string): Cell {
    let byEnt = this.#cells.get(vaId);
    if (byEnt === undefined) this.#cells.set(vaId, (byEnt = new Map()));
    let cell = byEnt.get(entitlement);
    if (cell === undefined) byEnt.set(entitlement, (cell = { inUse: 0, reserved: 0, holdings: new Map() }));
    return cell;
  }

  #tidy(vaId: string, entitlement: string): void {
    const byEnt = this.#cells.get(vaId);
    const cell = byEnt?.get(entitlement);
    if (cell === undefined || cell.inUse !== 0 || cell.reserved !== 0 || cell.holdings.size !== 0) return;
    byEnt!.delete(entitlement);
    if (byEnt!.size === 0) this.#cells.delete(vaId);
  }

  /** Adds `delta` to one pool's usage. */
  #addInUse(vaId: string, entitlement: string, delta: number): void {
    const byEnt = this.#cells.get(vaId);
    const cell = byEnt?.get(entitlement);
    if (cell === undefined) {
      this.#cell(vaId, entitlement).inUse += delta;
      return;
    }
    cell.inUse += delta;
    if (delta < 0 && cell.inUse === 0 && cell.reserved === 0 && cell.holdings.size === 0) {
      byEnt!.delete(entitlement);
      if (byEnt!.size === 0) this.#cells.delete(vaId);
    }
  }

  #countIn(vaId: string, usage: Readonly<Record<string, number>>, sign: 1 | -1): void {
    for (const entitlement in usage) {
      const count = usage[entitlement]!;
      if (count !== 0) this.#addInUse(vaId, entitlement, sign * count);
    }
  }

  /**
   * Counts one device's usage in a VA's pools (`sign` 1) or stops counting it (-1): when it
   * registers, moves or leaves, or when the counts are rebuilt from the devices' records.
   */
  countUsage(vaId: string, usage: Readonly<Record<string, number>>, sign: 1 | -1): void {
    checkUsage(usage);
    this.#countIn(vaId, usage, sign);
  }

  /** A device counted in `vaId` replaces its usage `before` by `after`: only what changed touches the pools. */
  replaceUsage(vaId: string, before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): void {
    checkUsage(after);
    for (const e in after) {
      const delta = after[e]! - (Object.hasOwn(before, e) ? before[e]! : 0);
      if (delta !== 0) this.#addInUse(vaId, e, delta);
    }
    for (const e in before) if (!Object.hasOwn(after, e) && before[e]! !== 0) this.#addInUse(vaId, e, -before[e]!);
  }

  /** Every pool's usage, for saving: [vaId, entitlement, inUse] where inUse is not 0. */
  usageCounts(): Array<[string, string, number]> {
    const out: Array<[string, string, number]> = [];
    for (const [vaId, byEnt] of this.#cells) for (const [entitlement, cell] of byEnt) if (cell.inUse !== 0) out.push([vaId, entitlement, cell.inUse]);
    return out;
  }

  /** Forgets all usage (holdings and reservations stay): before the counts are rebuilt or restored. */
  clearUsage(): void {
    for (const [vaId, byEnt] of [...this.#cells]) {
      for (const [entitlement, cell] of [...byEnt]) {
        cell.inUse = 0;
        this.#tidy(vaId, entitlement);
      }
    }
  }

  #removeHolding(key: string): void {
    const old = this.#holdings.get(key);
    if (old === undefined) return;
    this.#holdings.delete(key);
    this.#cells.get(old.vaId)?.get(old.entitlement)?.holdings.delete(old.lineId);
    this.#tidy(old.vaId, old.entitlement);
  }

  /** Applies holding changes as the license functions return them (quantity 0: gone). */
  applyChanges(changes: readonly HoldingView[]): void {
    for (const v of changes) {
      const key = holdingKey(v.lineId, v.vaId);
      this.#removeHolding(key);
      if (v.quantity === 0) continue;
      const startsMs = parseIso(v.startsAt);
      const endsMs = v.endsAt === null ? null : parseIso(v.endsAt);
      if (startsMs === undefined || endsMs === undefined) throw new TypeError(`holding ${v.lineId} in ${v.vaId} has bad dates`);
      const entry: HoldingEntry = { lineId: v.lineId, vaId: v.vaId, entitlement: v.entitlement, quantity: v.quantity, startsMs, endsMs };
      this.#holdings.set(key, entry);
      this.#cell(v.vaId, v.entitlement).holdings.set(v.lineId, entry);
    }
  }

  /** Replaces all holdings. */
  setHoldings(holdings: readonly HoldingView[]): void {
    for (const key of [...this.#holdings.keys()]) this.#removeHolding(key);
    this.applyChanges(holdings);
  }

  /** Replaces all reserved quantities (see `reservedTotals`). */
  setReserved(totals: ReadonlyArray<{ vaId: string; entitlement: string; quantity: number }>): void {
    for (const [vaId, byEnt] of [...this.#cells]) {
      for (const [entitlement, cell] of [...byEnt]) {
        cell.reserved = 0;
        this.#tidy(vaId, entitlement);
      }
    }
    for (const t of totals) if (t.quantity !== 0) this.#cell(t.vaId, t.entitlement).reserved += t.quantity;
  }

  /** Replaces holdings and reserved quantities from a license state (cheap: no devices involved). */
  setLicenses(state: LicenseState): void {
    this.setHoldings(holdingViews(state));
    this.setReserved(reservedTotals(state));
  }

  /** The usage counted in one pool (devices alone; no holdings or reservations). */
  inUse(vaId: string, entitlement: string): number {
    return this.#cells.get(vaId)?.get(entitlement)?.inUse ?? 0;
  }

  /** One pool; an entitlement a VA has nothing of answers zeros. */
  pool(vaId: string, entitlement: string, now: Instant): PoolView {
    const cell = this.#cells.get(vaId)?.get(entitlement);
    const supply = supplyOf(cell?.holdings.values() ?? [], toMs(now), { purchased: 0, active: false, expiring: false });
    return toPool(vaId, entitlement, supply, cell?.reserved ?? 0, cell?.inUse ?? 0);
  }

  /**
   * The pools of the given VAs (all VAs by default), by VA then entitlement: every VA and
   * entitlement with a holding, a reservation or usage.
   */
  pools(now: Instant, vaIds?: readonly string[]): PoolView[] {
    const nowMs = toMs(now);
    const out: PoolView[] = [];
    for (const vaId of vaIds ?? [...this.#cells.keys()].sort(byText)) {
      const byEnt = this.#cells.get(vaId);
      if (byEnt === undefined) continue;
      for (const entitlement of [...byEnt.keys()].sort(byText)) {
        const cell = byEnt.get(entitlement)!;
        const supply = supplyOf(cell.holdings.values(), nowMs, { purchased: 0, active: false, expiring: false });
        out.push(toPool(vaId, entitlement, supply, cell.reserved, cell.inUse));
      }
    }
    return out;
  }

  /**
   * The account-wide view: one pool per entitlement, summing every VA (`vaId` null). Its status
   * comes from the summed `available`; `expiring` when any holding is, `expired` when the
   * account uses it and holds it actively nowhere.
   */
  accountPools(now: Instant): PoolView[] {
    const nowMs = toMs(now);
    const sums = new Map<string, { supply: Supply; reserved: number; inUse: number }>();
    for (const byEnt of this.#cells.values()) {
      for (const [entitlement, cell] of byEnt) {
        let sum = sums.get(entitlement);
        if (sum === undefined) sums.set(entitlement, (sum = { supply: { purchased: 0, active: false, expiring: false }, reserved: 0, inUse: 0 }));
        supplyOf(cell.holdings.values(), nowMs, sum.supply);
        sum.reserved += cell.reserved;
        sum.inUse += cell.inUse;
      }
    }
    return [...sums.keys()].sort(byText).map((e) => {
      const s = sums.get(e)!;
      return toPool(null, e, s.supply, s.reserved, s.inUse);
    });
  }
}

/**
 * One pool computed from a license state rather than from the index's holdings: for checks
 * against a state not yet committed (the writer's pending one), with `inUse` from the devices.
 */
export function poolFromState(state: LicenseState, vaId: string, entitlement: string, inUse: number, now: Instant): PoolView {
  const lines = new Map(state.lines.map((l) => [l.lineId, l]));
  const entries: HoldingEntry[] = [];
  for (const h of state.holdings) {
    if (h.vaId !== vaId) continue;
    const line = lines.get(h.lineId)!;
    if (line.entitlement !== entitlement) continue;
    entries.push({ lineId: h.lineId, vaId, entitlement, quantity: h.quantity, startsMs: parseIso(line.startsAt)!, endsMs: line.endsAt === null ? null : parseIso(line.endsAt)! });
  }
  let reserved = 0;
  for (const r of state.reservations) {
    if (r.state !== 'reserved' || r.vaId !== vaId) continue;
    for (const l of r.licenses) if (l.entitlement === entitlement) reserved += l.count;
  }
  const supply = supplyOf(entries, toMs(now), { purchased: 0, active: false, expiring: false });
  return toPool(vaId, entitlement, supply, reserved, inUse);
}

/**
 * Sums VA pools into one pool per entitlement (`vaId` null), as `accountPools` does for all:
 * `expiring` when any summed pool is, `expired` when the sum is in use and nothing in it is
 * active (holdings are never 0, so active means purchased > 0).
 */
export function sumPools(pools: readonly PoolView[]): PoolView[] {
  const sums = new Map<string, { supply: Supply; reserved: number; inUse: number }>();
  for (const p of pools) {
    let sum = sums.get(p.entitlement);
    if (sum === undefined) sums.set(p.entitlement, (sum = { supply: { purchased: 0, active: false, expiring: false }, reserved: 0, inUse: 0 }));
    sum.supply.purchased += p.purchased;
    if (p.purchased > 0) sum.supply.active = true;
    if (p.flags.includes('expiring')) sum.supply.expiring = true;
    sum.reserved += p.reserved;
    sum.inUse += p.inUse;
  }
  return [...sums.keys()].sort(byText).map((e) => {
    const s = sums.get(e)!;
    return toPool(null, e, s.supply, s.reserved, s.inUse);
  });
}
