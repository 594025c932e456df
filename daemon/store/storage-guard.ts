// A full disk (SPEC §3): when a batch fails because the disk refused it, the writer stops and
// refuses every transaction with 503 STORAGE_UNAVAILABLE; this guard logs that once, then tries,
// with a growing pause, to write a probe file in the data dir; once one fits it closes and reopens
// the database (LevelDB's write error is sticky until then), checks that a synced write goes
// through, and lets the writer run again. No restart is needed.
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Alert } from '../domain/alerts/alerts.ts';
import type { Clock } from '../domain/satellite/clock.ts';
import type { Writer } from './writer.ts';
import type { LevelStore } from './level.ts';

/** Pauses between recovery attempts: 1 s, doubling, at most this. */
export const MAX_BACKOFF_MS = 8_000;
/** What must fit on the disk before the database is reopened (opening writes a table and a log). */
export const PROBE_BYTES = 1024 * 1024;
const PROBE_FILE = '.storage-probe';
const CHECK_KEY = 'meta!storage-check';

export interface StorageGuard {
  readonly available: boolean;
  /** The writer's hook: a batch failed because the disk refused it. */
  failed(err: unknown): void;
  /** The `storage-unavailable` alert while the store cannot write, and after, until it was recorded once. */
  alerts(now: Date): Alert[];
  close(): void;
}

export function createStorageGuard(deps: {
  store: LevelStore;
  writer: () => Writer;
  dataDir: string;
  clock: Clock;
  log: Logger;
  onFailure?: () => void;
  /** Runs once the store writes again (main.ts records the alert through the alert check). */
  onRecovered?: () => Promise<void>;
}): StorageGuard {
  const { store, log, clock } = deps;
  let down: { since: Date; attempts: number; until: Date | null } | null = null;
  /** Recovered, with the alert not yet recorded by an alert check. */
  let unrecorded: { since: Date; until: Date } | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let backoff = 1_000;

  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void attempt(), backoff);
    timer.unref();
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };

  async function probe(): Promise<void> {
    const file = path.join(deps.dataDir, PROBE_FILE);
    try {
      const fh = await open(file, 'w', 0o600);
      try {
        await fh.write(Buffer.alloc(PROBE_BYTES));
        await fh.sync();
      } finally {
        await fh.close();
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  async function attempt(): Promise<void> {
    timer = null;
    if (closed || down === null) return;
    down.attempts++;
    try {
      await deps.writer().idle();
      await probe();
      await store.reopen();
      await store.batch([{ type: 'put', key: CHECK_KEY, value: clock().toISOString() }], { sync: true });
    } catch (err) {
      log.debug({ err: (err as Error).message, attempts: down.attempts }, 'the store cannot write yet');
      schedule();
      return;
    }
    const { since, attempts } = down;
    const until = clock();
    down = null;
    unrecorded = { since, until };
    backoff = 1_000;
    const refused = deps.writer().resume();
    log.info({ since: since.toISOString(), seconds: Math.round((until.getTime() - since.getTime()) / 1000), attempts, refused }, 'the store writes again (database reopened); service resumed');
    try {
      await deps.onRecovered?.();
      unrecorded = null;
    } catch (err) {
      log.warn({ err }, 'could not record the storage-unavailable alert');
    }
  }

  return {
    get available() {
      return down === null;
    },
    failed(err) {
      if (down !== null || closed) return;
      down = { since: clock(), attempts: 0, until: null };
      deps.onFailure?.();
      // Logged once; the count of what was refused meanwhile comes when it clears.
      log.error(
        { err: { message: (err as Error)?.message, code: (err as { code?: unknown })?.code } },
        'the store cannot write (is the disk full?): writing requests answer 503 STORAGE_UNAVAILABLE until it can; the database is reopened once the disk has room',
      );
      schedule();
    },
    alerts() {
      const alert = (since: Date, message: string): Alert => ({
        type: 'storage-unavailable',
        severity: 'critical',
        vaId: null,
        entitlement: null,
        subject: null,
        since: since.toISOString(),
        message,
      });
      if (down) return [alert(down.since, `The store cannot write since ${down.since.toISOString()} (is the disk full?); writing requests are refused until it can.`)];
      if (unrecorded) return [alert(unrecorded.since, `The store could not write from ${unrecorded.since.toISOString()} to ${unrecorded.until.toISOString()} (a full disk?); it writes again.`)];
      return [];
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
