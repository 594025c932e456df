// Usage reports: ingest (validated, deduplicated, group-committed), the report-id filter, acknowledgements and retention.
export * from './acks.ts';
export * from './ingest.ts';
export * from './report-ids.ts';
export * from './retention.ts';
export * from './device-reports.ts';
