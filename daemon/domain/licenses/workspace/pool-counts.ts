// The pools' usage sums at start-up without reading the fleet. A graceful shutdown saves them
// (a few bytes per VA and entitlement), tagged with the satellite and its sequences; the next
// start takes them back when that tag matches the store, and the file is deleted either way,
// so after a crash there is none. Otherwise (a crash, a restored backup, a migration, a file
// missing or altered) they are counted again in the background: the device records (`dev!`)
// and latest usages (`dlu!`), both keyed by device id, are walked together in chunks, one
// writer transaction per chunk. Until the sums are whole, pool reads wait (`counted`) or are
// refused with 503: a partial sum is never answered.
//
// Why counting in the background stays exact while devices report: a chunk is read inside a
// plain writer transaction, which runs when every earlier batch is durable and its `after`
// callbacks have run, and no batch becomes durable while it runs. So a chunk sees a device
// exactly as the watchers last told it (what transactions beside it staged is not in the store
// yet, and reaches the watchers later); a change the watchers bring later is applied when the
// device's id is at or below the last one counted, and left to the walk otherwise (a later
// chunk reads it from the store). Device ids are ASCII, so LevelDB's byte order is JS's.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { OutpostError } from '../../../errors.ts';
import { keys, prefixRange, type Store, type Writer } from '../../../store/index.ts';
import type { DeviceRecord, LatestUsage } from '../../satellite/records.ts';
import type { PoolIndex } from '../core/index.ts';

const FORMAT = 'outpost.pool-counts/1';
/** Devices per chunk: a chunk holds the writer (and so ingest) for ~10 ms on the 2-core VM. */
const CHUNK = 1000;

/** What proves saved counts current: the satellite, and every sequence as the store holds it. */
export interface Cover {
  satelliteId: string;
  sequences: Record<string, number>;
}

const savedSchema = z.strictObject({
  format: z.literal(FORMAT),
  satelliteId: z.string(),
  sequences: z.record(z.string(), z.number()),
  counts: z.array(z.tuple([z.string(), z.string(), z.number().int().safe().positive()])),
  digest: z.string(),
});

/** Where a device's usage counts: its VA while registered, nowhere otherwise. */
export const countedIn = (d: DeviceRecord | undefined): string | null => (d !== undefined && d.state === 'registered' ? d.vaId : null);

const digestOf = (format: string, cover: Cover, counts: unknown): string =>
  createHash('sha256').update(JSON.stringify([format, cover.satelliteId, cover.sequences, counts])).digest('hex');

/** Whether two covers name the same satellite and the same value of every sequence (a saved file is still current). */
export const sameCover = (a: Cover, b: Cover): boolean => {
  const ka = Object.keys(a.sequences);
  return a.satelliteId === b.satelliteId && ka.length === Object.keys(b.sequences).length && ka.every((k) => Object.hasOwn(b.sequences, k) && b.sequences[k] === a.sequences[k]);
};

export interface CountResult {
  devices: number;
  chunks: number;
  ms: number;
}

type Phase = 'unknown' | 'counting' | 'counted' | 'failed';

