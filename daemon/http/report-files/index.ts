// Report files: tables of licenses, subscriptions and devices, written as CSV or XLSX.
export { createReportTables, REPORTS, type ReportName, type ReportTables } from '../../domain/licenses/report-tables.ts';
export { csvStream } from './csv.ts';
export { xlsxStream } from './xlsx.ts';
export { safeCell, safeCsvCell, type Cell, type ReportTable } from './table.ts';
