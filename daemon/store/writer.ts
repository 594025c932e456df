// The one writer: every change of state runs here, one transaction after another, so a check and
// the write that depends on it cannot interleave with another request's. Transactions that ran
// while a batch was being synced are committed together in the next synced batch (group commit).
import { OutpostError } from '../errors.ts';
import type { BatchOp, Store } from './port.ts';

/** What a transaction sees: the store plus everything staged before it and not yet durable. */
export interface Tx {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): void;
  del(key: string): void;
  /** Runs after the batch holding this transaction is durable: update in-memory views here. */
  after(fn: () => void): void;
  /**
   * Runs instead, when what this transaction staged is not written: it threw, or its batch (or
   * one it read from) failed. Undo here what staging did to in-memory views (a held value).
   */
  undo(fn: () => void): void;
}

export interface WriterStats {
  onBatch?(size: number, seconds: number): void;
}

/** How long a client is told to wait while the store cannot write. */
export const STORAGE_RETRY_AFTER_S = 5;

export const storageUnavailable = (cause?: unknown) =>
  new OutpostError('STORAGE_UNAVAILABLE', 'The satellite cannot write to its disk right now (it may be full); retry later.', {
    headers: { 'Retry-After': String(STORAGE_RETRY_AFTER_S) },
    cause,
  });

/**
 * A write the disk refused: classic-level reports LevelDB's IO errors (ENOSPC, EIO, a read-only
 * file system) as `LEVEL_IO_ERROR`, and a database closed for its reopening as
 * `LEVEL_DATABASE_NOT_OPEN`. LevelDB keeps a failed sync's error and refuses every later write
 * until the database is reopened, so the writer stops and waits for that (store/storage-guard.ts).
 */
export function isStorageError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'LEVEL_IO_ERROR' || e.code === 'LEVEL_DATABASE_NOT_OPEN' || e.code === 'ENOSPC' || e.code === 'EIO' || e.code === 'EROFS') return true;
  if (typeof e.message === 'string' && /No space left on device|IO error/i.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err && isStorageError(e.cause);
}

export interface RunOptions {
  /** Refused with 429 BUSY when the writer already holds `queueLimit` transactions. */
  bounded?: boolean;
  /** Runs alone in its batch, after every earlier batch is durable and its `after` callbacks ran. */
  exclusive?: boolean;
  /**
   * The transaction decides only from what it reads through `tx` (no in-memory view), so it may
   * run while the previous batch is still being synced, reading that batch's writes as staged.
   */
  txOnly?: boolean;
}

interface Job {
  fn: (tx: Tx) => unknown;
  exclusive: boolean;
  txOnly: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Transactions that ran and what they staged: the next batch, or the one being synced. */
interface Group {
  staged: Map<string, unknown>;
  done: Array<{ job: Job; value: unknown; after: Array<() => void>; undo: Array<() => void> }>;
}

const DELETED = Symbol('deleted');

/** Runs `undo` callbacks, last staged first; one that throws does not stop the others. */
function undoAll(lists: Array<Array<() => void>>): void {
  for (const list of lists.reverse()) {
    for (const fn of list.reverse()) {
      try {
        fn();
      } catch {
        // an undo only moves in-memory views back; nothing to report to the transaction
      }
    }
  }
}
const newGroup = (): Group => ({ staged: new Map(), done: [] });

/** What a `cached` hook answers for a key it does not hold. */
export const NOT_CACHED: unique symbol = Symbol('not cached');

/**
 * Answers a key's durable value from memory (undefined: known to be absent), or NOT_CACHED. It
 * must hold only what the store holds once every batch's `after` callbacks ran.
 */
export type CachedRead = (key: string) => unknown;

export class Writer {
  readonly #store: Store;
  readonly #limit: number;
  readonly #maxGroup: number;
  readonly #stats: WriterStats;
  /** Transactions not yet run, in arrival order. */
  #queue: Job[] = [];
  /** Transactions run and not yet submitted. */
  #open: Group = newGroup();
  /** The batch being synced, and a promise settled once it is durable and its afters ran. */
  #inflight: { group: Group; settled: Promise<void> } | null = null;
  #pumping = false;
  /** Failed batches so far, and the last one's error: a transaction that ran across one fails too. */
  #failures = 0;
  #failure: unknown;
  #closed = false;
  /** Set while the store cannot write: every transaction is refused until `resume()`. */
  #storageDown = false;
  #refused = 0;
  readonly #onStorageError: ((err: unknown) => void) | undefined;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => {};
  #cached: CachedRead | null = null;

