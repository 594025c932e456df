// The exchange's rules (SPEC §5), free of IO: what a satellite report carries and how a cloud
// bundle applies. daemon/exchange/ runs them with temp files, the zip writer and the transport.
export { applyCloudBundle, type CloudKind, type ImportResult } from './apply.ts';
export { ExchangeBook, type AppliedRecord, type ExchangeRecord, type ExportRecord, type ImportChanges, type SyncRecord } from './book.ts';
export { ExchangeLock } from './lock.ts';
export * from './ports.ts';
export { dropAcknowledged } from './queue.ts';
export { writeRegistrationRequest } from './registration.ts';
export { EXPORT_SEQ, writeSatelliteReport, type ExportResult } from './report.ts';
export { Quarantine, type QuarantinedReport, type QuarantineView } from './quarantine.ts';
export { HISTORY_SIZE, SyncHistory, historyKey, type HistoryEntry, type HistoryInput, type ExchangePath, type ExchangeDirection } from './history.ts';
