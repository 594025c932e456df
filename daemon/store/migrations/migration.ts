// What one migration is: a step from one store format to the next, run against the store port.
import type { Store } from '../port.ts';

export interface Migration {
  /** The format this migration produces; it runs on a store of format `to - 1`. */
  readonly to: number;
  /** One line for the log: what changes. */
  readonly description: string;
  /**
   * Rewrites the store. It may be interrupted at any point (kill -9) and then runs again from
   * the start on the next start-up, so it must be idempotent: re-running it over its own partial
   * work gives the same result.
   */
  run(store: Store): Promise<void>;
}
