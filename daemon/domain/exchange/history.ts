// The recent exchanges with the cloud, network and air-gapped, for the Sync page (GET
// /api/sync/history): what went which way, which bundle, how many records, when, and how it
// ended (or the refusal's code). The newest HISTORY_SIZE entries; successes are kept as one
// bounded record (`meta!sync-history`), refusals only in memory: a refusal changes nothing.
import { keys, seqKey } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';

export const HISTORY_SIZE = 100;

export type ExchangePath = 'network' | 'air-gapped';
export type ExchangeDirection = 'out' | 'in' | 'both';

export interface HistoryEntry {
  /** Increasing; the newest has the greatest. */
  n: number;
  at: string;
  path: ExchangePath;
  direction: ExchangeDirection;
  /** The bundle kind (`satellite-report`, `cloud-response`, `registration-request`, `registration-response`) or `sync`. */
  kind: string;
  /** The satellite report's sequence (out), the cloud bundle's (in); for a sync, the report sent. */
  sequence: number | null;
  /** For a sync, the cloud response received. */
  received: number | null;
  /** Records carried out, or acknowledged by what came in. */
  records: number | null;
  result: 'ok' | 'already-applied' | 'refused' | 'failed';
  /** The refusal or failure: its stable code and the sentence. */
  error: { code: string; message: string } | null;
  actor: string;
}

export type HistoryInput = Omit<HistoryEntry, 'n' | 'at'>;

/**
 * The history in memory. Successes (and network sync failures, which write the sync status
 * anyway) are written through a writer transaction (`put` + `after`); a refusal or a re-import
 * changes nothing in the store (SPEC §5), so it is only noted in memory and shown until restart.
 */
export class SyncHistory {
  /** Oldest first; `kept` marks the entries that are in the store. */
  #entries: Array<HistoryEntry & { kept?: boolean }> = [];

  static async load(store: Pick<Store, 'get'>): Promise<SyncHistory> {
    const h = new SyncHistory();
    h.#entries = ((await store.get<HistoryEntry[]>(keys.syncHistory)) ?? []).map((e) => ({ ...e, kept: true }));
    return h;
  }

  /** Newest first. */
  get entries(): readonly HistoryEntry[] {
    return [...this.#entries].reverse().map(({ kept: _kept, ...e }) => e);
  }

  #next(at: Date, input: HistoryInput): HistoryEntry {
    return { n: (this.#entries.at(-1)?.n ?? 0) + 1, at: at.toISOString(), ...input };
  }

  /** Stages one more entry in the store; memory follows once the batch is durable. */
  stage(tx: { put(key: string, value: unknown): void; after(fn: () => void): void }, at: Date, input: HistoryInput): HistoryEntry {
    const entry = this.#next(at, input);
    const kept = [...this.#entries.filter((e) => e.kept).map(({ kept: _k, ...e }) => e), entry].slice(-HISTORY_SIZE);
    tx.put(keys.syncHistory, kept);
    tx.after(() => (this.#entries = [...this.#entries, { ...entry, kept: true }].slice(-HISTORY_SIZE)));
    return entry;
  }

  /** Notes an entry in memory only (a refusal, a re-import): the store stays as it was. */
  note(at: Date, input: HistoryInput): HistoryEntry {
    const entry = this.#next(at, input);
    this.#entries = [...this.#entries, entry].slice(-HISTORY_SIZE);
    return entry;
  }
}

/** Sort key of an entry for paging newest first (ascending keys, as `paginate` wants). */
export const historyKey = (e: HistoryEntry): string => seqKey(Number.MAX_SAFE_INTEGER - e.n);
