// Writing the next satellite report (SPEC §5): all five files, each queue's oldest records
// first, up to exchange.maxReportBytes. Nothing is held in memory: usage streams from the
// `rpq!` queue in key order, its reports fetched a thousand at a time. What the report carried
// is remembered by reference (the last queue key of each file), never as a copy.
import { publicJwkOf, writeBundle } from '../../../exchange/bundle/index.ts';
import type { BundleFileInput, UsageRecord, VirtualAccountRecord } from '../../../exchange/bundle/index.ts';
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { DEVICE_CHANGE_SEQ, type DeviceChange } from '../device-journal.ts';
import type { StoredReport } from '../types.ts';
import type { ExchangeBook, ExportRecord } from './book.ts';
import type { ExportSources, Pending } from './ports.ts';

export const EXPORT_SEQ = 'export';
const FETCH_BATCH = 1000;

export interface ExportResult {
  sequence: number;
  /** Records in the report's data files, all five together. */
  records: number;
  more: boolean;
}

/** Writes the next satellite report to `out` (a path) and records what it carried. */
export async function writeSatelliteReport(
  ctx: DomainContext,
  deps: { book: ExchangeBook; sources: ExportSources },
  out: string,
  actor: Actor,
): Promise<ExportResult> {
  const { state, identity } = ctx;
  const now = ctx.clock();
  // The cut: taken inside the writer, so every report and device change up to these counters is
  // already durable, and nothing after them goes into this report.
  const begun = await ctx.writer.run((tx) => {
    const sequence = ctx.seq.next(tx, EXPORT_SEQ);
    const record: ExportRecord = {
      sequence,
      createdAt: now.toISOString(),
      bounds: { usage: ctx.seq.current('report'), devices: ctx.seq.current(DEVICE_CHANGE_SEQ) },
      carried: null,
      records: null,
      more: false,
    };
    tx.put(keys.exported(sequence), record);
    return record;
  });

  const devices = new Tracked<DeviceChange>(queue<DeviceChange>(ctx, keys.deviceChangePrefix, keys.deviceChange(begun.bounds.devices)));
  const usage = new Tracked<UsageRecord>(usageQueue(ctx, begun.bounds.usage));
  const transfers = new Tracked(deps.sources.transfers.pending());
  const reservations = new Tracked(deps.sources.reservations.pending());
  const files: BundleFileInput[] = [
    { name: 'virtual-accounts.ndjson', records: vaSnapshot(ctx) },
    { name: 'devices.ndjson', records: devices },
    { name: 'usage.ndjson', records: usage },
    { name: 'transfers.ndjson', records: transfers },
    { name: 'reservations.ndjson', records: reservations },
  ];
  const { manifest, more } = await writeBundle({
    out,
    privateKey: identity.privateKey,
    publicJwk: publicJwkOf(identity.privateKey),
    manifest: {
      kind: 'satellite-report',
      satellite: identity.id,
      account: state.satellite.cloudAccountId,
      sequence: begun.sequence,
      inReplyTo: null,
      createdAt: begun.createdAt,
    },
    files,
    maxBytes: ctx.config.exchange.maxReportBytes,
  });
  const counts = Object.fromEntries(manifest.files.map((f) => [f.name, f.records]));
  const at = (name: string) => counts[name] ?? 0;
  const done: ExportRecord = {
    ...begun,
    carried: {
      usage: numberOrNull(usage.cursorAt(at('usage.ndjson'))),
      devices: numberOrNull(devices.cursorAt(at('devices.ndjson'))),
      transfers: transfers.cursorAt(at('transfers.ndjson')),
      reservations: reservations.cursorAt(at('reservations.ndjson')),
    },
    records: counts,
    more,
  };
  const records = manifest.files.reduce((n, f) => n + f.records, 0);
  await ctx.writer.run((tx) => {
    tx.put(keys.exported(done.sequence), done);
    recordEvent(tx, ctx.seq, ctx.clock(), { actor, type: 'exchange.exported', vaId: null, details: { sequence: done.sequence, records: counts, more } });
    const exchange = { ...deps.book.exchange, lastExported: Math.max(done.sequence, deps.book.exchange.lastExported ?? 0) };
    tx.put(keys.exchange, exchange);
    tx.after(() => (deps.book.exchange = exchange));
  });
  return { sequence: done.sequence, records, more };
}

