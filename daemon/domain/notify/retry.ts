// When a notification that failed is tried again (SPEC §10): delays grow from 10 s, doubling,
// capped at 1 h; once 24 h have passed since it was queued it is given up as `failed`.

export const FIRST_DELAY_MS = 10_000;
export const MAX_DELAY_MS = 3_600_000;
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;

/** The delay before attempt `attempts + 1`, after `attempts` failed ones (1 or more). */
export function retryDelayMs(attempts: number): number {
  const exp = Math.min(Math.max(attempts, 1) - 1, 30);
  return Math.min(FIRST_DELAY_MS * 2 ** exp, MAX_DELAY_MS);
}

/**
 * After a failed attempt at `now`: when to try next, or null when the 24 h are up (the next
 * attempt would fall after them), so the delivery is `failed`.
 */
export function nextAttempt(queuedAt: Date, attempts: number, now: Date): Date | null {
  const next = now.getTime() + retryDelayMs(attempts);
  if (next - queuedAt.getTime() > GIVE_UP_AFTER_MS) {
    // One last try at the 24 h mark, unless that moment has passed too.
    const last = queuedAt.getTime() + GIVE_UP_AFTER_MS;
    return last > now.getTime() ? new Date(last) : null;
  }
  return new Date(next);
}
