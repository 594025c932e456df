// The daily lapse check (SPEC §7), also run once at start-up: lapses the registration when its
// time is up. The clock is the satellite's, so tests move time without waiting.
import type { Logger } from 'pino';
import type { Clock } from '../domain/satellite/clock.ts';
import type { Lapse } from '../domain/satellite/lapse.ts';

export function lapseJob(deps: { lapse: Lapse; clock: Clock; log: Logger }): () => Promise<void> {
  return async () => {
    const { lapsed, deregistered } = await deps.lapse.check(deps.clock());
    if (lapsed) {
      deps.log.warn({ deregistered }, 'the registration lapsed: no cloud contact for too long; every device was deregistered; register again to restore service');
    }
  };
}
