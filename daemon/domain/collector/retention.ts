// Retention of collected RUM reports (SPEC §2 retention, §9 "Reports"): a report acknowledged at
// least `retention.acknowledgedDays` ago loses its report object and keeps a tombstone — its
// (UDI, report id), the digest of its payload and where it came from — so collecting it again
// stores nothing and counts nothing (collect.ts finds the tombstone as it finds any stored report).
// The replay guard device reports need (device.maxReportAgeDays, see reports/retention.ts) is the
// tombstone itself here: a product serves its reports for as long as it likes.
//
// Acknowledging a report writes a `crak!<acknowledgedAt>!<crum key>` entry (see `markRumAcknowledged`);
// a run reads those oldest first up to the cutoff, so it never walks the tombstones, and prunes
// them a chunk at a time through the one writer, waiting after each write as long as it took so
// device reports and polls get batches of their own meanwhile.
//
// The same run prunes what the collector keeps about acknowledgements once it has done its work:
// a queue entry (`cack!`) delivered to its product at least `retention.acknowledgedDays` ago, and
// a RUM file export record (`crex!`) made that long ago — except the newest export, which
// `rum import-ack` without a number answers. Undelivered entries stay, however old.
import type { Tx } from '../../store/index.ts';
import { keys, prefixRange } from '../../store/index.ts';
import { DAY_MS } from '../satellite/clock.ts';
import type { DomainContext } from '../satellite/context.ts';
import type { AckEntry, RumExportRecord, RumStored } from './records.ts';

/** RUM reports pruned per write transaction (a report object is a few kB; its tombstone ~300 bytes). */
export const RUM_PRUNE_CHUNK = 500;

/** What a pruned report leaves: enough to know it again and to tell a copy with other bytes. */
export function tombstoneOf(r: RumStored, now: Date): RumStored {
  return {
    udi: r.udi, reportId: r.reportId, targetId: r.targetId, deviceId: r.deviceId, vaId: r.vaId, digest: r.digest,
    report: null, collectedAt: r.collectedAt, usage: null, queueSeq: null, acknowledged: true,
    acknowledgedAt: r.acknowledgedAt ?? null, prunedAt: now.toISOString(),
  };
}

/**
 * Marks stored RUM reports acknowledged at `now` (a cloud response's rum-acks, or `rum import-ack`):
 * they leave the cloud queue and enter the retention index. Answers the target they came from
 * (the last one found) and how many changed.
 */
export async function markRumAcknowledged(
  tx: Tx,
  udi: { pid: string; sn: string },
  reportIds: readonly string[],
  now: Date,
): Promise<{ targetId: string | null; count: number }> {
  let count = 0;
  let targetId: string | null = null;
  const at = now.toISOString();
  for (const rid of reportIds) {
    const key = keys.rum(udi.pid, udi.sn, rid);
    const r = await tx.get<RumStored>(key);
    if (!r) continue;
    targetId = r.targetId;
    if (r.acknowledged) continue;
    if (r.queueSeq !== null) tx.del(keys.rumQueue(r.queueSeq));
    tx.put(key, { ...r, acknowledged: true, acknowledgedAt: at, queueSeq: null });
    tx.put(keys.rumAcked(at, key), key);
    count++;
  }
  return { targetId, count };
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 1000)));

export interface RumRetention {
  /** Prunes every RUM report acknowledged `retention.acknowledgedDays` before `now`; answers how many. `signal` stops it between writes. */
  prune(now: Date, signal?: AbortSignal): Promise<number>;
  /** Deletes acknowledgement entries delivered, and export records made, `retention.acknowledgedDays` before `now` (the newest export kept); answers how many of each. */
  pruneRecords(now: Date, signal?: AbortSignal): Promise<{ acks: number; exports: number }>;
}

export function createRumRetention(ctx: Pick<DomainContext, 'store' | 'writer' | 'config'>, opts: { chunk?: number } = {}): RumRetention {
  const chunk = opts.chunk ?? RUM_PRUNE_CHUNK;
  const prefix = keys.rumAckedPrefix;
  const cutoffOf = (now: Date) => new Date(now.getTime() - ctx.config.retention.acknowledgedDays * DAY_MS).toISOString();

  /**
   * Walks the keys under `under` a chunk at a time and deletes, through the writer, the entries `doomed` picks;
   * `still` checks each again inside the transaction (it may have changed since it was read).
   */
  async function sweep<T>(under: string, doomed: (k: string, v: T) => boolean, still: (v: T | undefined) => boolean, signal?: AbortSignal): Promise<number> {
    const { gte, lt } = prefixRange(under) as { gte: string; lt: string };
    let after: string | null = null;
    let deleted = 0;
    for (;;) {
      const found: string[] = [];
      let read = 0;
      let last = '';
      for await (const [k, v] of ctx.store.iterate<T>(after === null ? { gte, lt, limit: chunk } : { gt: after, lt, limit: chunk })) {
        read++;
        last = k;
        if (doomed(k, v)) found.push(k);
      }
      if (read === 0) return deleted;
      after = last;
      if (found.length > 0) {
        const started = performance.now();
        deleted += await ctx.writer.run(async (tx) => {
          let n = 0;
          for (const k of found) {
            if (!still(await tx.get<T>(k))) continue;
            tx.del(k);
            n++;
          }
          return n;
        });
        if (read === chunk && !signal?.aborted) await wait(performance.now() - started);
      }
      if (read < chunk || signal?.aborted) return deleted;
    }
  }

  return {
    async pruneRecords(now, signal) {
      const cutoff = cutoffOf(now);
      const delivered = (e: AckEntry | undefined) => !!e?.deliveredAt && e.deliveredAt <= cutoff;
      const acks = await sweep<AckEntry>(keys.rumAcksPrefix, (_k, e) => delivered(e), delivered, signal);
      if (signal?.aborted) return { acks, exports: 0 };
      // The newest export's key: the last under the prefix.
      let newest: string | null = null;
      for await (const [k] of ctx.store.iterate(prefixRange(keys.rumExportPrefix, { reverse: true, limit: 1, values: false }))) newest = k;
      const old = (k: string, r: RumExportRecord | undefined) => !!r && k !== newest && r.at <= cutoff;
      const exports = await sweep<RumExportRecord>(keys.rumExportPrefix, old, () => true, signal);
      return { acks, exports };
    },
    async prune(now, signal) {
      const cutoff = cutoffOf(now);
      // Every entry acknowledged at or before the cutoff: `<prefix><at>!…` with at ≤ cutoff.
      const end = `${prefix}${cutoff}\uffff`;
      let after: string = prefix;
      let pruned = 0;
      for (;;) {
        const found: Array<[string, string]> = [];
        for await (const [k, rumKey] of ctx.store.iterate<string>({ gt: after, lt: end, limit: chunk })) found.push([k, rumKey]);
        if (found.length === 0) return pruned;
        const started = performance.now();
        pruned += await ctx.writer.run(async (tx) => {
          let n = 0;
          for (const [k, rumKey] of found) {
            tx.del(k);
            const r = await tx.get<RumStored>(rumKey);
            if (!r || r.report === null || !r.acknowledged) continue;
            tx.put(rumKey, tombstoneOf(r, now));
            n++;
          }
          return n;
        });
        after = found.at(-1)![0];
        if (found.length < chunk || signal?.aborted) return pruned;
        await wait(performance.now() - started);
      }
    },
  };
}
