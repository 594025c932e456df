// Usage reports: validated, deduplicated by reportId, and answered 202 only once durable. The
// one writer batches concurrent reports into one synced write (group commit). Each device's
// latest usage is kept as it arrives, so compliance is a lookup, never a scan of reports.
import { OutpostError } from '../../errors.ts';
import { keys, type Tx } from '../../store/index.ts';
import type { AckLedger } from './acks.ts';
import { DAY_MS } from '../satellite/clock.ts';
import type { DomainContext } from '../satellite/context.ts';
import { assertCanReport } from '../devices/device-state.ts';
import { stageLatest } from '../devices/device-index.ts';
import { canonicalJson, sha256 } from '../satellite/ids.ts';
import type { ReportIdFilter } from './report-ids.ts';
import type { ReportCounts } from '../satellite/state.ts';
import type { DeviceRecord, LatestUsage, QueuedReport, StoredReport } from '../satellite/records.ts';
import { parseBody } from '../satellite/validate.ts';
import { usageReport, windowInOrder, type UsageReport } from '../../../exchange/bundle/usage-report.ts';

const FUTURE_SLACK_MS = 5 * 60_000;

/** The report's fields, shared with the bundle's usage.ndjson (exchange/bundle/usage-report.ts). */
export const reportPayload = usageReport;
export type ReportPayload = UsageReport;

/**
 * Every key one stored report owns, as `stage()` below writes them: its record by id, its
 * queue entry (normally gone once acknowledged) and its entry in the device's index. Retention
 * deletes exactly these when it prunes the report (domain/reports/retention.ts), so a change to what
 * `stage()` writes per report changes this list too (test/unit/domain/reports/retention.test.ts checks
 * the two agree). Per-device records (`dlu!`) and counters are not the report's.
 */
export function storedReportKeys(r: { reportId: string; deviceId: string; seq: number }): string[] {
  return [keys.report(r.reportId), keys.unacked(r.seq), keys.deviceReport(r.deviceId, r.seq)];
}

export interface IngestAnswer {
  status: 200 | 202;
  body: { reportId: string; receivedAt: string; duplicate: boolean };
}

export interface IngestHooks {
  onAccepted?(): void;
  onDuplicate?(): void;
}

/**
 * `ledger` answers which reports the cloud has acknowledged (GET /v1/acks); `reportIds`, when
 * given, spares the store read of duplicate detection for ids certainly not stored.
 */
export function createIngest(ctx: DomainContext, hooks: IngestHooks = {}, deps: { ledger: AckLedger; reportIds?: ReportIdFilter }) {
  const { state } = ctx;
  const maxAgeMs = ctx.config.device.maxReportAgeDays * DAY_MS;

  /** Checks the report's rules against `now`; throws 400 with the field named. */
  function validate(body: unknown, now: Date): ReportPayload {
    const report = parseBody(reportPayload, body);
    const end = Date.parse(report.window.end);
    if (!windowInOrder(report.window)) throw new OutpostError('INVALID_REQUEST', 'Field "window": start must be before end.');
    if (end > now.getTime() + FUTURE_SLACK_MS) {
      throw new OutpostError('INVALID_REQUEST', 'Field "window.end" is more than 5 minutes in the future.');
    }
    if (end < now.getTime() - maxAgeMs) {
      throw new OutpostError('REPORT_TOO_OLD', `The report's window ended more than ${ctx.config.device.maxReportAgeDays} days ago.`);
    }
    return report;
  }

  /** Stages one validated report in `tx`: the one ingest path behind /v1/reports and /v1/usage. */
  async function stage(tx: Tx, device: DeviceRecord, report: ReportPayload, digest: string, now: Date): Promise<IngestAnswer> {
    const receivedAt = now.toISOString();
    const reportIds = deps.reportIds;
    const existing = !reportIds || reportIds.mayContain(report.reportId) ? await tx.get<StoredReport>(keys.report(report.reportId)) : undefined;
    if (existing) {
      if (existing.digest !== digest || existing.deviceId !== device.id) {
        throw new OutpostError('REPORT_CONFLICT', 'A different report with this reportId was already received.');
      }
      hooks.onDuplicate?.();
      return { status: 200 as const, body: { reportId: report.reportId, receivedAt: existing.receivedAt, duplicate: true } };
    }
    reportIds?.add(report.reportId);
    const seq = ctx.seq.next(tx, 'report');
    const stored: StoredReport = { reportId: report.reportId, deviceId: device.id, receivedAt, digest, seq };
    tx.put(keys.report(report.reportId), stored);
    // The queue entry carries the report itself, so an export reads one range in order.
    const queued: QueuedReport = {
      reportId: report.reportId,
      deviceId: device.id,
      vaId: device.vaId,
      window: { start: report.window.start, end: report.window.end },
      usage: report.usage.map((u) => ({ entitlement: u.entitlement, count: u.count })),
      receivedAt,
    };
    tx.put(keys.unacked(seq), queued);
    tx.put(keys.deviceReport(device.id, seq), report.reportId);
    const counts = (await tx.get<ReportCounts>(keys.reportCounts)) ?? { total: 0, unacknowledged: 0 };
    const newCounts = { total: counts.total + 1, unacknowledged: counts.unacknowledged + 1 };
    tx.put(keys.reportCounts, newCounts);

    const previous = await tx.get<LatestUsage>(keys.latestUsage(device.id));
    const newer = !previous || Date.parse(report.window.end) > Date.parse(previous.windowEnd);
    const latest: LatestUsage = newer
      ? {
          reportId: report.reportId,
          windowEnd: report.window.end,
          usage: Object.fromEntries(report.usage.map((u) => [u.entitlement, u.count])),
          lastReportAt: receivedAt,
        }
      : { ...previous, lastReportAt: receivedAt };
    tx.after(() => state.setReportCounts(newCounts));
    await stageLatest(tx, state, device, previous, latest, { newer, before: previous?.usage });
    tx.after(() => hooks.onAccepted?.());
    return { status: 202 as const, body: { reportId: report.reportId, receivedAt, duplicate: false } };
  }

  return {
    validate,
    stage,

    /**
     * Stores one report from `device`; `body` is the whole body (for duplicate detection),
     * already checked against the device's state by the caller.
     */
    async accept(device: DeviceRecord, body: unknown): Promise<IngestAnswer> {
      const now = ctx.clock();
      const report = validate(body, now);
      assertCanReport(ctx, device);
      const digest = sha256(canonicalJson(body));

      // stage() decides from what it reads through tx alone, so it may run while the previous
      // batch is being synced.
      return ctx.writer.run((tx) => stage(tx, device, report, digest, now), { bounded: true, txOnly: true });
    },

    /** GET /v1/acks: this device's acknowledged reports after `cursor`, oldest first. */
    async acks(deviceId: string, cursor: string | undefined, limit = 1000) {
      if (cursor !== undefined && !/^\d{1,16}$/.test(cursor)) throw new OutpostError('INVALID_REQUEST', 'Parameter "after" is not a valid cursor.');
      const page = await deps.ledger.page(ctx.store, deviceId, cursor === undefined ? 0 : Number(cursor), limit);
      // An empty page keeps the cursor it was given: the device asks again from there.
      return { acks: page.acks, cursor: page.cursor === null ? (cursor ?? '') : String(page.cursor) };
    },
  };
}

export type Ingest = ReturnType<typeof createIngest>;
