// The exchange's bookkeeping, kept in the store and mirrored in memory: which satellite reports
// were exported and how far into each queue they reached, which cloud bundles were applied, and
// how network syncs went. Changed only through the one writer, mirrored in `tx.after`.
import type { Store } from '../../store/index.ts';
import { keys } from '../../store/index.ts';

export interface ExchangeRecord {
  /** The newest cloud sequence applied (registration or cloud response); null before any. */
  newestApplied: number | null;
  /** The newest satellite report a cloud response acknowledged. */
  acknowledged: number | null;
  /** The newest satellite report exported whole. */
  lastExported: number | null;
  /** When a registration request was made that no registration response answered yet. */
  registrationRequestedAt: string | null;
}

/**
 * One exported satellite report. What it carried is kept by reference — the last key of each
 * queue it reached — never as a copy of the records: a report carries each queue's oldest
 * records, so "carried" is "every key up to there that was still queued".
 */
export interface ExportRecord {
  sequence: number;
  createdAt: string;
  /**
   * The cut, taken when the export began: usage from above the acknowledged watermark then
   * (`usageFrom`, exclusive) up to `usage`, device changes up to `devices`. Nothing newer goes in.
   */
  bounds: { usageFrom: number; usage: number; devices: number };
  /** Set once the bundle is complete; null while it is written (or if writing it failed). */
  carried: {
    /** The last `rpq!` sequence in usage.ndjson, or null when it held none. */
    usage: number | null;
    /** The last `djq!` sequence in devices.ndjson, or null. */
    devices: number | null;
    /** The export sources' cursors of the last transfer and reservation carried, or null. */
    transfers: string | null;
    reservations: string | null;
    /** The collector's cursor of the last RUM report carried (SPEC §9), or null; absent before §9. */
    rum?: string | null;
  } | null;
  /** Records per data file. */
  records: Record<string, number> | null;
  more: boolean;
}

export interface ImportChanges {
  acknowledged: number;
  entitlements: number;
  revoked: number;
}

/** One cloud bundle applied, by the cloud's sequence. */
export interface AppliedRecord {
  sequence: number;
  kind: 'registration-response' | 'cloud-response';
  inReplyTo: number;
  createdAt: string;
  appliedAt: string;
  changes: ImportChanges;
}

export interface SyncRecord {
  lastAttempt: string | null;
  lastSuccess: string | null;
  lastError: { code: string; message: string; at: string } | null;
  /** Failed network syncs in a row. */
  failures: number;
  /** The first failure of the current run of failures. */
  failingSince: string | null;
}

export const emptyExchange = (): ExchangeRecord => ({ newestApplied: null, acknowledged: null, lastExported: null, registrationRequestedAt: null });
export const emptySync = (): SyncRecord => ({ lastAttempt: null, lastSuccess: null, lastError: null, failures: 0, failingSince: null });

export class ExchangeBook {
  exchange: ExchangeRecord = emptyExchange();
  sync: SyncRecord = emptySync();

  static async load(store: Store): Promise<ExchangeBook> {
    const book = new ExchangeBook();
    book.exchange = { ...book.exchange, ...((await store.get<ExchangeRecord>(keys.exchange)) ?? {}) };
    book.sync = { ...book.sync, ...((await store.get<SyncRecord>(keys.syncStatus)) ?? {}) };
    return book;
  }
}
