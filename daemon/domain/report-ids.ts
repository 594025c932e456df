// Which report ids may already be stored. Duplicate detection reads `rep!<reportId>` for every
// report, and almost every report is new: that read is a miss LevelDB answers only after
// consulting each level's table (and, in a large store, opening tables its small table cache
// has dropped), on the main thread. A Bloom filter over every stored id answers "certainly new"
// from memory instead; "maybe stored" still reads the store, so a false positive costs one read
// and never a wrong answer.
//
// The filter is filled in the background after start-up (a keys-only scan of `rep!`), so start-up
// does not wait for it; until the scan is done every id counts as "maybe stored". Ids staged
// meanwhile are added as they are staged, before the scan's snapshot or after it, so none is
// missed. Ids of pruned reports stay in the filter: they only cost a read.
import { BloomFilter } from 'bloomfilter';
import type { Store } from '../store/index.ts';
import { keys, prefixRange } from '../store/index.ts';

/** 2^24 bits (2 MiB) and 7 hashes: ~0.05 % false positives at 1,000,000 ids, ~10 % at 3,000,000. */
const BITS = 1 << 24;
const HASHES = 7;

export class ReportIdFilter {
  readonly #filter = new BloomFilter(BITS, HASHES);
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

  /** Ends a load in progress at its next chunk, and waits for it (shutdown, before the store closes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loading;
  }
}
