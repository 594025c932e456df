// The license workspace wired to the store: open it once, pass it to routes, jobs and the
// exchange (see service.ts for the API).
export { openLicensing, countedIn, type Licensing, type ChangeOptions, type SnapshotSummary, type PoolJson, type ReservationJson } from './service.ts';
export type { Outbox, TransferExport, ReservationExport, Queued } from './outbox.ts';
