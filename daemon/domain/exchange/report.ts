// Writing the next satellite report (SPEC §5, §9): all six files, each queue's oldest records
// first, up to exchange.maxReportBytes. Nothing is held in memory: usage streams from the
// `rpq!` queue in key order, its reports fetched a thousand at a time. What the report carried
// is remembered by reference (the last queue key of each file), never as a copy.
import { describeIssue, usageRecord, type UsageRecord, type VirtualAccountRecord } from '../../../exchange/bundle/records.ts';
import { toUtcInstant } from '../../../exchange/bundle/instant.ts';
import type { BundleFileInput } from '../../../exchange/bundle/write.ts';
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import { DEVICE_CHANGE_SEQ, type DeviceChange } from '../devices/device-journal.ts';
import type { AckLedger } from '../reports/acks.ts';
import type { QueuedReport } from '../satellite/records.ts';
import type { ExchangeBook, ExportRecord } from './book.ts';
import type { BundleWriter, ExportSources, Pending } from './ports.ts';
import type { Quarantine } from './quarantine.ts';

export const EXPORT_SEQ = 'export';

export interface ExportResult {
  sequence: number;
  /** Records in the report's data files, all five together. */
  records: number;
  more: boolean;
}

/** Writes the next satellite report to `out` (a path) and records what it carried. */
export async function writeSatelliteReport(
  ctx: DomainContext,
  deps: { book: ExchangeBook; ledger: AckLedger; sources: ExportSources; write: BundleWriter; quarantine: Quarantine },
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
      bounds: { usageFrom: deps.ledger.watermark, usage: ctx.seq.current('report'), devices: ctx.seq.current(DEVICE_CHANGE_SEQ) },
      carried: null,
      records: null,
      more: false,
    };
    tx.put(keys.exported(sequence), record);
    return record;
  });

  const devices = new Tracked<DeviceChange>(queue<DeviceChange>(ctx, keys.deviceChangePrefix, keys.deviceChange(begun.bounds.devices)));
  // Reports the bundle schema refuses are left out and set aside once the report is written.
  const refused: Refused[] = [];
  const usage = new Tracked<UsageRecord>(usageQueue(ctx, begun.bounds.usageFrom, begun.bounds.usage, refused));
  const transfers = new Tracked(inChunks(deps.sources.transfers.pending()));
  const reservations = new Tracked(inChunks(deps.sources.reservations.pending()));
  const rum = new Tracked(inChunks(deps.sources.rum?.pending() ?? []));
  const files: BundleFileInput[] = [
    { name: 'virtual-accounts.ndjson', records: vaSnapshot(ctx) },
    { name: 'devices.ndjson', chunks: devices },
    { name: 'usage.ndjson', chunks: usage },
    { name: 'transfers.ndjson', chunks: transfers },
    { name: 'reservations.ndjson', chunks: reservations },
    { name: 'rum.ndjson', chunks: rum },
  ];
  const { manifest, more } = await deps.write({
    out,
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
      rum: rum.cursorAt(at('rum.ndjson')),
    },
    records: counts,
    more,
  };
  const records = manifest.files.reduce((n, f) => n + f.records, 0);
  await ctx.writer.run(async (tx) => {
    tx.put(keys.exported(done.sequence), done);
    for (const r of refused) await deps.quarantine.stage(ctx, tx, r.seq, r.report, r.reason, actor);
    recordEvent(tx, ctx, ctx.clock(), { actor, type: 'exchange.exported', vaId: null, details: { sequence: done.sequence, records: counts, more } });
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

/** Records in arrays, each with its cursor: the unit the exports pass along. */
interface Chunk<R> {
  cursors: string[];
  records: R[];
}

const CHUNK = 1000;

/** A `<prefix><seq16>` queue up to `last` (inclusive), in key order, cursor = the sequence. */
async function* queue<R>(ctx: DomainContext, prefix: string, last: string): AsyncGenerator<Chunk<R>> {
  for await (const entries of ctx.store.chunks<R>({ gte: prefix, lte: last }, CHUNK)) {
    yield { cursors: entries.map(([k]) => k.slice(prefix.length)), records: entries.map(([, v]) => v) };
  }
}

/** An export source's records, in arrays. */
async function* inChunks<R>(source: AsyncIterable<Pending<R>> | Iterable<Pending<R>>): AsyncGenerator<Chunk<R>> {
  let chunk: Chunk<R> = { cursors: [], records: [] };
  for await (const { cursor, record } of source) {
    chunk.cursors.push(cursor);
    chunk.records.push(record);
    if (chunk.records.length >= CHUNK) {
      yield chunk;
      chunk = { cursors: [], records: [] };
    }
  }
  if (chunk.records.length > 0) yield chunk;
}

/** A queued report the bundle schema refuses: its queue sequence and why. */
interface Refused {
  seq: number;
  report: QueuedReport;
  reason: string;
}

/**
 * Unacknowledged reports in arrival order: the `rpq!` entries above `from` up to `last`, read
 * in one pass, a thousand at a time. One the bundle schema refuses goes to `refused`, not into
 * the bundle, so no stored record can block every export after it.
 */
async function* usageQueue(ctx: DomainContext, from: number, last: number, refused: Refused[]): AsyncGenerator<Chunk<UsageRecord>> {
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
  for await (const entries of ctx.store.chunks<QueuedReport>({ gt: keys.unacked(from), lte: keys.unacked(last) }, CHUNK)) {
    const chunk: Chunk<UsageRecord> = { cursors: [], records: [] };
    for (const [key, r] of entries) {
      const record: UsageRecord = {
        reportId: r.reportId,
        deviceId: r.deviceId,
        virtualAccount: pathOf(r.vaId),
        // Devices may send offsets; the bundle carries UTC instants.
        window: { start: bundleInstant(r.window?.start), end: bundleInstant(r.window?.end) },
        usage: r.usage,
        receivedAt: r.receivedAt,
      };
      const checked = usageRecord.safeParse(record);
      if (!checked.success) {
        refused.push({ seq: Number(key.slice(prefix.length)), report: r, reason: describeIssue(checked.error) });
        continue;
      }
      chunk.cursors.push(key.slice(prefix.length));
      chunk.records.push(record);
    }
    if (chunk.records.length > 0) yield chunk;
  }
}

/**
 * `s` as `toISOString()` writes it. Reports stored before instants were checked strictly may
 * leave out the seconds or carry more than three fraction digits (forms the device API then
 * accepted): those are completed, and must still be real instants. Anything else is passed
 * through as it is, for the bundle schema to refuse.
 */
function bundleInstant(s: unknown): string {
  if (typeof s !== 'string') return String(s);
  if (s.length === 24 && s.endsWith('Z') && s[10] === 'T' && toUtcInstant(s) !== null) return s;
  const legacy = s.replace(/T(\d{2}:\d{2})(?=Z|[+-]\d{2}:\d{2}$)/, 'T$1:00').replace(/(\.\d{3})\d+(?=Z|[+-])/, '$1');
  return toUtcInstant(legacy) ?? s;
}

/**
 * Passes record arrays through to the bundle writer and remembers the cursors of the last array
 * and the last cursor before it: the writer stops inside the array where the byte cap falls, so
 * the last record in the bundle is in that array or ends the one before — the manifest's count
 * says which.
 */
class Tracked<R> implements AsyncIterable<R[]> {
  readonly #source: AsyncIterable<Chunk<R>>;
  /** Records in the arrays before the last one. */
  #before = 0;
  #lastCursors: string[] = [];
  #previousCursor: string | null = null;

  constructor(source: AsyncIterable<Chunk<R>>) {
    this.#source = source;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<R[]> {
    for await (const chunk of this.#source) {
      if (this.#lastCursors.length > 0) this.#previousCursor = this.#lastCursors.at(-1)!;
      this.#before += this.#lastCursors.length;
      this.#lastCursors = chunk.cursors;
      yield chunk.records;
    }
  }

  /** The cursor of record number `count` (1-based), i.e. the last of the first `count`; null for 0. */
  cursorAt(count: number): string | null {
    if (count === 0) return null;
    if (count === this.#before) return this.#previousCursor;
    const i = count - this.#before - 1;
    if (i < 0 || i >= this.#lastCursors.length) throw new TypeError(`the bundle holds ${count} records, which the cursors read do not cover`);
    return this.#lastCursors[i]!;
  }
}

const numberOrNull = (cursor: string | null): number | null => (cursor === null ? null : Number(cursor));
