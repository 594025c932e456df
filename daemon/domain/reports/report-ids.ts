// Which report ids may already be stored. Duplicate detection reads `rep!<reportId>` for every
// report, and almost every report is new: that read is a miss LevelDB answers only after
// consulting each level's table (and, in a large store, opening tables its small table cache
// has dropped), on the main thread. A Bloom filter over every stored id answers "certainly new"
// from memory instead; "maybe stored" still reads the store, so a false positive costs one read
// and never a wrong answer.
//
// A graceful shutdown saves the filter to `<dataDir>/report-ids.bloom` (daemon/files/report-ids-file.ts) with the report sequence
// and satellite it covers; the next start takes it back, if both still match the store, and
// deletes the file, so a file is only ever used by the start right after the shutdown that wrote
// it. Otherwise (a crash, a restored backup, an older version) the filter is filled in the
// background by a keys-only scan of `rep!`, so start-up does not wait for it; until the scan is
// done every id counts as "maybe stored". Ids staged meanwhile are added as they are staged,
// before the scan's snapshot or after it, so none is missed. Ids of pruned reports stay in the
// filter: they only cost a read. (The scan maps up to LevelDB's 64 cached tables of `rep!`, ~60 MB
// of file-backed RSS, until other reads displace them; a saved filter costs 2 MiB to read.)
import { BloomFilter } from 'bloomfilter';
import { endianness } from 'node:os';
import type { Store } from '../../store/index.ts';
import { keys, prefixRange } from '../../store/index.ts';

const MAGIC = 'outpost.report-ids/1';

/** 2^24 bits (2 MiB) and 7 hashes: ~0.05 % false positives at 1,000,000 ids, ~10 % at 3,000,000. */
const BITS = 1 << 24;
const HASHES = 7;

export class ReportIdFilter {
  #filter = new BloomFilter(BITS, HASHES);
  #ready = false;
  #stopped = false;
  #loading: Promise<unknown> = Promise.resolve();

  /** False only when `reportId` is certainly not stored. */
  mayContain(reportId: string): boolean {
    return !this.#ready || this.#filter.test(reportId);
  }

  /** Called as a report is staged, before it is durable: a failed batch leaves a false positive. */
  add(reportId: string): void {
    this.#filter.add(reportId);
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Adds every stored id; resolves with how many, or null when stopped first. */
  load(store: Store): Promise<number | null> {
    const loading = this.#load(store);
    this.#loading = loading.catch(() => {});
    return loading;
  }

  async #load(store: Store): Promise<number | null> {
    let n = 0;
    for await (const chunk of store.chunks(prefixRange(keys.reportPrefix, { values: false }), 2000)) {
      if (this.#stopped) return null;
      for (const [key] of chunk) this.#filter.add(key.slice(keys.reportPrefix.length));
      n += chunk.length;
    }
    this.#ready = !this.#stopped;
    return this.#ready ? n : null;
  }

  /**
   * Takes back a filter saved at shutdown (`bytes`, as `serialize` made them) when it covers
   * exactly this store (same satellite, same report sequence). True when the filter is ready.
   */
  restore(bytes: Buffer, cover: { satelliteId: string; reportSeq: number }): boolean {
    const headerEnd = bytes.indexOf(0x0a);
    if (headerEnd < 0 || headerEnd > 1024) return false;
    let header: { format?: unknown; satelliteId?: unknown; reportSeq?: unknown; bits?: unknown; hashes?: unknown; endianness?: unknown };
    try {
      header = JSON.parse(bytes.subarray(0, headerEnd).toString('utf8'));
    } catch {
      return false;
    }
    const body = bytes.subarray(headerEnd + 1);
    if (
      header.format !== MAGIC ||
      header.satelliteId !== cover.satelliteId ||
      header.reportSeq !== cover.reportSeq ||
      header.bits !== BITS ||
      header.hashes !== HASHES ||
      header.endianness !== endianness() ||
      body.length !== BITS / 8
    ) {
      return false;
    }
    const words = new Uint32Array(BITS / 32);
    Buffer.from(words.buffer).set(body);
    this.#filter = new BloomFilter(words, HASHES);
    this.#ready = true;
    return true;
  }

  /** A ready filter as bytes for the next start (graceful shutdown, after the last write); null when not ready. */
  serialize(cover: { satelliteId: string; reportSeq: number }): Buffer | null {
    if (!this.#ready) return null;
    const header = JSON.stringify({ format: MAGIC, satelliteId: cover.satelliteId, reportSeq: cover.reportSeq, bits: BITS, hashes: HASHES, endianness: endianness() });
    return Buffer.concat([Buffer.from(header + '\n'), Buffer.from(this.#filter.buckets.buffer)]);
  }

  /** Ends a load in progress at its next chunk, and waits for it (shutdown, before the store closes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loading;
  }
}
