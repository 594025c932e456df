// Login throttling, in memory: after `perUser` failures for one username (or `perAddress` from
// one client address) within the window, logins for it are refused for `lockMs` — even with the
// right password — and answer how long to wait. Attempts still being checked count too, so a
// burst of parallel guesses cannot slip past the limit. A success clears the username's count.
import type { Clock } from '../satellite/clock.ts';

export interface ThrottleOptions {
  clock: Clock;
  windowMs?: number;
  lockMs?: number;
  perUser?: number;
  perAddress?: number;
  /** Entries kept at most (usernames plus addresses); the oldest quiet ones go first. */
  maxEntries?: number;
}

interface Entry {
  failures: number[];
  pending: number;
  lockedUntil: number;
}

export interface Attempt {
  /** Ends the attempt; answers until when this failure locked the username or address, if it did. */
  done(success: boolean): { lockedUntil: number | null };
  /** Ends the attempt counting nothing (the check could not be made: a directory that is down). */
  abandon(): void;
}

export const THROTTLE_DEFAULTS = { windowMs: 15 * 60_000, lockMs: 15 * 60_000, perUser: 5, perAddress: 20 } as const;

export function createLoginThrottle(opts: ThrottleOptions) {
  const windowMs = opts.windowMs ?? THROTTLE_DEFAULTS.windowMs;
  const lockMs = opts.lockMs ?? THROTTLE_DEFAULTS.lockMs;
  const maxEntries = opts.maxEntries ?? 100_000;
  const entries = new Map<string, Entry>();

  const entry = (key: string, now: number): Entry => {
    let e = entries.get(key);
    if (!e) {
      if (entries.size >= maxEntries) prune(now);
      e = { failures: [], pending: 0, lockedUntil: 0 };
      entries.set(key, e);
    }
    e.failures = e.failures.filter((t) => now - t < windowMs);
    return e;
  };

  const quiet = (e: Entry, now: number) => e.pending === 0 && e.lockedUntil <= now && e.failures.every((t) => now - t >= windowMs);

  function prune(now: number): void {
    for (const [k, e] of entries) if (quiet(e, now)) entries.delete(k);
    // Still full: drop the oldest entries (Map keeps insertion order).
    for (const k of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(k);
    }
  }

  /** Seconds until `e` may try again, or 0. */
  const waitOf = (e: Entry, limit: number, now: number): number => {
    if (e.lockedUntil > now) return Math.ceil((e.lockedUntil - now) / 1000);
    if (e.failures.length + e.pending >= limit) {
      const oldest = e.failures[0];
      return oldest === undefined ? 1 : Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    }
    return 0;
  };

  return {
    /**
     * Starts a login attempt for `username` (compared lower-cased) from `address`: answers the
     * attempt, or `{ retryAfter }` seconds when it is throttled.
     */
    begin(username: string, address: string): Attempt | { retryAfter: number } {
      const now = opts.clock().getTime();
      const user = entry(`u:${username.toLowerCase()}`, now);
      const addr = entry(`a:${address}`, now);
      const wait = Math.max(waitOf(user, opts.perUser ?? THROTTLE_DEFAULTS.perUser, now), waitOf(addr, opts.perAddress ?? THROTTLE_DEFAULTS.perAddress, now));
      if (wait > 0) return { retryAfter: wait };
      user.pending++;
      addr.pending++;
      let ended = false;
      return {
        abandon() {
          if (ended) return;
          ended = true;
          user.pending--;
          addr.pending--;
        },
        done(success: boolean) {
          if (ended) return { lockedUntil: null };
          ended = true;
          user.pending--;
          addr.pending--;
          if (success) {
            user.failures = [];
            return { lockedUntil: null };
          }
          const at = opts.clock().getTime();
          let lockedUntil: number | null = null;
          for (const [e, limit] of [
            [user, opts.perUser ?? THROTTLE_DEFAULTS.perUser],
            [addr, opts.perAddress ?? THROTTLE_DEFAULTS.perAddress],
          ] as const) {
            e.failures.push(at);
            if (e.failures.length >= limit && e.lockedUntil <= at) {
              e.lockedUntil = at + lockMs;
              lockedUntil = e.lockedUntil;
            }
          }
          return { lockedUntil };
        },
      };
    },

    get size(): number {
      return entries.size;
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
