// The LevelDB implementation of the store port (classic-level through `level`).
import { Level } from 'level';
import type { BatchOp, Range, Store } from './port.ts';

/** Thrown when another process holds the database lock. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

export class LevelStore implements Store {
  readonly #db: Level<string, unknown>;
  readonly location: string;

  constructor(location: string) {
    this.location = location;
    this.#db = new Level<string, unknown>(location, { keyEncoding: 'utf8', valueEncoding: 'json' });
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

  get<T>(key: string): Promise<T | undefined> {
    return this.#db.get(key) as Promise<T | undefined>;
  }

  getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    return this.#db.getMany(keys) as Promise<Array<T | undefined>>;
  }

  async batch(ops: BatchOp[], opts: { sync?: boolean } = {}): Promise<void> {
    if (ops.length === 0) return;
    await this.#db.batch(ops as never, { sync: opts.sync ?? false });
  }

  async *chunks<T>(range: Range, size: number): AsyncIterable<Array<[string, T]>> {
    const { limit, values, ...rest } = range;
    const it = this.#db.iterator({ ...rest, limit: limit ?? -1, values: values ?? true });
    try {
      for (;;) {
        const entries = await it.nextv(size);
        if (entries.length === 0) return;
        yield entries as Array<[string, T]>;
      }
    } finally {
      await it.close();
    }
  }

  async *iterate<T>(range: Range): AsyncIterable<[string, T]> {
    const { limit, values, ...rest } = range;
    const it = this.#db.iterator({ ...rest, limit: limit ?? -1, values: values ?? true });
    try {
      for await (const entry of it) yield entry as [string, T];
    } finally {
      await it.close();
    }
  }
}
