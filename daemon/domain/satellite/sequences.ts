// Counters that never repeat (event ids, report arrival order), persisted in the same batch as
// what uses them. Only the one writer calls next(), so an in-memory counter is safe.
import type { Store, Tx } from '../../store/index.ts';
import { keys, prefixRange } from '../../store/index.ts';

export class Sequences {
  readonly #values = new Map<string, number>();

  static async load(store: Store): Promise<Sequences> {
    const s = new Sequences();
    const prefix = keys.seq('');
    for await (const [key, value] of store.iterate<number>(prefixRange(prefix))) s.#values.set(key.slice(prefix.length), value);
    return s;
  }

  current(name: string): number {
    return this.#values.get(name) ?? 0;
  }

  /** The next value, staged in `tx`. A failed batch leaves a gap, never a repeat. */
  next(tx: Tx, name: string): number {
    const n = this.current(name) + 1;
    this.#values.set(name, n);
    tx.put(keys.seq(name), n);
    return n;
  }
}
