// The recent exchanges with the cloud, network and air-gapped, for the Sync page (GET
// /api/sync/history): what went which way, which bundle, how many records, when, and how it
// ended (or the refusal's code). Kept as one bounded record (`meta!sync-history`): the newest
// HISTORY_SIZE entries, older ones fall off. Refusals write no event (SPEC §4), so this is
// where a refused import is remembered.
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

/** The history in memory, written through a writer transaction (`put` + `after`). */
export class SyncHistory {
  #entries: HistoryEntry[] = [];

  static async load(store: Pick<Store, 'get'>): Promise<SyncHistory> {
    const h = new SyncHistory();
    h.#entries = (await store.get<HistoryEntry[]>(keys.syncHistory)) ?? [];
    return h;
  }

  /** Newest first. */
  get entries(): readonly HistoryEntry[] {
    return [...this.#entries].reverse();
  }

  /** Stages one more entry; memory follows once the batch is durable. */
  stage(tx: { put(key: string, value: unknown): void; after(fn: () => void): void }, at: Date, input: HistoryInput): HistoryEntry {
    const n = (this.#entries.at(-1)?.n ?? 0) + 1;
    const entry: HistoryEntry = { n, at: at.toISOString(), ...input };
    const next = [...this.#entries, entry].slice(-HISTORY_SIZE);
    tx.put(keys.syncHistory, next);
    tx.after(() => (this.#entries = next));
    return entry;
  }
}

/** Sort key of an entry for paging newest first (ascending keys, as `paginate` wants). */
export const historyKey = (e: HistoryEntry): string => seqKey(Number.MAX_SAFE_INTEGER - e.n);
