// Transfers between VAs (SPEC §4 /api/licenses/transfer, §5 rules): moving the quantity of one
// entitlement, the holdings that end soonest first, and recording which lines moved.

import { LicenseError } from './errors.ts';
import { HoldingTable, diffHoldings, holdingViews, isActive } from './holdings.ts';
import { parseIso, toIso, toMs, type Instant } from './time.ts';
import type { LicenseResult, LicenseState, PoolOf, TransferRecord } from './types.ts';

export interface TransferRequest {
  entitlement: string;
  quantity: number;
  fromVaId: string;
  toVaId: string;
  /** Chosen by the caller, unique among transfers. */
  transferId: string;
  at: Instant;
  /** The username (or actor) recorded as `by`. */
  by: string;
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Moves `quantity` of an entitlement from one VA to another. Only active holdings move (started,
 * not ended at `at`), those that end soonest first, perpetual ones last. Refuses with
 * INSUFFICIENT_QUANTITY an entitlement the source holds no active quantity of, or more than the
 * source pool's `available` (asked of `poolOf`); INVALID_REQUEST a malformed request.
 */
export function transfer(state: LicenseState, req: TransferRequest, poolOf: PoolOf): LicenseResult {
  const { entitlement, quantity, fromVaId, toVaId, transferId, by } = req;
  if (!nonEmpty(entitlement)) throw new LicenseError('INVALID_REQUEST', 'entitlement must be a non-empty string.');
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1) {
    throw new LicenseError('INVALID_REQUEST', 'quantity must be a positive whole number.');
  }
  if (!nonEmpty(fromVaId) || !nonEmpty(toVaId)) throw new LicenseError('INVALID_REQUEST', 'from and to must name virtual accounts.');
  if (fromVaId === toVaId) throw new LicenseError('INVALID_REQUEST', 'from and to must be different virtual accounts.');
  if (!nonEmpty(transferId)) throw new LicenseError('INVALID_REQUEST', 'transferId must be a non-empty string.');
  if (state.transfers.some((t) => t.transferId === transferId)) {
    throw new LicenseError('INVALID_REQUEST', `A transfer with id ${transferId} already exists.`);
  }
  if (!nonEmpty(by)) throw new LicenseError('INVALID_REQUEST', 'by must name who transfers.');
  const nowMs = toMs(req.at);

  const lines = new Map(state.lines.map((l) => [l.lineId, l]));
  const candidates = state.holdings
    .filter((h) => h.vaId === fromVaId && lines.get(h.lineId)!.entitlement === entitlement)
    .map((h) => {
      const line = lines.get(h.lineId)!;
      return { h, starts: parseIso(line.startsAt)!, ends: line.endsAt === null ? null : parseIso(line.endsAt)! };
    })
    .filter((c) => isActive(c.starts, c.ends, nowMs));
  const active = candidates.reduce((sum, c) => sum + c.h.quantity, 0);
  if (active === 0) {
    throw new LicenseError('INSUFFICIENT_QUANTITY', `The source virtual account holds no active ${entitlement} licenses.`);
  }
  const available = Math.min(poolOf(fromVaId, entitlement).available, active);
  if (quantity > available) {
    throw new LicenseError(
      'INSUFFICIENT_QUANTITY',
      `Only ${Math.max(available, 0)} ${entitlement} ${available === 1 ? 'license is' : 'licenses are'} available in the source virtual account; ${quantity} were asked.`,
    );
  }

  candidates.sort(
    (a, b) =>
      (a.ends ?? Infinity) - (b.ends ?? Infinity) ||
      a.starts - b.starts ||
      (a.h.lineId < b.h.lineId ? -1 : a.h.lineId > b.h.lineId ? 1 : 0),
  );
  const table = new HoldingTable(state.holdings);
  const moved: TransferRecord['moved'] = [];
  let left = quantity;
  for (const { h } of candidates) {
    if (left === 0) break;
    const n = table.take(h.lineId, fromVaId, left);
    table.add(h.lineId, toVaId, n);
    moved.push({ lineId: h.lineId, quantity: n });
    left -= n;
  }

  const record: TransferRecord = { transferId, entitlement, quantity, from: fromVaId, to: toVaId, at: toIso(nowMs), by, moved };
  const next: LicenseState = { ...state, holdings: table.toArray(), transfers: [...state.transfers, record] };
  return {
    state: next,
    changes: diffHoldings(holdingViews(state), holdingViews(next)),
    events: [{ type: 'license.transferred', vaId: fromVaId, details: { transferId, entitlement, quantity, to: toVaId, moved } }],
  };
}
