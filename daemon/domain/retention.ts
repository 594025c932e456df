// Retention (SPEC §2): acknowledged reports are pruned `retention.acknowledgedDays` after their
// acknowledgement was applied — but never while a replay of them could still be taken as new —
// and audit events `retention.eventDays` after they were written. Deletes go through the one
// writer a few thousand keys at a time, so device reports keep flowing during a large prune.
//
// Which reports: acknowledgements are ranges of arrival sequences (acks.ts), oldest first, each
// carried by one exported satellite report. A range may go once (a) it was acknowledged at least
// acknowledgedDays ago and (b) the satellite report that carried it was exported more than
// device.maxReportAgeDays + 1 day ago: every report in it was received before that export, so
// its window ended before then too (a window may end at most 5 minutes after receipt), and a
// replay of it is refused REPORT_TOO_OLD. Ranges go in order; the first one that may not stops
// the run. `meta!retention` remembers how far pruning has gone, so a run starts where the last
// one ended and never walks over what LevelDB keeps of deleted keys until it compacts them.
import { keys, seqKey } from '../store/index.ts';
import type { AckLedger, AckRange } from './acks.ts';
import { DAY_MS } from './clock.ts';
import type { DomainContext } from './context.ts';
import { recordEvent } from './events.ts';
import type { ExportRecord } from './exchange/book.ts';
import { storedReportKeys } from './ingest.ts';
import type { ReportCounts } from './state.ts';
import type { EventRecord } from './types.ts';

/** Keys deleted per write transaction. */
export const PRUNE_CHUNK_KEYS = 3000;
/** Beyond device.maxReportAgeDays: covers the 5 minutes a window may end after receipt, and a clock stepped back a little. */
const REPLAY_MARGIN_MS = DAY_MS;

/** `meta!retention`: what is gone. */
export interface RetentionMark {
  /** Every acknowledged report with an arrival sequence up to here is pruned. */
  reportsThrough: number;
  /** Every event with a sequence up to here is pruned. */
  eventsThrough: number;
}

export interface PruneResult {
  reports: number;
  events: number;
}

export interface RetentionRules {
  acknowledgedDays: number;
  maxReportAgeDays: number;
}

const EMPTY_MARK: RetentionMark = { reportsThrough: 0, eventsThrough: 0 };

/**
 * The arrival sequence up to which acknowledged reports may be pruned at `now` (see the top of
 * this file): the upper end of the run of ranges above `from`, oldest first, each acknowledged at
 * least `acknowledgedDays` ago and carried by a report exported more than `maxReportAgeDays` + 1
 * day ago. `from` when none may go. `exportedAt` answers an exported report's `createdAt`.
 */
export async function prunableThrough(
  ranges: readonly AckRange[],
  from: number,
  exportedAt: (bundleSequence: number) => Promise<string | undefined>,
  now: Date,
  rules: RetentionRules,
): Promise<number> {
  const ackCutoff = now.getTime() - rules.acknowledgedDays * DAY_MS;
  const exportCutoff = now.getTime() - rules.maxReportAgeDays * DAY_MS - REPLAY_MARGIN_MS;
  let through = from;
  for (const range of ranges) {
    if (range.upTo <= from) continue;
    if (!(Date.parse(range.acknowledgedAt) <= ackCutoff)) break;
    const exported = await exportedAt(range.bundleSequence);
    if (exported === undefined || !(Date.parse(exported) < exportCutoff)) break;
    through = range.upTo;
  }
  return through;
}