/** The full VA snapshot, parents before children. */
function vaSnapshot(ctx: DomainContext): VirtualAccountRecord[] {
  return [...ctx.state.vas.values()]
    .map((va) => ({ id: va.id, path: ctx.state.vaPath(va.id), parentId: va.parentId, tags: { ...va.tags } }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A `<prefix><seq16>` queue up to `last` (inclusive), in key order, cursor = the sequence. */
async function* queue<R>(ctx: DomainContext, prefix: string, last: string): AsyncGenerator<Pending<R>> {
  for await (const [key, record] of ctx.store.iterate<R>({ gte: prefix, lte: last })) {
    yield { cursor: key.slice(prefix.length), record };
  }
}

/** Unacknowledged reports in arrival order, up to the `rpq!` sequence `last`. */
async function* usageQueue(ctx: DomainContext, last: number): AsyncGenerator<Pending<UsageRecord>> {
  const paths = new Map<string, string>();
  const pathOf = (vaId: string): string => {
    let p = paths.get(vaId);
    if (p === undefined) {
      // A report keeps the VA it was made in; if that VA is gone, Default stands for it.
      p = ctx.state.vas.has(vaId) ? ctx.state.vaPath(vaId) : 'Default';
      paths.set(vaId, p);
    }
    return p;
  };
  const prefix = keys.unackedPrefix;
  let batch: Array<[string, string]> = [];
  async function* resolve(entries: Array<[string, string]>): AsyncGenerator<Pending<UsageRecord>> {
    const reports = await ctx.store.getMany<StoredReport>(entries.map(([, id]) => keys.report(id)));
    for (let i = 0; i < entries.length; i++) {
      const r = reports[i];
      if (!r) continue; // cannot happen while queued; skipping keeps one bad key from blocking every export
      yield {
        cursor: entries[i]![0],
        record: {
          reportId: r.reportId,
          deviceId: r.deviceId,
          virtualAccount: pathOf(r.vaId),
          // Devices may send offsets or leave out seconds; the bundle carries UTC instants.
          window: { start: new Date(r.window.start).toISOString(), end: new Date(r.window.end).toISOString() },
          usage: r.usage,
          receivedAt: r.receivedAt,
        },
      };
    }
  }
  for await (const [key, reportId] of ctx.store.iterate<string>({ gte: prefix, lte: keys.unacked(last) })) {
    batch.push([key.slice(prefix.length), reportId]);
    if (batch.length >= FETCH_BATCH) {
      yield* resolve(batch);
      batch = [];
    }
  }
  yield* resolve(batch);
}

/**
 * Passes records through to the bundle writer and remembers the cursors of the last two it
 * pulled: the writer reads one record past the byte cap, so the last record in the bundle is
 * the last pulled or the one before it — the manifest's count says which.
 */
class Tracked<R> implements AsyncIterable<R> {
  readonly #source: AsyncIterable<Pending<R>> | Iterable<Pending<R>>;
  #pulled = 0;
  #last: string | null = null;
  #previous: string | null = null;

  constructor(source: AsyncIterable<Pending<R>> | Iterable<Pending<R>>) {
    this.#source = source;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<R> {
    for await (const { cursor, record } of this.#source) {
      this.#previous = this.#last;
      this.#last = cursor;
      this.#pulled++;
      yield record;
    }
  }

  /** The cursor of record number `count` (1-based), i.e. the last of the first `count`; null for 0. */
  cursorAt(count: number): string | null {
    if (count === 0) return null;
    if (count === this.#pulled) return this.#last;
    if (count === this.#pulled - 1) return this.#previous;
    throw new TypeError(`the bundle holds ${count} records but ${this.#pulled} were read`);
  }
}

const numberOrNull = (cursor: string | null): number | null => (cursor === null ? null : Number(cursor));