export class PoolCounts {
  readonly #index: PoolIndex;
  readonly #store: Store;
  readonly #writer: Writer;
  readonly #satelliteId: string;
  #phase: Phase = 'unknown';
  /** While counting: the greatest device id counted so far ('' before the first chunk). */
  #cursor = '';
  /** A change came before the counts were restored or counted: saved counts cannot be current. */
  #dirty = false;
  #stopped = false;
  #running: Promise<CountResult | null> = Promise.resolve(null);
  #markCounted: () => void = () => {};
  /** Settles once the sums are whole (restored or counted), or their count failed (reads then answer 503). */
  readonly counted: Promise<void> = new Promise((resolve) => (this.#markCounted = resolve));

  constructor(index: PoolIndex, deps: { store: Store; writer: Writer; satelliteId: string }) {
    this.#index = index;
    this.#store = deps.store;
    this.#writer = deps.writer;
    this.#satelliteId = deps.satelliteId;
  }

  /** Whether the sums are whole. */
  get ready(): boolean {
    return this.#phase === 'counted';
  }

  /** Throws 503 UNAVAILABLE until the sums are whole: for reads that cannot wait. */
  assertCounted(): void {
    if (this.#phase === 'failed') throw new OutpostError('UNAVAILABLE', 'The license pools could not be counted; restart the satellite.');
    if (this.#phase !== 'counted') {
      throw new OutpostError('UNAVAILABLE', 'The license pools are being counted after an unclean shutdown; retry in a moment.', { headers: { 'Retry-After': '1' } });
    }
  }

  /**
   * Whether a change to device `id` must be applied to the sums now (see the top of the file):
   * always once counted; while counting, for a device the walk has passed.
   */
  follows(id: string): boolean {
    if (this.#phase === 'counted') return true;
    if (this.#phase === 'counting') return id <= this.#cursor;
    this.#dirty = true;
    return false;
  }

  /** The cover of the store as it is now (read once at start and once at shutdown: a few keys). */
  async cover(): Promise<Cover> {
    const prefix = keys.seq('');
    const sequences: Record<string, number> = {};
    for await (const [key, value] of this.#store.iterate<number>(prefixRange(prefix))) sequences[key.slice(prefix.length)] = value;
    return { satelliteId: this.#satelliteId, sequences };
  }

  /** The sums to save at shutdown (after the writer's last batch), or null while they are not whole. */
  serialize(cover: Cover): Buffer | null {
    if (this.#phase !== 'counted') return null;
    const counts = this.#index.usageCounts();
    return Buffer.from(JSON.stringify({ format: FORMAT, satelliteId: cover.satelliteId, sequences: cover.sequences, counts, digest: digestOf(FORMAT, cover, counts) }));
  }

  /**
   * Takes back sums saved at shutdown when they cover exactly this store (same satellite, same
   * sequences, digest intact) and nothing changed since start. True when the sums are whole.
   */
  restore(bytes: Buffer, cover: Cover): boolean {
    if (this.#phase !== 'unknown' || this.#dirty) return false;
    let saved: z.infer<typeof savedSchema>;
    try {
      saved = savedSchema.parse(JSON.parse(bytes.toString('utf8')));
    } catch {
      return false;
    }
    if (!sameCover(saved, cover)) return false;
    if (saved.digest !== digestOf(FORMAT, cover, saved.counts)) return false;
    this.#index.clearUsage();
    for (const [vaId, entitlement, n] of saved.counts) this.#index.countUsage(vaId, { [entitlement]: n }, 1);
    this.#finish();
    return true;
  }

  /**
   * Counts the sums from the device records and latest usages, in the background: resolves when
   * done (null when there was nothing to do or `stop` ended it first).
   */
  count(): Promise<CountResult | null> {
    if (this.#phase !== 'unknown') return this.#running;
    this.#phase = 'counting';
    this.#cursor = '';
    this.#index.clearUsage();
    this.#running = this.#walk().catch((err: unknown) => {
      // Waiters are let go: their reads then answer 503 instead of hanging.
      this.#phase = 'failed';
      this.#markCounted();
      throw err;
    });
    return this.#running;
  }

  /** Ends a count in progress at its next chunk, and waits for it (shutdown, before the writer closes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running.catch(() => null);
  }

  #finish(): void {
    this.#phase = 'counted';
    this.#markCounted();
  }

  async #walk(): Promise<CountResult | null> {
    const started = performance.now();
    let devices = 0;
    let chunks = 0;
    const devEnd = prefixRange(keys.devicePrefix).lt!;
    const dluEnd = prefixRange(keys.latestUsagePrefix).lt!;
    for (;;) {
      if (this.#stopped) return null;
      // A plain transaction (not txOnly) that writes nothing: see the top of the file.
      const done = await this.#writer.run(async () => {
        const devs: Array<{ id: string; d: DeviceRecord }> = [];
        for await (const [key, d] of this.#store.iterate<DeviceRecord>({ gt: keys.device(this.#cursor), lt: devEnd, limit: CHUNK })) {
          devs.push({ id: key.slice(keys.devicePrefix.length), d });
        }
        const last = devs.length === CHUNK ? devs[devs.length - 1]!.id : null;
        const usages = this.#store.iterate<LatestUsage>({ gt: keys.latestUsage(this.#cursor), ...(last === null ? { lt: dluEnd } : { lte: keys.latestUsage(last) }) });
        // A merge join: both sides come in device-id order.
        let i = 0;
        for await (const [key, latest] of usages) {
          const id = key.slice(keys.latestUsagePrefix.length);
          while (i < devs.length && devs[i]!.id < id) i++;
          if (i === devs.length) break;
          if (devs[i]!.id !== id) continue;
          const va = countedIn(devs[i]!.d);
          if (va !== null) this.#index.countUsage(va, latest.usage, 1);
        }
        devices += devs.length;
        chunks++;
        if (last === null) {
          this.#finish();
          return true;
        }
        this.#cursor = last;
        return false;
      });
      if (done) return { devices, chunks, ms: performance.now() - started };
    }
  }
}
