/**
 * The license-accounting core of Outpost: entitlement lines, where their quantities live,
 * transfers, pools and compliance, license alerts, and Specific License Reservation. No I/O and
 * no clock: every instant is a parameter (`Date` or epoch milliseconds).
 *
 * ## State
 * `LicenseState` is plain JSON, persisted by the caller (one record per line, holding, transfer
 * and reservation fits). It holds the cloud's `lines` (plus where each first landed), the
 * `holdings` — (lineId, vaId, quantity) — saying where each line's quantity lives now (their
 * sum per line is the line's quantity), the `transfers` (with the line quantities each moved,
 * so cloud reductions can follow them) and the `reservations` (returned ones stay, for the
 * export and to refuse replayed codes). VAs are named by id throughout; the caller maps ids to
 * paths and paths to ids.
 *
 * ## Changing it
 * `applySnapshot`, `transfer`, `reserve`, `returnReservation` and `returnWithCode` never mutate
 * their input. They answer `{state, changes, events}`: the next state, the holdings whose view
 * changed (feed them to `PoolIndex.applyChanges`) and events for the log (the caller adds id,
 * time and actor). A refusal throws a `LicenseError` (`code` INVALID_REQUEST,
 * INSUFFICIENT_QUANTITY, NOT_FOUND or RESERVATION_EXISTS) and changes nothing. Checks that
 * depend on pools ask the caller through `poolOf(vaId, entitlement)`, typically
 * `(va, e) => index.pool(va, e, now)`. The caller serializes these calls (one writer).
 *
 * ## Reading pools
 * `PoolIndex` keeps per-VA sums and nothing per device: call `replaceUsage` when a device's
 * latest report changes, `countUsage` (1 in the new VA, -1 in the old) when it registers, moves
 * or is deregistered, `applyChanges` after a license change and `setReserved(reservedTotals(state))`
 * (or `setLicenses(state)` for both) after a reservation. `usageCounts` and `clearUsage` save and
 * rebuild the sums.
 * `pools`, `pool` and `accountPools` then cost the number of pools and holdings, not devices;
 * `sumPools` sums a chosen set of VA pools, `poolFromState` answers a pool of a state not yet
 * committed (for checks inside the writer). `computeAlerts` turns pools, `holdingViews(state)` and `landingNotes(state)` into
 * alerts.
 *
 * @example
 * let state = emptyState();
 * const snap = applySnapshot(state, lines, (path) => vaIdByPath.get(path), defaultVaId, now);
 * state = snap.state;
 * const index = PoolIndex.fromState(state);
 * index.countUsage('va_eng', { 'network-advantage': 3 }, 1); // dev_1 reported 3
 * const t = transfer(state, { entitlement: 'network-advantage', quantity: 2, fromVaId: defaultVaId,
 *   toVaId: 'va_eng', transferId: 'tr_1', at: now, by: 'admin' }, (va, e) => index.pool(va, e, now));
 * state = t.state;
 * index.applyChanges(t.changes);
 * const alerts = computeAlerts({ pools: index.pools(now), holdings: holdingViews(state),
 *   notes: landingNotes(state), now });
 */

export { LicenseError, type LicenseErrorCode } from './errors.ts';
export type { Instant } from './time.ts';
export type {
  DeviceJwk,
  Holding,
  HoldingView,
  LicenseCount,
  LicenseEvent,
  LicenseResult,
  LicenseState,
  Line,
  LineRecord,
  LineType,
  PoolFlag,
  PoolOf,
  PoolView,
  Reservation,
  TransferRecord,
  Udi,
  UnknownVaNote,
} from './types.ts';

export { emptyState, vaHasLicenses, forgetVirtualAccount } from './state.ts';
export { holdingViews } from './holdings.ts';
export { applySnapshot, validateSnapshot, landingNotes, type SnapshotResult } from './lines.ts';
export { transfer, type TransferRequest } from './transfers.ts';
export { PoolIndex, EXPIRING_DAYS, poolFromState, sumPools } from './pool-index.ts';
export { computeAlerts, EXPIRING_WARNING_DAYS, type AlertInput, type LicenseAlert, type LicenseAlertType, type Severity } from '../../alerts/license-alerts.ts';
export { reserve, returnReservation, returnWithCode, reservedTotals, type ReserveRequest } from './reservations.ts';
export {
  parseRequestCode,
  encodeRequestCode,
  signAuthorizationCode,
  peekReturnCode,
  verifyReturnCode,
  AUTHORIZATION_TYP,
  RETURN_TYP,
  type RequestCode,
  type ReturnCode,
} from './slr-codes.ts';
