// The LevelDB implementation of the store port (classic-level through `level`).
import { Level } from 'level';
import type { BatchOp, Range, Store } from './port.ts';

/** Thrown when another process holds the database lock. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

export class LevelStore implements Store {
  readonly #db: Level<string, string>;
  readonly location: string;

  constructor(location: string) {
    this.location = location;
    this.#db = new Level<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
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

  async get<T>(key: string): Promise<T | undefined> {
    return decode<T>(await this.#db.get(key));
  }

  getSync<T>(key: string): T | undefined {
    return decode<T>(this.#db.getSync(key));
  }

  async getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    return (await this.#db.getMany(keys)).map((v) => decode<T>(v));
  }

  async batch(ops: BatchOp[], opts: { sync?: boolean } = {}): Promise<void> {
    if (ops.length === 0) return;
    // A chained batch, values encoded here: abstract-level's array batch clones, checks and
    // encodes each operation at several microseconds apiece, a chained put hands the strings
    // straight to LevelDB's write batch (ingest writes four records a report).
    const b = this.#db.batch();
    for (const op of ops) {
      if (op.type === 'put') b.put(op.key, JSON.stringify(op.value));
      else b.del(op.key);
    }
    await b.write({ sync: opts.sync ?? false });
  }

  async *chunks<T>(range: Range, size: number): AsyncIterable<Array<[string, T]>> {
    const { limit, values, ...rest } = range;
    const it = this.#db.iterator({ ...rest, limit: limit ?? -1, values: values ?? true });
    try {
      for (;;) {
        const entries = await it.nextv(size);
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
