// The daily retention run (SPEC §2), also run once at start-up: prunes acknowledged reports and
// old events (domain/reports/retention.ts) and collected RUM reports (domain/collector/retention.ts) at the injected clock's `now`, logs one line with the counts
// and the time it took, and counts what went for /metrics. Runs never overlap; stop() ends a run
// between two writes, so shutdown is not held up by a large prune.
import type { Logger } from 'pino';
import type { Clock } from '../domain/satellite/clock.ts';
import type { PruneResult, Retention } from '../domain/reports/retention.ts';

export interface RetentionJob {
  /** The body for the job table: one run now, or the run already going. */
  run(): Promise<PruneResult & { ms: number }>;
  stop(): void;
}

export function createRetentionJob(deps: {
  retention: Retention;
  clock: Clock;
  log: Logger;
  onPruned?: (result: PruneResult) => void;
}): RetentionJob {
  const abort = new AbortController();
  let running: Promise<PruneResult & { ms: number }> | null = null;

  async function once(): Promise<PruneResult & { ms: number }> {
    const started = performance.now();
    const result = await deps.retention.prune(deps.clock(), abort.signal);
    const ms = Math.round(performance.now() - started);
    deps.onPruned?.(result);
    deps.log.info(
      { ...result, ms },
      // The RUM count goes last, so the line reads as it did before the collector.
      `retention: pruned ${result.reports} acknowledged reports and ${result.events} events in ${ms} ms; ${result.rumReports ?? 0} collected RUM reports left their (UDI, id)`,
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
