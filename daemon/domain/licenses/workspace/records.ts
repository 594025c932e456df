// The license state as store records: one per line, holding, transfer and reservation (keys.ts).
// Loading reads them back; staging writes only what differs between two states, so a transfer
// costs a few puts however many lines and transfers the satellite holds.
import type { Holding, LicenseState, LineRecord, Reservation, TransferRecord } from '../core/index.ts';
import { keys, prefixRange, type Store, type Tx } from '../../../store/index.ts';
import type { Sequences } from '../../satellite/sequences.ts';

/** Where transfers and reservations are stored: their keys carry the order they happened in. */
export interface RecordPositions {
  transfers: Map<string, number>;
  reservations: Map<string, number>;
}

export interface LoadedLicenses {
  state: LicenseState;
  rev: number;
  positions: RecordPositions;
}

const seqOf = (key: string, prefix: string): number => Number(key.slice(prefix.length));
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function loadLicenseRecords(store: Store): Promise<LoadedLicenses> {
  const lines: LineRecord[] = [];
  for await (const [, v] of store.iterate<LineRecord>(prefixRange(keys.linePrefix))) lines.push(v);
  const holdings: Holding[] = [];
  for await (const [, v] of store.iterate<Holding>(prefixRange(keys.holdingPrefix))) holdings.push(v);
  const positions: RecordPositions = { transfers: new Map(), reservations: new Map() };
  const transfers: TransferRecord[] = [];
  for await (const [k, v] of store.iterate<TransferRecord>(prefixRange(keys.transferPrefix))) {
    transfers.push(v);
    positions.transfers.set(v.transferId, seqOf(k, keys.transferPrefix));
  }
  const reservations: Reservation[] = [];
  for await (const [k, v] of store.iterate<Reservation>(prefixRange(keys.reservationPrefix))) {
    reservations.push(v);
    positions.reservations.set(v.reservationId, seqOf(k, keys.reservationPrefix));
  }
  // The state's own order (keys sort lineIds the same way; sorting again costs nothing and
  // does not depend on the key encoding).
  lines.sort((a, b) => byText(a.lineId, b.lineId));
  holdings.sort((a, b) => byText(a.lineId, b.lineId) || byText(a.vaId, b.vaId));
  const rev = (await store.get<number>(keys.licenseRev)) ?? 0;
  return { state: { lines, holdings, transfers, reservations }, rev, positions };
}

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * Stages in `tx` the records that turn `before` into `after`. New transfers and reservations
 * take the next number of their sequence, recorded in `positions` (a number staged by a
 * transaction that then fails is never reused: a gap, not a clash).
 */
export function stageLicenseRecords(tx: Tx, seq: Sequences, before: LicenseState, after: LicenseState, positions: RecordPositions): void {
  if (before.lines !== after.lines) {
    const old = new Map(before.lines.map((l) => [l.lineId, l]));
    for (const l of after.lines) {
      const o = old.get(l.lineId);
      old.delete(l.lineId);
      if (!o || !same(o, l)) tx.put(keys.line(l.lineId), l);
    }
    for (const id of old.keys()) tx.del(keys.line(id));
  }
  if (before.holdings !== after.holdings) {
    const hk = (h: Holding) => keys.holding(h.lineId, h.vaId);
    const old = new Map(before.holdings.map((h) => [hk(h), h]));
    for (const h of after.holdings) {
      const k = hk(h);
      const o = old.get(k);
      old.delete(k);
      if (!o || o.quantity !== h.quantity) tx.put(k, h);
    }
    for (const k of old.keys()) tx.del(k);
  }
  if (before.transfers !== after.transfers) {
    stageOrdered(tx, before.transfers, after.transfers, (t) => t.transferId, positions.transfers, () => seq.next(tx, 'transfer'), keys.transfer);
  }
  if (before.reservations !== after.reservations) {
    stageOrdered(tx, before.reservations, after.reservations, (r) => r.reservationId, positions.reservations, () => seq.next(tx, 'reservation'), keys.reservation);
  }
}

function stageOrdered<T>(
  tx: Tx,
  before: readonly T[],
  after: readonly T[],
  idOf: (v: T) => string,
  positions: Map<string, number>,
  nextSeq: () => number,
  keyOf: (seq: number) => string,
): void {
  const old = new Map(before.map((v) => [idOf(v), v]));
  for (const v of after) {
    const id = idOf(v);
    const o = old.get(id);
    old.delete(id);
    if (o !== undefined && same(o, v)) continue;
    let n = o === undefined ? undefined : positions.get(id);
    if (n === undefined) {
      n = nextSeq();
      positions.set(id, n);
    }
    tx.put(keyOf(n), v);
  }
  for (const id of old.keys()) {
    const n = positions.get(id);
    if (n !== undefined) tx.del(keyOf(n));
  }
}
