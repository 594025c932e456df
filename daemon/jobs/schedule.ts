// Schedules are data: a table of {name, cron, run} started and stopped together (node-cron 4).
// A job body never overlaps itself; its failures are logged here, never thrown into the timer.
// Bodies take `now` from the injected clock, so tests call them directly with a moved clock.
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface Job {
  name: string;
  /** A cron expression in local time (5 fields, or 6 with seconds). */
  cron: string;
  /** The body; what it answers is logged. */
  run: () => Promise<unknown>;
}

export interface Schedule {
  /** The table, as given. */
  readonly jobs: readonly Job[];
  start(): void;
  /** Stops the timers and waits for runs in progress (call before the writer closes). */
  stop(): Promise<void>;
  /** The job's next scheduled run, or null when it is not scheduled. */
  nextRun(name: string): Date | null;
  /** Runs one job now, as the timer would (logged, never rejects). */
  runJob(job: Job): Promise<void>;
}

export function createSchedule(jobs: Job[], log: Logger): Schedule {
  for (const job of jobs) if (!cron.validate(job.cron)) throw new TypeError(`job ${job.name}: invalid cron expression ${job.cron}`);
  const tasks = new Map<string, ScheduledTask>();
  const running = new Set<Promise<void>>();
  const logger = {
    info: (m: string) => log.debug({ scheduler: true }, m),
    warn: (m: string) => log.warn({ scheduler: true }, m),
    error: (m: string | Error, err?: Error) => log.error({ err: err ?? m, scheduler: true }, 'scheduler error'),
    debug: (m: string | Error) => log.debug({ scheduler: true }, String(m)),
  };

  function runJob(job: Job): Promise<void> {
    const started = performance.now();
    const p = job.run().then(
      (result) => void log.info({ job: job.name, result, ms: Math.round(performance.now() - started) }, `job ${job.name} done`),
      // A full disk is logged once, by the storage guard; jobs refused meanwhile only at debug.
      (err: unknown) =>
        void ((err as { code?: unknown })?.code === 'STORAGE_UNAVAILABLE'
          ? log.debug({ job: job.name }, 'scheduled job refused: the store cannot write')
          : log.error({ err, job: job.name }, 'scheduled job failed')),
    );
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  }

  return {
    jobs,
    runJob,
    start() {
      for (const job of jobs) {
        if (tasks.has(job.name)) continue;
        const task = cron.createTask(job.cron, () => runJob(job), { name: job.name, noOverlap: true, logger, unref: true });
        tasks.set(job.name, task);
        void task.start();
      }
    },
    async stop() {
      for (const task of tasks.values()) await task.destroy();
      tasks.clear();
      await Promise.all([...running]);
    },
    nextRun(name) {
      return tasks.get(name)?.getNextRun() ?? null;
    },
  };
}
