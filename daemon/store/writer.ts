// The one writer: every change of state runs here, one transaction after another, so a check and
// the write that depends on it cannot interleave with another request's. Transactions queued
// while a batch is being synced are committed together in the next synced batch (group commit).
import { OutpostError } from '../errors.ts';
import type { BatchOp, Store } from './port.ts';

/** What a transaction sees: the store plus everything staged before it in the same group. */
export interface Tx {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): void;
  del(key: string): void;
  /** Runs after the batch holding this transaction is durable: update in-memory views here. */
  after(fn: () => void): void;
}

export interface WriterStats {
  onBatch?(size: number, seconds: number): void;
}

interface Job {
  fn: (tx: Tx) => unknown;
  exclusive: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const DELETED = Symbol('deleted');

export class Writer {
  readonly #store: Store;
  readonly #limit: number;
  readonly #maxGroup: number;
  readonly #stats: WriterStats;
  #queue: Job[] = [];
  #running = false;
  #closed = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => {};

  constructor(store: Store, opts: { queueLimit: number; maxGroup?: number; stats?: WriterStats }) {
    this.#store = store;
    this.#limit = opts.queueLimit;
    this.#maxGroup = opts.maxGroup ?? 1024;
    this.#stats = opts.stats ?? {};
  }

  /** Transactions waiting or running. */
  get depth(): number {
    return this.#queue.length;
  }

  /**
   * Runs `fn` as one transaction and resolves with its result once its writes are synced.
   * A transaction that throws stages nothing. `bounded` transactions are refused with 429 BUSY
   * when the queue is full, rather than letting it grow without limit. A transaction's reads see
   * what earlier transactions of its group staged, then the store, read synchronously: every
   * earlier batch is durable by then, and LevelDB answers a point read from memory (memtable,
   * block cache, bloom filters) in microseconds, so no read waits on the thread pool.
   *
   * An `exclusive` transaction runs alone in its batch, after every earlier batch is durable and
   * its `after` callbacks have run: the in-memory views are then exactly the store, so it may
   * check what has no key to `tx.get` (counts, a VA's emptiness, the tree's shape). Rare admin
   * changes use it; the cost is one sync of their own.
   */
  run<T>(
    fn: (tx: Tx) => T | Promise<T>,
    opts: { bounded?: boolean; exclusive?: boolean } = {},
  ): Promise<Awaited<T>> {
    if (this.#closed) return Promise.reject(new OutpostError('UNAVAILABLE', 'The satellite is shutting down.'));
    if (opts.bounded && this.#queue.length >= this.#limit) {
      return Promise.reject(
        new OutpostError('BUSY', 'The satellite is busy writing; retry shortly.', { headers: { 'Retry-After': '1' } }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ fn, exclusive: opts.exclusive === true, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#running) this.#start();
    });
  }

  /** Refuses new work and waits for what is queued to be written. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#idle;
  }

  #start(): void {
    this.#running = true;
    this.#idle = new Promise((r) => (this.#markIdle = r));
    // Waking from idle, let the requests already read off the sockets join this first group:
    // one turn of the event loop costs microseconds and saves syncs.
    setImmediate(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    // Answering a batch's transactions (their HTTP responses) waits until the next batch is on
    // its way to the disk, so the disk is not idle while the main thread writes responses.
    let answer: (() => void) | null = null;
    while (this.#queue.length > 0) {
      answer = await this.#commit(this.#queue.splice(0, this.#groupSize()), answer);
    }
    answer?.();
    this.#running = false;
    this.#markIdle();
  }

  /** How many queued jobs the next batch takes: up to an exclusive one, which goes alone. */
  #groupSize(): number {
    if (this.#queue[0]!.exclusive) return 1;
    const n = Math.min(this.#queue.length, this.#maxGroup);
    for (let i = 1; i < n; i++) if (this.#queue[i]!.exclusive) return i;
    return n;
  }

  /**
   * Runs `group`'s transactions, writes what they staged as one synced batch, and runs their
   * `after` callbacks. Calls `answerPrevious` once the batch is submitted and returns the function
   * that resolves this group's jobs.
   */
  async #commit(group: Job[], answerPrevious: (() => void) | null): Promise<() => void> {
    const staged = new Map<string, unknown>();
    const done: Array<{ job: Job; value: unknown; after: Array<() => void> }> = [];
    for (const job of group) {
      const local = new Map<string, unknown>();
      const after: Array<() => void> = [];
      const tx: Tx = {
        get: async <T>(key: string) => {
          const v = local.has(key) ? local.get(key) : staged.has(key) ? staged.get(key) : this.#store.getSync<T>(key);
          return (v === DELETED ? undefined : v) as T | undefined;
        },
        put: (key, value) => void local.set(key, value),
        del: (key) => void local.set(key, DELETED),
        after: (fn) => void after.push(fn),
      };
      try {
        const value = await job.fn(tx);
        for (const [k, v] of local) staged.set(k, v);
        done.push({ job, value, after });
      } catch (err) {
        job.reject(err);
      }
    }
    const ops: BatchOp[] = [];
    for (const [key, value] of staged) ops.push(value === DELETED ? { type: 'del', key } : { type: 'put', key, value });
    const started = performance.now();
    const written = this.#store.batch(ops, { sync: true });
    answerPrevious?.();
    try {
      await written;
    } catch (err) {
      for (const d of done) d.job.reject(err);
      return () => {};
    }
    this.#stats.onBatch?.(done.length, (performance.now() - started) / 1000);
    for (const d of done) for (const fn of d.after) fn();
    return () => {
      for (const d of done) d.job.resolve(d.value);
    };
  }
}
