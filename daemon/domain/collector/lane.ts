// How the collector's storage lane cuts what polls collected into write transactions (SPEC §9
// "Polls never block device ingest"). Each lane transaction is synced as (part of) one batch of
// the one writer, and a device report that arrives meanwhile waits for that batch: the time a
// batch takes grows with its bytes (a collected report is stored as its JSON text inside a JSON
// record, ~1.7× its own length), so the lane's transactions are kept small in reports and in
// bytes. Measured (README, Benchmarks, `collector`): 250 reports (~475 kB) a transaction put
// device-ingest p99 during a poll at 2–6× its baseline; 32 reports (~60 kB) at ~1×.

/** Reports stored per write transaction at most (one answer's, or several answers' together). */
export const REPORTS_PER_TRANSACTION = 32;
/** Characters of report text (`CollectedReport.report`) per write transaction at most, beyond its first report. */
export const REPORT_CHARS_PER_TRANSACTION = 64 * 1024;

export interface LaneBudget {
  reports: number;
  chars: number;
}

export const LANE_BUDGET: LaneBudget = { reports: REPORTS_PER_TRANSACTION, chars: REPORT_CHARS_PER_TRANSACTION };

/** What a part of an answer weighs against the budget. */
export interface LaneWeight {
  reports: number;
  chars: number;
}

export const weigh = (reports: ReadonlyArray<{ report: string }>): LaneWeight => ({
  reports: reports.length,
  chars: reports.reduce((s, r) => s + r.report.length, 0),
});

/**
 * Cuts one answer's reports, in order, into parts within the budget; a report is never cut, so a
 * report larger than the budget is a part of its own. No reports: no parts.
 */
export function splitReports<T extends { report: string }>(reports: readonly T[], budget: LaneBudget = LANE_BUDGET): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let chars = 0;
  for (const r of reports) {
    if (part.length > 0 && (part.length >= budget.reports || chars + r.report.length > budget.chars)) {
      parts.push(part);
      part = [];
      chars = 0;
    }
    part.push(r);
    chars += r.report.length;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/**
 * How many of the waiting parts, front first, go in the next transaction: the first always (a part
 * is within the budget, or one report), then each next one while the sum stays within the budget.
 */
export function partsWithin(waiting: readonly LaneWeight[], budget: LaneBudget = LANE_BUDGET): number {
  if (waiting.length === 0) return 0;
  let reports = waiting[0]!.reports;
  let chars = waiting[0]!.chars;
  let n = 1;
  for (; n < waiting.length; n++) {
    const w = waiting[n]!;
    if (reports + w.reports > budget.reports || chars + w.chars > budget.chars) break;
    reports += w.reports;
    chars += w.chars;
  }
  return n;
}
