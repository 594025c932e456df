// A usage report's fields, defined once: what a device sends (POST /v1/reports, POST /v1/usage,
// checked by daemon/domain/reports/ingest.ts) and what a satellite report's usage.ndjson carries
// (records.ts adds the device, its VA and receivedAt). Pure: zod only, so the domain and the
// reference cloud import it directly.
import { z } from 'zod';
import { INSTANT_EXPECTED, isInstant, parseInstant } from './instant.ts';

/** A real instant in SPEC §3's form, e.g. 2026-11-28T10:00:00Z (instant.ts: no impossible dates). */
export const isoTimestamp = z.string().refine(isInstant, INSTANT_EXPECTED);

/** Printable text without control characters. */
export const printableText = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

export const reportId = z.uuid({ message: 'expected a UUID' });

/** The window a report covers; ingest also checks start < end (`windowInOrder`) and its age. */
export const reportWindow = z.object({ start: isoTimestamp, end: isoTimestamp });

export const windowInOrder = (w: { start: string; end: string }): boolean => parseInstant(w.start)! < parseInstant(w.end)!;

export const usageEntry = z.object({ entitlement: printableText(1, 128), count: z.int().min(0).max(1_000_000) });

export const usageEntries = z
  .array(usageEntry)
  .min(1, 'expected 1 to 500 entries')
  .max(500, 'expected 1 to 500 entries')
  .refine((u) => new Set(u.map((e) => e.entitlement)).size === u.length, 'names an entitlement twice');

/** The report as a device sends it (unknown members are dropped). */
export const usageReport = z.object({ reportId, window: reportWindow, usage: usageEntries });
export type UsageReport = z.infer<typeof usageReport>;
