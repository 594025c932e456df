// Quarantine: a stored report that the bundle schema refuses must not block every export after
// it (SPEC §7 `report-quarantined`). The export sets it aside — out of the queue, its counters
// and its device's ack index, kept whole with the reason — writes an event, and goes on with the
// rest. An admin sees each one (an alert per report, the API, the CLI, the dashboard) and
// removes it when done; nothing is sent for it.
import { OutpostError } from '../../errors.ts';
import { keys, prefixRange, type Store, type Tx } from '../../store/index.ts';
import type { AlertView } from '../alerts/alerts.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import type { ReportCounts } from '../satellite/state.ts';
import type { QueuedReport } from '../satellite/records.ts';

export interface QuarantinedReport {
  reportId: string;
  deviceId: string;
  vaId: string;
  /** Its arrival sequence: the queue entry it left. */
  seq: number;
  report: QueuedReport;
  /** What the bundle schema said, e.g. `window.start: expected a real instant …`. */
  reason: string;
  quarantinedAt: string;
}

/** The API's view: the VA as {id, path}. */
export interface QuarantineView {
  reportId: string;
  deviceId: string;
  virtualAccount: { id: string; path: string } | null;
  window: { start: string; end: string };
  usage: Array<{ entitlement: string; count: number }>;
  receivedAt: string;
  reason: string;
  quarantinedAt: string;
}

export class Quarantine {
  readonly #items = new Map<string, QuarantinedReport>();

  static async load(store: Store): Promise<Quarantine> {
    const q = new Quarantine();
    for await (const [, item] of store.iterate<QuarantinedReport>(prefixRange(keys.quarantinedPrefix))) q.#items.set(item.reportId, item);
    return q;
  }

  get size(): number {
    return this.#items.size;
  }

  /** In the order they were set aside (then by report id): the order the API pages in. */
  list(): QuarantinedReport[] {
    return [...this.#items.values()].sort((a, b) => cmp(a.quarantinedAt, b.quarantinedAt) || cmp(a.reportId, b.reportId));
  }

  view(ctx: DomainContext, item: QuarantinedReport): QuarantineView {
    return {
      reportId: item.reportId,
      deviceId: item.deviceId,
      virtualAccount: ctx.state.vas.has(item.vaId) ? ctx.state.vaRef(item.vaId) : null,
      window: item.report.window,
      usage: item.report.usage,
      receivedAt: item.report.receivedAt,
      reason: item.reason,
      quarantinedAt: item.quarantinedAt,
    };
  }

  /**
   * Stages setting `report` (queue entry `seq`) aside in `tx`, with its event. The stored report
   * (`rep!`) stays, so the device's resend is still a duplicate, never a second copy.
   */
  async stage(ctx: DomainContext, tx: Tx, seq: number, report: QueuedReport, reason: string, actor: Actor): Promise<void> {
    const now = ctx.clock();
    const item: QuarantinedReport = { reportId: report.reportId, deviceId: report.deviceId, vaId: report.vaId, seq, report, reason, quarantinedAt: now.toISOString() };
    tx.put(keys.quarantined(report.reportId), item);
    tx.del(keys.unacked(seq));
    // Out of the device's index too: the cloud never acknowledges it, so the device must not see an ack.
    tx.del(keys.deviceReport(report.deviceId, seq));
    const counts = (await tx.get<ReportCounts>(keys.reportCounts)) ?? { total: 0, unacknowledged: 0 };
    const next = { ...counts, unacknowledged: Math.max(0, counts.unacknowledged - 1) };
    tx.put(keys.reportCounts, next);
    recordEvent(tx, ctx, now, {
      actor,
      type: 'report.quarantined',
      vaId: ctx.state.vas.has(report.vaId) ? report.vaId : null,
      details: { reportId: report.reportId, deviceId: report.deviceId, reason },
    });
    tx.after(() => {
      this.#items.set(item.reportId, item);
      ctx.state.setReportCounts(next);
    });
  }

  /** Removes a quarantined report for good (its stored record too); 404 when there is none. */
  async remove(ctx: DomainContext, reportId: string, actor: Actor): Promise<void> {
    await ctx.writer.run(async (tx) => {
      const item = await tx.get<QuarantinedReport>(keys.quarantined(reportId));
      if (!item) throw new OutpostError('NOT_FOUND', 'No quarantined report has this id.');
      tx.del(keys.quarantined(reportId));
      tx.del(keys.report(reportId));
      const counts = (await tx.get<ReportCounts>(keys.reportCounts)) ?? { total: 0, unacknowledged: 0 };
      const next = { ...counts, total: Math.max(0, counts.total - 1) };
      tx.put(keys.reportCounts, next);
      recordEvent(tx, ctx, ctx.clock(), {
        actor,
        type: 'report.quarantine_removed',
        vaId: ctx.state.vas.has(item.vaId) ? item.vaId : null,
        details: { reportId, deviceId: item.deviceId },
      });
      tx.after(() => {
        this.#items.delete(reportId);
        ctx.state.setReportCounts(next);
      });
    });
  }

  /** One `report-quarantined` warning per quarantined report, its subject the report. */
  alerts(ctx: DomainContext): AlertView[] {
    return this.list().map((item) => ({
      type: 'report-quarantined',
      severity: 'warning' as const,
      virtualAccount: ctx.state.vas.has(item.vaId) ? ctx.state.vaRef(item.vaId) : null,
      entitlement: null,
      subject: { kind: 'report', id: item.reportId },
      since: item.quarantinedAt,
      message: `Report ${item.reportId} from device ${item.deviceId} was set aside: the export cannot carry it (${item.reason}). Review it, then remove it.`,
    }));
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
