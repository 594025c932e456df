/**
 * The license-accounting core of Outpost (no I/O, no clock: instants are parameters).
 * This index lists what the folder exports.
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
export { PoolIndex, EXPIRING_DAYS } from './pool-index.ts';
export { computeAlerts, EXPIRING_WARNING_DAYS, type AlertInput, type LicenseAlert, type LicenseAlertType, type Severity } from './alerts.ts';
