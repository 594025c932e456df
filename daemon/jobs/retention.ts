// The daily retention run (SPEC §2), also run once at start-up: prunes acknowledged reports and
// old events (domain/reports/retention.ts), collected RUM reports (domain/collector/retention.ts),
// then finished notification deliveries (domain/notify/prune.ts), at the injected clock's `now`, logs one line with the counts
// and the time it took, and counts what went for /metrics. Runs never overlap; stop() ends a run
// between two writes, so shutdown is not held up by a large prune.
import type { Logger } from 'pino';
import type { Clock } from '../domain/satellite/clock.ts';
import type { DeliveryPruner } from '../domain/notify/prune.ts';
import type { PruneResult as ReportsAndEvents, Retention } from '../domain/reports/retention.ts';

export type PruneResult = ReportsAndEvents & { deliveries: number };

export interface RetentionJob {
  /** The body for the job table: one run now, or the run already going. */
  run(): Promise<PruneResult & { ms: number }>;
  stop(): void;
}

export function createRetentionJob(deps: {
  retention: Retention;
  /** Notification deliveries past `notify.retentionDays`. */
  deliveries: DeliveryPruner;
  clock: Clock;
  log: Logger;
  onPruned?: (result: PruneResult) => void;
}): RetentionJob {
  const abort = new AbortController();
  let running: Promise<PruneResult & { ms: number }> | null = null;

  async function once(): Promise<PruneResult & { ms: number }> {
    const started = performance.now();
    const now = deps.clock();
    const own = await deps.retention.prune(now, abort.signal);
    const deliveries = abort.signal.aborted ? 0 : await deps.deliveries.prune(now, abort.signal);
    const result: PruneResult = { ...own, deliveries };
    const ms = Math.round(performance.now() - started);
    deps.onPruned?.(result);
    deps.log.info(
      { ...result, ms },
      // The RUM count goes last, so the line reads as it did before the collector.
      `retention: pruned ${result.reports} acknowledged reports and ${result.events} events in ${ms} ms (and ${deliveries} notification deliveries); ${result.rumReports ?? 0} collected RUM reports left their (UDI, id); ${result.rumRecords ?? 0} delivered acknowledgements and RUM export records deleted`,
    );
    return { ...result, ms };
  }

  return {
    run() {
      running ??= once().finally(() => (running = null));
      return running;
    },
    stop() {
      abort.abort();
    },
  };
}