  constructor(store: Store, opts: { queueLimit: number; maxGroup?: number; stats?: WriterStats; onStorageError?: (err: unknown) => void }) {
    this.#store = store;
    this.#onStorageError = opts.onStorageError;
    this.#limit = opts.queueLimit;
    this.#maxGroup = opts.maxGroup ?? 1024;
    this.#stats = opts.stats ?? {};
  }

  /**
   * Lets transactions read what the in-memory views already hold (the state's device and
   * latest-usage caches) instead of the store: in a large fleet a point read of LevelDB may open
   * a table. Safe because a key staged by a batch not yet applied is read from what was staged,
   * and a batch's `after` callbacks run before the next transaction does.
   */
  readThrough(cached: CachedRead): void {
    this.#cached = cached;
  }

  /** Transactions waiting for a batch: not yet run, or run and not yet sent to the disk. */
  get depth(): number {
    return this.#queue.length + this.#open.done.length;
  }

  /**
   * Runs `fn` as one transaction and resolves with its result once its writes are synced.
   * A transaction that throws stages nothing. Transactions run one at a time in arrival order;
   * a transaction's reads see what earlier transactions staged and is not yet durable, then the
   * store, read synchronously (LevelDB answers a point read from its memtable, block cache or
   * bloom filters in microseconds, so no read waits on the thread pool).
   *
   * A plain transaction runs once every earlier batch is durable and its `after` callbacks ran,
   * so it may also consult in-memory views. A `txOnly` one (ingest) may run while the previous
   * batch is being synced, so the next batch is ready the moment the disk is free. An
   * `exclusive` one runs alone in its batch, after every earlier batch is durable and its
   * `after` callbacks have run: the in-memory views are then exactly the store, so it may check
   * what has no key to `tx.get` (counts, a VA's emptiness, the tree's shape). Rare admin changes
   * use it; the cost is one sync of their own.
   */
  run<T>(fn: (tx: Tx) => T | Promise<T>, opts: RunOptions = {}): Promise<Awaited<T>> {
    if (this.#closed) return Promise.reject(new OutpostError('UNAVAILABLE', 'The satellite is shutting down.'));
    if (this.#storageDown) {
      this.#refused++;
      return Promise.reject(storageUnavailable());
    }
    if (opts.bounded && this.depth >= this.#limit) {
      return Promise.reject(
        new OutpostError('BUSY', 'The satellite is busy writing; retry shortly.', { headers: { 'Retry-After': '1' } }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({
        fn,
        exclusive: opts.exclusive === true,
        txOnly: opts.txOnly === true && opts.exclusive !== true,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!this.#pumping) this.#wake();
    });
  }

  /** False from a batch the disk refused until `resume()`: transactions are refused meanwhile. */
  get available(): boolean {
    return !this.#storageDown;
  }

  /** The store writes again (reopened and a test write synced): transactions run again. Answers how many were refused meanwhile. */
  resume(): number {
    this.#storageDown = false;
    const refused = this.#refused;
    this.#refused = 0;
    return refused;
  }

  /** Waits until no batch is in flight and nothing is queued (the store may then be reopened). */
  idle(): Promise<void> {
    return this.#idle;
  }

  /** Refuses new work and waits for what is queued to be written. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#idle;
  }

  #wake(): void {
    this.#pumping = true;
    if (!this.#inflight) this.#idle = new Promise((r) => (this.#markIdle = r));
    // Waking from idle, let the requests already read off the sockets join this first group:
    // one turn of the event loop costs microseconds and saves syncs.
    setImmediate(() => void this.#pump());
  }

  /** Runs queued transactions one at a time, submitting a batch whenever the disk is free. */
  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      const job = this.#queue[0]!;
      const full = this.#open.done.length >= this.#maxGroup;
      if (this.#inflight && (!job.txOnly || full)) {
        await this.#inflight.settled;
        continue;
      }
      if (this.#open.done.length > 0 && (full || job.exclusive)) {
        this.#submit();
        continue;
      }
      this.#queue.shift();
      await this.#runTx(job);
      if (job.exclusive || (!this.#inflight && this.#queue.length === 0)) this.#submit();
    }
    this.#pumping = false;
    if (!this.#inflight) this.#submit();
    if (!this.#inflight) this.#markIdle();
  }

  /** Runs one transaction into the open group. */
  async #runTx(job: Job): Promise<void> {
    const failures = this.#failures;
    const local = new Map<string, unknown>();
    const after: Array<() => void> = [];
    const undo: Array<() => void> = [];
    const tx: Tx = {
      get: async <T>(key: string) => {
        let v: unknown;
        if (local.has(key)) v = local.get(key);
        else if (this.#open.staged.has(key)) v = this.#open.staged.get(key);
        else if (this.#inflight?.group.staged.has(key)) v = this.#inflight.group.staged.get(key);
        else {
          v = this.#cached === null ? NOT_CACHED : this.#cached(key);
          if (v === NOT_CACHED) v = this.#store.getSync<T>(key);
        }
        return (v === DELETED ? undefined : v) as T | undefined;
      },
      put: (key, value) => void local.set(key, value),
      del: (key) => void local.set(key, DELETED),
      after: (fn) => void after.push(fn),
      undo: (fn) => void undo.push(fn),
    };
    try {
      const value = await job.fn(tx);
      // It may have read what a batch that failed meanwhile staged.
      if (failures !== this.#failures) throw this.#failure;
      // The group open now: the one open when it started may have been submitted since (its
      // reads then came from that group as the batch in flight, which is written first).
      const group = this.#open;
      for (const [k, v] of local) group.staged.set(k, v);
      group.done.push({ job, value, after, undo });
    } catch (err) {
      undoAll([undo]);
      job.reject(err);
    }
  }

  /**
   * Sends the open group to the disk as one synced batch. When it is durable: the next group goes
   * to the disk at once, then this one's `after` callbacks run and its transactions are answered
   * (their HTTP responses are written while the next batch syncs).
   */
  #submit(): void {
    const group = this.#open;
    if (group.done.length === 0) return;
    this.#open = newGroup();
    const ops: BatchOp[] = [];
    for (const [key, value] of group.staged) ops.push(value === DELETED ? { type: 'del', key } : { type: 'put', key, value });
    const started = performance.now();
    const settled = this.#store.batch(ops, { sync: true }).then(
      () => {
        this.#stats.onBatch?.(group.done.length, (performance.now() - started) / 1000);
        this.#inflight = null;
        this.#submit();
        try {
          for (const d of group.done) for (const fn of d.after) fn();
        } finally {
          for (const d of group.done) d.job.resolve(d.value);
          this.#settle();
        }
      },
      (err: unknown) => {
        this.#inflight = null;
        // What ran meanwhile read this batch's writes: it cannot commit either.
        this.#failures++;
        const storage = isStorageError(err);
        const refusal = storage ? storageUnavailable(err) : err;
        this.#failure = refusal;
        const dependent = this.#open;
        this.#open = newGroup();
        // The disk refused: nothing more is tried until the store is reopened (LevelDB's error
        // is sticky); what waits is refused now rather than failing against the same error.
        const waiting = storage ? this.#queue.splice(0) : [];
        if (storage && !this.#storageDown) {
          this.#storageDown = true;
          this.#onStorageError?.(err);
        }
        undoAll([...group.done, ...dependent.done].map((d) => d.undo));
        for (const d of [...group.done, ...dependent.done]) d.job.reject(refusal);
        for (const job of waiting) job.reject(refusal);
        if (storage) this.#refused += group.done.length + dependent.done.length + waiting.length;
        this.#settle();
      },
    );
    this.#inflight = { group, settled: settled.catch(() => {}) };
  }

  /** After a batch: wake the pump if it is idle with work left, or mark the writer idle. */
  #settle(): void {
    if (this.#pumping) return;
    if (this.#queue.length > 0) this.#wake();
    else if (!this.#inflight) this.#markIdle();
  }
}
