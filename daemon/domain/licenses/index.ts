// Licenses: `core/` is the pure model (lines, holdings, transfers, reservations, pools, SLR codes)
// with no store and no clock of its own; `workspace/` wires it to the store and the writer
// (records, the export outbox, the service the routes call); report-tables.ts shapes the CSV/XLSX reports.
export * from './core/index.ts';
export * from './workspace/index.ts';
export * from './report-tables.ts';
