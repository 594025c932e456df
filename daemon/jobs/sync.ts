// The network sync job: runs on `exchange.schedule` and on demand; a run that fails for a
// reason that may pass (the network, a timeout, the cloud's 5xx, a busy lock) is retried with
// capped exponential backoff and jitter until one succeeds. Its retry timer is its own, stopped
// with it.
import type { Logger } from 'pino';
import { retryDelay, type BackoffOptions } from '../../exchange/transport.ts';
import type { Actor } from '../domain/satellite/context.ts';
import { isRetryable, type Exchange, type SyncResult } from '../exchange/exchange.ts';

export interface SyncJob {
  /** The scheduled body: a sync as `system`; failures are logged, not thrown. */
  run(): Promise<void>;
  /** A sync now (POST /api/sync); its failure is thrown, and retried later when it may pass. */
  runNow(actor: Actor): Promise<SyncResult>;
  /** When the next retry is due, or null. */
  nextRetry(): Date | null;
  stop(): void;
}

export function createSyncJob(deps: { exchange: Pick<Exchange, 'sync'>; log: Logger; backoff?: BackoffOptions }): SyncJob {
  let attempt = 0;
  let timer: NodeJS.Timeout | null = null;
  let retryAt: Date | null = null;
  let stopped = false;

  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    retryAt = null;
  };

  async function runNow(actor: Actor): Promise<SyncResult> {
    clear();
    try {
      const result = await deps.exchange.sync(actor);
      attempt = 0;
      return result;
    } catch (err) {
      if (isRetryable(err) && !stopped) {
        attempt += 1;
        const delay = retryDelay(attempt, deps.backoff);
        retryAt = new Date(Date.now() + delay);
        timer = setTimeout(() => void job.run(), delay);
        timer.unref();
        deps.log.info({ attempt, retryAt }, 'network sync will be retried');
      }
      throw err;
    }
  }

  const job: SyncJob = {
    async run() {
      try {
        await runNow('system');
      } catch (err) {
        deps.log.debug({ err }, 'scheduled sync failed');
      }
    },
    runNow,
    nextRetry: () => retryAt,
    stop() {
      stopped = true;
      clear();
    },
  };
  return job;
}
