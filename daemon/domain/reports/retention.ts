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
// After each write the prune waits as long as the write took, so device reports get batches of
// their own while it runs (measured: README, Benchmarks, case `retention`).
import { keys, prefixRange, seqKey } from '../../store/index.ts';
import type { AckLedger, AckRange } from './acks.ts';
import { DAY_MS } from '../satellite/clock.ts';
import type { DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import type { ExportRecord } from '../exchange/book.ts';
import { storedReportKeys } from './ingest.ts';
import type { ReportCounts } from '../satellite/state.ts';
import type { EventRecord } from '../satellite/records.ts';

/** Keys deleted per write transaction. */
export const PRUNE_CHUNK_KEYS = 3000;
/** Devices whose report ranges are read at once, and entries read per step of one. */
const SCAN_PARALLEL = 16;
const SCAN_ENTRIES = 256;
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
  /** Collected RUM reports pruned to their tombstones (domain/collector/retention.ts), when a collector is given. */
  rumReports?: number;
  /** Delivered acknowledgement entries and RUM export records deleted (domain/collector/retention.ts), when a collector is given. */
  rumRecords?: number;
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

/**
 * After a prune write that took `ms`, waits as long again: the writer is then free half the
 * time, so device reports queued meanwhile go in batches of their own, not behind a delete.
 */
const yieldToDevices = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 1000)));

export function createRetention(ctx: DomainContext, deps: { ledger: AckLedger; chunkKeys?: number; rum?: { prune(now: Date, signal?: AbortSignal): Promise<number>; pruneRecords(now: Date, signal?: AbortSignal): Promise<{ acks: number; exports: number }> } }) {
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

    // Reports found and not yet deleted, each as the keys it owns; a write takes whole reports up
    // to `chunkKeys` keys, so the counts it lowers are exact.
    const doomed: string[][] = [];
    let pending = 0;
    let pruned = 0;
    let writing: Promise<void> | null = null;
    const write = async (last: boolean) => {
      let size = 0;
      let n = 0;
      while (n < doomed.length && size < chunkKeys) size += doomed[n++]!.length;
      const batch = doomed.splice(0, n);
      pending -= size;
      const started = performance.now();
      await ctx.writer.run(async (tx) => {
        for (const owned of batch) for (const key of owned) tx.del(key);
        const before = (await tx.get<ReportCounts>(keys.reportCounts)) ?? { total: 0, unacknowledged: 0 };
        const counts: ReportCounts = { ...before, total: Math.max(0, before.total - batch.length) };
        if (batch.length > 0) tx.put(keys.reportCounts, counts);
        if (last) {
          const m = { ...EMPTY_MARK, ...(await tx.get<RetentionMark>(keys.retention)) };
          tx.put(keys.retention, { ...m, reportsThrough: Math.max(m.reportsThrough, through) });
        }
        tx.after(() => {
          if (batch.length > 0) state.setReportCounts(counts);
        });
      });
      pruned += batch.length;
      if (!last) await yieldToDevices(performance.now() - started);
    };
    /** Writes while a full chunk is waiting, one write at a time; the scans wait meanwhile. */
    const drain = async () => {
      while (pending >= chunkKeys) {
        if (writing) await writing;
        else await (writing = write(false).finally(() => (writing = null)));
      }
    };

    // Devices are never removed from the store, so every `drp!` entry belongs to one of these.
    // Each device's acknowledged reports in (from, through] are a range of its `drp!` index; a
    // few devices are read at once, as each range read is a seek or two on the thread pool.
    // The ids come from a walk of the device records' keys, a thousand at a time.
    const idSource = ctx.store.chunks<unknown>({ ...prefixRange(keys.devicePrefix), values: false }, 1000)[Symbol.asyncIterator]();
    const buffered: string[] = [];
    let exhausted = false;
    const nextId = async (): Promise<string | undefined> => {
      while (buffered.length === 0 && !exhausted) {
        const r = await idSource.next();
        if (r.done) exhausted = true;
        else for (const [key] of r.value) buffered.push(key.slice(keys.devicePrefix.length));
      }
      return buffered.shift();
    };
    const scanner = async () => {
      while (!signal?.aborted) {
        const deviceId = await nextId();
        if (deviceId === undefined) return;
        const prefix = keys.deviceReportPrefix(deviceId);
        for await (const entries of ctx.store.chunks<string>({ gt: prefix + seqKey(from), lte: prefix + seqKey(through) }, SCAN_ENTRIES)) {
          for (const [key, reportId] of entries) {
            const owned = storedReportKeys({ reportId, deviceId, seq: Number(key.slice(prefix.length)) });
            doomed.push(owned);
            pending += owned.length;
          }
          await drain();
          if (signal?.aborted) return;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: SCAN_PARALLEL }, scanner));
    } finally {
      if (!exhausted) await idSource.return?.();
    }
    // Stopped: what was found and not deleted is found again by the next run (the mark stays).
    if (signal?.aborted) return { pruned, through: from };
    await write(true); // less than a chunk is left: the rest, and the mark
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
      const started = performance.now();
      await ctx.writer.run(async (tx) => {
        for (const key of doomed) tx.del(key);
        const m = { ...EMPTY_MARK, ...(await tx.get<RetentionMark>(keys.retention)) };
        tx.put(keys.retention, { ...m, eventsThrough: Math.max(m.eventsThrough, through) });
      });
      pruned += doomed.length;
      from = through;
      if (younger || doomed.length < chunkKeys || signal?.aborted) return pruned;
      await yieldToDevices(performance.now() - started);
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
      const rumReports = signal?.aborted || !deps.rum ? 0 : await deps.rum.prune(now, signal);
      const records = signal?.aborted || !deps.rum ? { acks: 0, exports: 0 } : await deps.rum.pruneRecords(now, signal);
      const rumRecords = records.acks + records.exports;
      if (reports.pruned > 0 || events > 0 || rumReports > 0 || rumRecords > 0) {
        await ctx.writer.run((tx) =>
          recordEvent(tx, ctx, now, {
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
              ...(deps.rum ? { rumReports, rumAcks: records.acks, rumExports: records.exports } : {}),
            },
          }),
        );
      }
      return { reports: reports.pruned, events, ...(deps.rum ? { rumReports, rumRecords } : {}) };
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
