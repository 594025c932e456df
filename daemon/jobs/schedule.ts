// Schedules are data: a table of {name, cron, run} started and stopped together (node-cron 4).
// A job body never overlaps itself; its failures are logged here, never thrown into the timer.
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface Job {
  name: string;
  /** A cron expression in local time (5 fields, or 6 with seconds). */
  cron: string;
  run: () => Promise<unknown>;
}

export interface Schedule {
  start(): void;
  stop(): Promise<void>;
  /** The job's next scheduled run, or null when it is not scheduled. */
  nextRun(name: string): Date | null;
}

export function createSchedule(jobs: Job[], log: Logger): Schedule {
  const tasks = new Map<string, ScheduledTask>();
  const logger = {
    info: (m: string) => log.debug({ scheduler: true }, m),
    warn: (m: string) => log.warn({ scheduler: true }, m),
    error: (m: string | Error, err?: Error) => log.error({ err: err ?? m, scheduler: true }, 'scheduler error'),
    debug: (m: string | Error) => log.debug({ scheduler: true }, String(m)),
  };
  return {
    start() {
      for (const job of jobs) {
        if (tasks.has(job.name)) continue;
        const task = cron.createTask(
          job.cron,
          async () => {
            try {
              await job.run();
            } catch (err) {
              log.error({ err, job: job.name }, 'scheduled job failed');
            }
          },
          { name: job.name, noOverlap: true, logger, unref: true },
        );
        tasks.set(job.name, task);
        void task.start();
      }
    },
    async stop() {
      for (const task of tasks.values()) await task.destroy();
      tasks.clear();
    },
    nextRun(name) {
      return tasks.get(name)?.getNextRun() ?? null;
    },
  };
}
