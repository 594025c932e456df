// The store port: the small interface domain code uses. Values are JSON; keys are strings that
// sort as the key layout (keys.ts) intends.

export type BatchOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

export interface Range {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
  /** false: entries come with an undefined value, and values are not read or decoded. */
  values?: boolean;
}

export interface Store {
  open(): Promise<void>;
  close(): Promise<void>;
  get<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Reads one key on the calling thread, without a round trip through the thread pool. For the
   * writer's transactions, whose reads are a few keys that LevelDB answers from its memtable,
   * block cache or bloom filters in microseconds; long scans use `iterate` / `chunks`.
   */
  getSync<T = unknown>(key: string): T | undefined;
  /** Applies all ops atomically; `sync` waits until they are on disk. */
  batch(ops: BatchOp[], opts?: { sync?: boolean }): Promise<void>;
  /** Entries in key order, from one consistent view taken when iteration starts. */
  iterate<T = unknown>(range: Range): AsyncIterable<[string, T]>;
  /**
   * As `iterate`, in arrays of up to `size` entries: one await per array, for long scans (exports).
   * The first array holds up to `first` (default `size`): a short look that may go on.
   */
  chunks<T = unknown>(range: Range, size: number, first?: number): AsyncIterable<Array<[string, T]>>;
}

/** Every key starting with `prefix`. */
export function prefixRange(prefix: string, extra: Omit<Range, 'gt' | 'gte' | 'lt' | 'lte'> = {}): Range {
  return { gte: prefix, lt: prefix + '\uffff', ...extra };
}
