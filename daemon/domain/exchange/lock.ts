// One exchange at a time: export, import, registration and network sync share this lock, and a
// second one while one runs is refused 409 EXCHANGE_BUSY (SPEC §4) rather than queued.
import { OutpostError } from '../../errors.ts';

export class ExchangeLock {
  #held: string | null = null;

  /** What holds the lock now ("export", "sync", …), or null. */
  get holder(): string | null {
    return this.#held;
  }

  /** Takes the lock for `what`; the answer releases it (once). */
  acquire(what: string): () => void {
    if (this.#held !== null) {
      throw new OutpostError('EXCHANGE_BUSY', `Another exchange with the cloud (${this.#held}) is running; try again when it is done.`);
    }
    this.#held = what;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held = null;
    };
  }

  async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const release = this.acquire(what);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
