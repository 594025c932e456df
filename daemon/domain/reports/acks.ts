// Acknowledgements as ranges: every report arrives with a sequence (`rpq!`, `drp!`), a satellite
// report carries the oldest unacknowledged ones, so what the cloud has acknowledged is always
// every sequence up to a watermark. Each applied response that moves the watermark adds one
// range — (from, upTo], carried by report `bundleSequence`, acknowledged at `acknowledgedAt` —
// and a device's acks are its `drp!` entries at or below the watermark. Importing a million
// acknowledgements is one small write; GET /v1/acks stays a paginated range read.
import type { Store, Tx } from '../../store/index.ts';
import { keys, prefixRange, seqKey } from '../../store/index.ts';

export interface AckRange {
  /** Exclusive lower end: the watermark before this range. */
  from: number;
  /** Inclusive upper end: the last arrival sequence the answered report carried. */
  upTo: number;
  /** Reports newly acknowledged by this range. */
  count: number;
  /** The satellite report that carried them. */
  bundleSequence: number;
  acknowledgedAt: string;
}

export interface Ack {
  reportId: string;
  acknowledgedAt: string;
  bundleSequence: number;
}

export class AckLedger {
  /** Ranges in order; small (one per response that acknowledged something new). */
  #ranges: AckRange[] = [];

  static async load(store: Store): Promise<AckLedger> {
    const ledger = new AckLedger();
    for await (const [, range] of store.iterate<AckRange>(prefixRange(keys.ackRangePrefix))) ledger.#ranges.push(range);
    return ledger;
  }

  /** Every arrival sequence up to here is acknowledged; 0 before any. */
  get watermark(): number {
    return this.#ranges.at(-1)?.upTo ?? 0;
  }

  get ranges(): readonly AckRange[] {
    return this.#ranges;
  }

  /** The range that acknowledged arrival sequence `seq`, if any. */
  rangeOf(seq: number): AckRange | undefined {
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ranges[mid]!.upTo < seq) lo = mid + 1;
      else hi = mid;
    }
    const r = this.#ranges[lo];
    return r && r.from < seq ? r : undefined;
  }

  /** Stages a new range above the watermark; memory follows once it is durable. */
  stage(tx: Tx, range: AckRange): void {
    if (range.from !== this.watermark || range.upTo <= range.from) {
      throw new TypeError(`an acknowledged range must continue from the watermark ${this.watermark}`);
    }
    tx.put(keys.ackRange(range.upTo), range);
    tx.after(() => this.#ranges.push(range));
  }

  /** A device's acknowledged reports after `cursor` (an arrival sequence), oldest first. */
  async page(store: Store, deviceId: string, cursor: number, limit: number): Promise<{ acks: Ack[]; cursor: number | null }> {
    const watermark = this.watermark;
    const prefix = keys.deviceReportPrefix(deviceId);
    const acks: Ack[] = [];
    let last: number | null = null;
    if (cursor >= watermark) return { acks, cursor: null };
    for await (const [key, reportId] of store.iterate<string>({ gt: prefix + seqKey(cursor), lte: prefix + seqKey(watermark), limit })) {
      const seq = Number(key.slice(prefix.length));
      const range = this.rangeOf(seq);
      if (!range) continue; // below the first range: pruned history
      acks.push({ reportId, acknowledgedAt: range.acknowledgedAt, bundleSequence: range.bundleSequence });
      last = seq;
    }
    return { acks, cursor: last };
  }
}