export function createRetention(ctx: DomainContext, deps: { ledger: AckLedger; chunkKeys?: number }) {
  const { state } = ctx;
  const chunkKeys = deps.chunkKeys ?? PRUNE_CHUNK_KEYS;
  const rules: RetentionRules = { acknowledgedDays: ctx.config.retention.acknowledgedDays, maxReportAgeDays: ctx.config.device.maxReportAgeDays };

  const mark = async (): Promise<RetentionMark> => ({ ...EMPTY_MARK, ...(await ctx.store.get<RetentionMark>(keys.retention)) });

  /**
   * Deletes the keys of every acknowledged report that may go, device by device (each device's
   * reports are a range of `drp!` keys), and lowers the stored-report count with each chunk.
   * The mark moves in the last write, so a run cut short is resumed by the next.
   */
  async function pruneReports(now: Date, signal?: AbortSignal): Promise<{ pruned: number; through: number }> {
    const from = (await mark()).reportsThrough;
    const through = await prunableThrough(
      deps.ledger.ranges,
      from,
      async (n) => (await ctx.store.get<ExportRecord>(keys.exported(n)))?.createdAt,
      now,
      rules,
    );
    if (through <= from) return { pruned: 0, through: from };

    let doomed: string[] = [];
    let reports = 0;
    let pruned = 0;
    const flush = async (last: boolean) => {
      const batch = doomed;
      const n = reports;
      doomed = [];
      reports = 0;
      await ctx.writer.run(async (tx) => {
        for (const key of batch) tx.del(key);
        const before = (await tx.get<ReportCounts>(keys.reportCounts)) ?? { total: 0, unacknowledged: 0 };
        const counts: ReportCounts = { ...before, total: Math.max(0, before.total - n) };
        if (n > 0) tx.put(keys.reportCounts, counts);
        if (last) {
          const m = { ...EMPTY_MARK, ...(await tx.get<RetentionMark>(keys.retention)) };
          tx.put(keys.retention, { ...m, reportsThrough: Math.max(m.reportsThrough, through) });
        }
        tx.after(() => {
          if (n > 0) state.reportCounts = counts;
        });
      });
      pruned += n;
    };

    // Devices are never removed from the store, so every `drp!` entry belongs to one of these.
    for (const deviceId of [...state.devices.keys()]) {
      const prefix = keys.deviceReportPrefix(deviceId);
      for await (const [key, reportId] of ctx.store.iterate<string>({ gt: prefix + seqKey(from), lte: prefix + seqKey(through) })) {
        doomed.push(...storedReportKeys({ reportId, deviceId, seq: Number(key.slice(prefix.length)) }));
        reports++;
        if (doomed.length >= chunkKeys) {
          await flush(false);
          if (signal?.aborted) return { pruned, through: from };
        }
      }
    }
    await flush(true);
    return { pruned, through };
  }

  /**
   * Deletes events older than `retention.eventDays`, oldest first, stopping at the first younger
   * one (events are written in time order; one written under a clock stepped back waits a day).
   */
  async function pruneEvents(now: Date, signal?: AbortSignal): Promise<number> {
    const cutoff = now.getTime() - ctx.config.retention.eventDays * DAY_MS;
    const prefix = keys.eventPrefix;
    let from = (await mark()).eventsThrough;
    let pruned = 0;
    for (;;) {
      const doomed: string[] = [];
      let younger = false;
      for await (const [key, e] of ctx.store.iterate<EventRecord>({ gt: keys.event(from), lt: prefix + '\uffff', limit: chunkKeys })) {
        if (!(Date.parse(e.at) < cutoff)) {
          younger = true;
          break;
        }
        doomed.push(key);
      }
      if (doomed.length === 0) return pruned;
      const through = Number(doomed.at(-1)!.slice(prefix.length));
      await ctx.writer.run(async (tx) => {
        for (const key of doomed) tx.del(key);
        const m = { ...EMPTY_MARK, ...(await tx.get<RetentionMark>(keys.retention)) };
        tx.put(keys.retention, { ...m, eventsThrough: Math.max(m.eventsThrough, through) });
      });
      pruned += doomed.length;
      from = through;
      if (younger || doomed.length < chunkKeys || signal?.aborted) return pruned;
    }
  }

  return {
    rules,
    mark,
    pruneReports,
    pruneEvents,

    /**
     * One retention run at `now`: reports, then events; one `retention.pruned` event (actor
     * `system`) when anything went. `signal` stops it between writes (shutdown); the next run
     * goes on from there.
     */
    async prune(now: Date, signal?: AbortSignal): Promise<PruneResult> {
      const reports = await pruneReports(now, signal);
      const events = signal?.aborted ? 0 : await pruneEvents(now, signal);
      if (reports.pruned > 0 || events > 0) {
        await ctx.writer.run((tx) =>
          recordEvent(tx, ctx.seq, now, {
            actor: 'system',
            type: 'retention.pruned',
            vaId: null,
            details: {
              reports: reports.pruned,
              events,
              reportsThrough: reports.through,
              acknowledgedDays: rules.acknowledgedDays,
              maxReportAgeDays: rules.maxReportAgeDays,
              eventDays: ctx.config.retention.eventDays,
            },
          }),
        );
      }
      return { reports: reports.pruned, events };
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
