// Specific License Reservation (SPEC §8), the state part: reserving entitlements from a VA's
// pool for one device, and returning them. The codes themselves are in slr-codes.ts.

import { LicenseError } from './errors.ts';
import { checkDeviceJwk, checkUdi, peekReturnCode, verifyReturnCode } from './slr-codes.ts';
import { toIso, toMs, type Instant } from './time.ts';
import type { DeviceJwk, LicenseCount, LicenseResult, LicenseState, PoolOf, Reservation, Udi } from './types.ts';

export interface ReserveRequest {
  /** Chosen by the caller, unique among reservations. */
  reservationId: string;
  /** From the parsed request code. */
  udi: Udi;
  nonce: string;
  jwk: DeviceJwk;
  vaId: string;
  licenses: LicenseCount[];
  at: Instant;
}

const MAX_LICENSES = 100;
const invalid = (message: string): LicenseError => new LicenseError('INVALID_REQUEST', message);
const sameUdi = (a: Udi, b: Udi): boolean => a.pid === b.pid && a.sn === b.sn;

/**
 * Reserves licenses from a VA's pool for a device. INVALID_REQUEST for a malformed request or
 * a request code already used (its nonce); RESERVATION_EXISTS while that UDI holds a
 * reservation; INSUFFICIENT_QUANTITY for a count beyond the pool's `available`.
 */
export function reserve(state: LicenseState, req: ReserveRequest, poolOf: PoolOf): LicenseResult {
  const { reservationId, vaId, nonce } = req;
  if (typeof reservationId !== 'string' || reservationId === '') throw invalid('reservationId must be a non-empty string.');
  if (state.reservations.some((r) => r.reservationId === reservationId)) throw invalid(`A reservation with id ${reservationId} already exists.`);
  const udi = checkUdi(req.udi, 'The reservation');
  if (typeof nonce !== 'string' || nonce === '') throw invalid('nonce must be a non-empty string.');
  const jwk = checkDeviceJwk(req.jwk, 'The reservation');
  if (typeof vaId !== 'string' || vaId === '') throw invalid('vaId must name a virtual account.');
  const licenses = checkLicenses(req.licenses);
  const atMs = toMs(req.at);

  if (state.reservations.some((r) => r.state === 'reserved' && sameUdi(r.udi, udi))) {
    throw new LicenseError('RESERVATION_EXISTS', `The device ${udi.pid} ${udi.sn} already holds a reservation; return it first.`);
  }
  if (state.reservations.some((r) => sameUdi(r.udi, udi) && r.nonce === nonce)) {
    throw invalid('This request code was already used; ask the device for a new one.');
  }
  for (const { entitlement, count } of licenses) {
    const available = poolOf(vaId, entitlement).available;
    if (count > available) {
      throw new LicenseError(
        'INSUFFICIENT_QUANTITY',
        `Only ${Math.max(available, 0)} ${entitlement} ${available === 1 ? 'license is' : 'licenses are'} available in the virtual account; ${count} were asked.`,
      );
    }
  }

  const reservation: Reservation = { reservationId, udi, vaId, licenses, nonce, jwk, state: 'reserved', at: toIso(atMs), returnedAt: null };
  return {
    state: { ...state, reservations: [...state.reservations, reservation] },
    changes: [],
    events: [{ type: 'license.reserved', vaId, details: { reservationId, udi, licenses } }],
  };
}

function checkLicenses(v: unknown): LicenseCount[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid('licenses must be a non-empty array of {entitlement, count}.');
  if (v.length > MAX_LICENSES) throw invalid(`licenses may hold at most ${MAX_LICENSES} entries.`);
  const seen = new Set<string>();
  return v.map((l: unknown, i): LicenseCount => {
    const e = (l as { entitlement?: unknown } | null)?.entitlement;
    const c = (l as { count?: unknown } | null)?.count;
    if (typeof e !== 'string' || e === '') throw invalid(`licenses[${i}].entitlement must be a non-empty string.`);
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 1) throw invalid(`licenses[${i}].count must be a positive whole number.`);
    if (seen.has(e)) throw invalid(`licenses names ${e} more than once.`);
    seen.add(e);
    return { entitlement: e, count: c };
  });
}

/**
 * Marks a reservation returned; its quantities go back to the pool. NOT_FOUND for an unknown
 * id; INVALID_REQUEST for one already returned (a replayed return code).
 */
export function returnReservation(state: LicenseState, reservationId: string, at: Instant): LicenseResult {
  const index = state.reservations.findIndex((r) => r.reservationId === reservationId);
  const found = state.reservations[index];
  if (found === undefined) throw new LicenseError('NOT_FOUND', `No reservation ${reservationId}.`);
  if (found.state === 'returned') throw invalid(`The reservation ${reservationId} was already returned.`);
  const returned: Reservation = { ...found, state: 'returned', returnedAt: toIso(at) };
  const reservations = state.reservations.slice();
  reservations[index] = returned;
  return {
    state: { ...state, reservations },
    changes: [],
    events: [{ type: 'license.reservation_returned', vaId: found.vaId, details: { reservationId, udi: found.udi, licenses: found.licenses } }],
  };
}

/**
 * Applies a device's return code: finds the reservation it names, verifies the code against
 * the key of that reservation's request code, checks the UDI, and returns the reservation.
 * INVALID_REQUEST when it does not verify or does not match; NOT_FOUND for an unknown reservation.
 */
export async function returnWithCode(state: LicenseState, code: unknown, at: Instant): Promise<LicenseResult> {
  const claimed = peekReturnCode(code);
  const found = state.reservations.find((r) => r.reservationId === claimed.reservationId);
  if (found === undefined) throw new LicenseError('NOT_FOUND', `No reservation ${claimed.reservationId}.`);
  const verified = await verifyReturnCode(code, found.jwk);
  if (!sameUdi(verified.udi, found.udi)) throw invalid('The return code names another device than the reservation.');
  return returnReservation(state, found.reservationId, at);
}

/** Reserved quantities per VA and entitlement, from the reservations still held. */
export function reservedTotals(state: LicenseState): Array<{ vaId: string; entitlement: string; quantity: number }> {
  const totals = new Map<string, { vaId: string; entitlement: string; quantity: number }>();
  for (const r of state.reservations) {
    if (r.state !== 'reserved') continue;
    for (const l of r.licenses) {
      const k = `${r.vaId}\u0000${l.entitlement}`;
      const t = totals.get(k);
      if (t === undefined) totals.set(k, { vaId: r.vaId, entitlement: l.entitlement, quantity: l.count });
      else t.quantity += l.count;
    }
  }
  return [...totals.values()];
}
