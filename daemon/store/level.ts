// The LevelDB implementation of the store port (classic-level through `level`).
import { Level } from 'level';
import type { BatchOp, Range, Store } from './port.ts';

/** Thrown when another process holds the database lock. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

/**
 * LevelDB memory-maps every table file it holds open (up to 1000 maps on 64-bit), and keeps up to
 * `maxOpenFiles` − 10 tables open in its table cache. Pages of a table touched by a scan stay
 * mapped, so counted in the process's RSS, until the table leaves that cache: a full scan (an
 * export of a million reports) would map most of the database. The smallest table cache LevelDB
 * allows (64 tables: it raises `maxOpenFiles` below 74 to 74) and the smallest tables (1 MiB)
 * bound those pages at ~64 MiB whatever the size of the database; the price is that random reads
 * in a large database reopen tables more often (see README, Benchmarks).
 */
export const LEVEL_OPTIONS = { maxOpenFiles: 74, maxFileSize: 1024 * 1024 } as const;

export class LevelStore implements Store {
  readonly #db: Level<string, string>;
  readonly location: string;

  constructor(location: string) {
    this.location = location;
    this.#db = new Level<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8', ...LEVEL_OPTIONS });
  }

  async open(): Promise<void> {
    try {
      await this.#db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(`database ${this.location} is locked by another process`);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  /**
   * Closes and opens the database again: the way out of LevelDB's sticky write error once the
   * disk has room (opening replays the log, whose torn last record, if any, is dropped). The
   * caller makes sure no write is in flight; reads meanwhile fail as the database not open.
   */
  async reopen(): Promise<void> {
    if (this.#db.status === 'open' || this.#db.status === 'opening') await this.#db.close();
    await this.open();
  }

  async get<T>(key: string): Promise<T | undefined> {
    return decode<T>(await this.#db.get(key));
  }

  getSync<T>(key: string): T | undefined {
    return decode<T>(this.#db.getSync(key));
  }

  async batch(ops: BatchOp[], opts: { sync?: boolean } = {}): Promise<void> {
    if (ops.length === 0) return;
    // A chained batch, values encoded here: abstract-level's array batch clones, checks and
    // encodes each operation at several microseconds apiece, a chained put hands the strings
    // straight to LevelDB's write batch (ingest writes four records a report).
    const b = this.#db.batch();
    try {
      for (const op of ops) {
        if (op.type === 'put') b.put(op.key, JSON.stringify(op.value));
        else b.del(op.key);
      }
    } catch (err) {
      await b.close(); // a value that cannot be encoded: nothing is written
      throw err;
    }
    await b.write({ sync: opts.sync ?? false });
  }

  async *chunks<T>(range: Range, size: number, first = size): AsyncIterable<Array<[string, T]>> {
    const { limit, values, ...rest } = range;
    const it = this.#db.iterator({ ...rest, limit: limit ?? -1, values: values ?? true });
    try {
      for (let want = first; ; want = size) {
        const entries = await it.nextv(want);
        if (entries.length === 0) return;
        yield entries.map(([k, v]) => [k, decode<T>(v) as T]);
      }
    } finally {
      await it.close();
    }
  }

  async *iterate<T>(range: Range): AsyncIterable<[string, T]> {
    const { limit, values, ...rest } = range;
    const it = this.#db.iterator({ ...rest, limit: limit ?? -1, values: values ?? true });
    try {
      for await (const [k, v] of it) yield [k, decode<T>(v) as T];
    } finally {
      await it.close();
    }
  }
}

const decode = <T>(v: string | undefined): T | undefined => (v === undefined ? undefined : (JSON.parse(v) as T));
