// Entitlement lines from the cloud (SPEC §5): validating a snapshot, landing new lines, applying
// quantity changes where the line landed (following its transfers for larger reductions), and
// dropping lines the snapshot no longer holds.

import { LicenseError } from './errors.ts';
import { HoldingTable, diffHoldings, holdingViews } from './holdings.ts';
import { parseIso, toIso, type Instant } from './time.ts';
import type {
  LicenseEvent,
  LicenseResult,
  LicenseState,
  Line,
  LineRecord,
  LineType,
  TransferRecord,
  UnknownVaNote,
} from './types.ts';

const LINE_TYPES: readonly LineType[] = ['perpetual', 'term', 'subscription'];

const shown = (v: unknown): string => {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a whole snapshot and answers its lines with only the known fields. Throws
 * INVALID_REQUEST naming the first bad line and field: duplicate lineIds, negative or
 * fractional quantities, dates that are not ISO 8601 date-times, `endsAt <= startsAt`, a
 * perpetual line with an end or a term/subscription line without one.
 */
export function validateSnapshot(lines: unknown): Line[] {
  if (!Array.isArray(lines)) throw new LicenseError('INVALID_REQUEST', 'The snapshot must be an array of lines.');
  const seen = new Set<string>();
  return lines.map((raw: unknown, index): Line => {
    const bad = (name: string, what: string): never => {
      throw new LicenseError('INVALID_REQUEST', `Line ${name}: ${what}.`);
    };
    if (!isObject(raw)) return bad(`#${index + 1}`, 'is not an object');
    const { lineId } = raw;
    if (typeof lineId !== 'string' || lineId === '') return bad(`#${index + 1}`, 'lineId must be a non-empty string');
    const name = JSON.stringify(lineId);
    if (seen.has(lineId)) bad(name, 'appears more than once in the snapshot');
    seen.add(lineId);

    const { sku, entitlement, description, quantity, type, startsAt, endsAt, virtualAccount } = raw;
    if (typeof sku !== 'string') bad(name, `sku must be a string (got ${shown(sku)})`);
    if (typeof entitlement !== 'string' || entitlement === '') bad(name, `entitlement must be a non-empty string (got ${shown(entitlement)})`);
    if (typeof description !== 'string') bad(name, `description must be a string (got ${shown(description)})`);
    if (typeof quantity !== 'number' || !Number.isFinite(quantity)) bad(name, `quantity must be a number (got ${shown(quantity)})`);
    const q = quantity as number;
    if (q < 0) bad(name, `quantity must not be negative (got ${q})`);
    if (!Number.isSafeInteger(q)) bad(name, `quantity must be a whole number (got ${q})`);
    if (!LINE_TYPES.includes(type as LineType)) bad(name, `type must be perpetual, term or subscription (got ${shown(type)})`);
    const starts = parseIso(startsAt);
    if (starts === undefined) bad(name, `startsAt must be an ISO 8601 date-time with a zone (got ${shown(startsAt)})`);
    if (endsAt !== null) {
      const ends = parseIso(endsAt);
      if (ends === undefined) bad(name, `endsAt must be null or an ISO 8601 date-time with a zone (got ${shown(endsAt)})`);
      if (ends! <= starts!) bad(name, 'endsAt must be after startsAt');
      if (type === 'perpetual') bad(name, 'a perpetual line must have endsAt null');
    } else if (type !== 'perpetual') {
      bad(name, `a ${type as string} line must have an endsAt`);
    }
    if (virtualAccount !== null && (typeof virtualAccount !== 'string' || virtualAccount === '')) {
      bad(name, `virtualAccount must be null or a VA path (got ${shown(virtualAccount)})`);
    }
    return {
      lineId,
      sku: sku as string,
      entitlement: entitlement as string,
      description: description as string,
      quantity: q,
      type: type as LineType,
      startsAt: startsAt as string,
      endsAt: endsAt as string | null,
      virtualAccount: virtualAccount as string | null,
    };
  });
}

const CLOUD_FIELDS = ['sku', 'entitlement', 'description', 'quantity', 'type', 'startsAt', 'endsAt', 'virtualAccount'] as const;

export interface SnapshotResult extends LicenseResult {
  /** Lines that landed in Default now because their VA was null or unknown (raise an alert). */
  notes: UnknownVaNote[];
}

/**
 * Replaces the lines with a cloud snapshot (SPEC §5). Validates everything first; on a refusal
 * nothing changes. A new line lands in the VA `resolveVa` finds for its path, else in Default
 * with a note. A known line keeps where it landed: an increase goes there, a reduction takes
 * from there and then, for what is left, from the VAs its holdings were transferred to, most
 * recent transfer first. A line absent from the snapshot is gone with all its holdings.
 */
export function applySnapshot(
  state: LicenseState,
  lines: unknown,
  resolveVa: (path: string) => string | undefined,
  defaultVaId: string,
  now: Instant,
): SnapshotResult {
  const snapshot = validateSnapshot(lines);
  const at = toIso(now);
  const old = new Map(state.lines.map((l) => [l.lineId, l]));
  const table = new HoldingTable(state.holdings);
  const events: LicenseEvent[] = [];
  const notes: UnknownVaNote[] = [];
  const next: LineRecord[] = [];

  for (const line of snapshot) {
    const prev = old.get(line.lineId);
    old.delete(line.lineId);
    if (prev === undefined) {
      const resolved = line.virtualAccount === null ? undefined : resolveVa(line.virtualAccount);
      const vaId = resolved ?? defaultVaId;
      const record: LineRecord = { ...line, landedVaId: vaId, landedAt: at, landedByDefault: resolved === undefined };
      next.push(record);
      table.add(line.lineId, vaId, line.quantity);
      events.push({
        type: 'license.line_added',
        vaId,
        details: { lineId: line.lineId, entitlement: line.entitlement, quantity: line.quantity },
      });
      if (record.landedByDefault) {
        notes.push({ type: 'unknown-virtual-account', lineId: line.lineId, entitlement: line.entitlement, path: line.virtualAccount, vaId, since: at });
      }
      continue;
    }
    const record: LineRecord = { ...line, landedVaId: prev.landedVaId, landedAt: prev.landedAt, landedByDefault: prev.landedByDefault };
    next.push(record);
    const changed = CLOUD_FIELDS.filter((f) => prev[f] !== line[f]);
    if (changed.length === 0) continue;
    const details: Record<string, unknown> = { lineId: line.lineId, entitlement: line.entitlement, changed };
    const delta = line.quantity - prev.quantity;
    if (delta > 0) table.add(line.lineId, prev.landedVaId, delta);
    if (delta < 0) details.takenFrom = reduce(table, prev, -delta, state.transfers);
    if (delta !== 0) Object.assign(details, { previousQuantity: prev.quantity, quantity: line.quantity });
    events.push({ type: 'license.line_changed', vaId: prev.landedVaId, details });
  }

  const removed = new Set(old.keys());
  for (const prev of old.values()) {
    const held = [...table.of(prev.lineId)].map(([vaId, quantity]) => ({ vaId, quantity }));
    table.dropLine(prev.lineId);
    events.push({
      type: 'license.line_removed',
      vaId: prev.landedVaId,
      details: { lineId: prev.lineId, entitlement: prev.entitlement, quantity: prev.quantity, heldIn: held },
    });
  }

  next.sort((a, b) => (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0));
  const nextState: LicenseState = {
    lines: next,
    holdings: table.toArray(),
    transfers: removed.size === 0 ? state.transfers : forgetLines(state.transfers, removed),
    reservations: state.reservations,
  };
  return { state: nextState, changes: diffHoldings(holdingViews(state), holdingViews(nextState)), events, notes };
}

/**
 * Takes `amount` of a line: first from where it landed, then from the VAs its holdings were
 * transferred to, most recent transfer first (at most what each transfer moved), and, should
 * anything be left (not possible while every move is recorded), from any VA still holding it.
 */
function reduce(table: HoldingTable, line: LineRecord, amount: number, transfers: readonly TransferRecord[]): Array<{ vaId: string; quantity: number }> {
  const taken = new Map<string, number>();
  let left = amount;
  const takeFrom = (vaId: string, most: number): void => {
    const got = table.take(line.lineId, vaId, Math.min(left, most));
    if (got > 0) taken.set(vaId, (taken.get(vaId) ?? 0) + got);
    left -= got;
  };
  takeFrom(line.landedVaId, left);
  for (let i = transfers.length - 1; i >= 0 && left > 0; i--) {
    const t = transfers[i]!;
    for (const m of t.moved) if (m.lineId === line.lineId && left > 0) takeFrom(t.to, m.quantity);
  }
  for (const vaId of [...table.of(line.lineId).keys()].sort()) if (left > 0) takeFrom(vaId, left);
  return [...taken].map(([vaId, quantity]) => ({ vaId, quantity }));
}

/** Transfers keep their record; only the bookkeeping of moved quantities forgets gone lines. */
function forgetLines(transfers: TransferRecord[], gone: ReadonlySet<string>): TransferRecord[] {
  return transfers.map((t) =>
    t.moved.some((m) => gone.has(m.lineId)) ? { ...t, moved: t.moved.filter((m) => !gone.has(m.lineId)) } : t,
  );
}

/**
 * The standing unknown-virtual-account notes: lines that landed in Default because their VA
 * was null or unknown and still hold quantity there. Transferring it away settles the note.
 */
export function landingNotes(state: LicenseState): UnknownVaNote[] {
  const table = new HoldingTable(state.holdings);
  return state.lines
    .filter((l) => l.landedByDefault && table.get(l.lineId, l.landedVaId) > 0)
    .map((l) => ({ type: 'unknown-virtual-account', lineId: l.lineId, entitlement: l.entitlement, path: l.virtualAccount, vaId: l.landedVaId, since: l.landedAt }));
}
