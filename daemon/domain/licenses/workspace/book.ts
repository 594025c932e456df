// The license state held in memory, changed only through the one writer. A transaction builds
// on the state its own view of the store says is current: the revision it reads through
// `tx.get` is the committed one, or the one an earlier transaction of the same group staged (a
// transaction that failed staged nothing, so its state is never built on). The pool index
// follows each change once its batch is durable.
import {
  PoolIndex,
  poolFromState,
  reservedTotals,
  type HoldingView,
  type LicenseState,
  type PoolOf,
} from '../core/index.ts';
import { keys, type Tx } from '../../../store/index.ts';
import type { Sequences } from '../../satellite/sequences.ts';
import { stageLicenseRecords, type LoadedLicenses, type RecordPositions } from './records.ts';

export interface Revision {
  rev: number;
  state: LicenseState;
}

export class LicenseBook {
  readonly index: PoolIndex;
  readonly #seq: Sequences;
  readonly #positions: RecordPositions;
  #committed: Revision;
  /** States staged by transactions whose batch is not yet durable, by revision. */
  readonly #staged = new Map<number, LicenseState>();

  constructor(loaded: LoadedLicenses, seq: Sequences) {
    this.#committed = { rev: loaded.rev, state: loaded.state };
    this.#positions = loaded.positions;
    this.#seq = seq;
    this.index = PoolIndex.fromState(loaded.state);
  }

  /** The committed state: what reads show. */
  get state(): LicenseState {
    return this.#committed.state;
  }

  /** The state a change inside `tx` must build on. */
  async base(tx: Tx): Promise<Revision> {
    const rev = (await tx.get<number>(keys.licenseRev)) ?? 0;
    if (rev === this.#committed.rev) return this.#committed;
    const state = this.#staged.get(rev);
    if (state === undefined) throw new TypeError(`license state revision ${rev} is neither committed nor staged`);
    return { rev, state };
  }

  /**
   * Availability for checks inside a transaction: holdings and reservations from the state
   * being built on, usage from the devices (which the writer does not hold back).
   */
  poolOf(state: LicenseState, now: Date): PoolOf {
    return (vaId, entitlement) => poolFromState(state, vaId, entitlement, this.index.inUse(vaId, entitlement), now);
  }

  /**
   * Stages `next` on top of `base` in `tx`: its records, the new revision, and — once durable —
   * the committed state and the pool index (`changes`: the holdings whose view changed).
   */
  stage(tx: Tx, base: Revision, next: LicenseState, changes: readonly HoldingView[]): Revision {
    const rev = base.rev + 1;
    stageLicenseRecords(tx, this.#seq, base.state, next, this.#positions);
    tx.put(keys.licenseRev, rev);
    this.#staged.set(rev, next);
    const reservationsChanged = base.state.reservations !== next.reservations;
    tx.after(() => {
      this.#committed = { rev, state: next };
      for (const r of this.#staged.keys()) if (r <= rev) this.#staged.delete(r);
      this.index.applyChanges(changes);
      if (reservationsChanged) this.index.setReserved(reservedTotals(next));
    });
    return { rev, state: next };
  }
}
