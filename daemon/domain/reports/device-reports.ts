// A device's recent reports, newest first, for its page on the dashboard (GET
// /api/devices/:id/reports): when each arrived, its window and usage while the satellite still
// holds them, and whether the cloud has acknowledged it (when, and with which satellite report).
// Reads the device's report index (`drp!`) backwards through the store port; acknowledgement
// follows from the acknowledged ranges, so nothing is written.
import type { Store } from '../../store/index.ts';
import { keys, seqKey } from '../../store/index.ts';
import type { QueuedReport, StoredReport } from '../satellite/records.ts';

/** What is needed of the acknowledgement ledger (acks.ts). */
export interface AckLookup {
  readonly watermark: number;
  rangeOf(seq: number): { acknowledgedAt: string; bundleSequence: number } | undefined;
}

export interface DeviceReportView {
  reportId: string;
  receivedAt: string | null;
  /** The report's window and usage: known while it waits for the cloud; once acknowledged the satellite keeps only its id. */
  window: { start: string; end: string } | null;
  usage: Array<{ entitlement: string; count: number }> | null;
  acknowledged: { at: string; bundleSequence: number } | null;
  /** Acknowledged, but so long ago that the record of when was pruned. */
  acknowledgedLongAgo: boolean;
}

/** Cursors are the arrival sequence of the last report served. */
export function decodeReportCursor(cursor: string | null): number | null {
  if (cursor === null) return null;
  return /^\d{1,16}$/.test(cursor) ? Number(cursor) : NaN;
}

export async function deviceReports(
  store: Store,
  ledger: AckLookup,
  deviceId: string,
  page: { limit: number; before: number | null },
): Promise<{ items: DeviceReportView[]; next: string | null }> {
  const prefix = keys.deviceReportPrefix(deviceId);
  const upper = page.before === null ? prefix + '\uffff' : prefix + seqKey(page.before);
  const found: Array<{ seq: number; reportId: string }> = [];
  for await (const [key, reportId] of store.iterate<string>({ gte: prefix, lt: upper, reverse: true, limit: page.limit + 1 })) {
    found.push({ seq: Number(key.slice(prefix.length)), reportId });
  }
  const more = found.length > page.limit;
  if (more) found.pop();
  const watermark = ledger.watermark;
  const items: DeviceReportView[] = [];
  for (const { seq, reportId } of found) {
    const stored = await store.get<StoredReport>(keys.report(reportId));
    const acked = seq <= watermark;
    const range = acked ? ledger.rangeOf(seq) : undefined;
    // A report waits in the queue until acknowledged (and a little after); its usage is read there.
    const queued = await store.get<QueuedReport>(keys.unacked(seq));
    items.push({
      reportId,
      receivedAt: stored?.receivedAt ?? queued?.receivedAt ?? null,
      window: queued ? queued.window : null,
      usage: queued ? queued.usage : null,
      acknowledged: range ? { at: range.acknowledgedAt, bundleSequence: range.bundleSequence } : null,
      acknowledgedLongAgo: acked && !range,
    });
  }
  const last = found.at(-1);
  return { items, next: more && last ? String(last.seq) : null };
}
