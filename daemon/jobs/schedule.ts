// The scheduler: a table of jobs `{name, cron, run}` started and stopped with the satellite.
// node-cron only says when; each body takes `now` from the injected clock, so tests call the
// bodies directly with a moved clock instead of waiting for a schedule.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface Job {
  name: string;
  /** Five-field cron expression, local time. */
  cron: string;
  /** The body; what it answers is logged. */
  run(): Promise<unknown>;
}

export function createScheduler(jobs: readonly Job[], log: Logger) {
  for (const job of jobs) if (!cron.validate(job.cron)) throw new TypeError(`job ${job.name}: invalid cron expression ${job.cron}`);
  let tasks: ScheduledTask[] = [];
  const running = new Set<Promise<unknown>>();
  const cronLog = {
    info: (m: string) => log.debug({ scheduler: 'node-cron' }, m),
    warn: (m: string) => log.warn({ scheduler: 'node-cron' }, m),
    error: (m: string | Error, err?: Error) => log.error({ scheduler: 'node-cron', err: err ?? m }, String(m)),
    debug: (m: string | Error) => log.debug({ scheduler: 'node-cron' }, String(m)),
  };

  /** Runs one job now, logging its outcome; never rejects. */
  function runJob(job: Job): Promise<unknown> {
    const started = performance.now();
    const p = job.run().then(
      (result) => log.info({ job: job.name, result, ms: Math.round(performance.now() - started) }, `job ${job.name} done`),
      (err: unknown) => log.error({ job: job.name, err }, `job ${job.name} failed`),
    );
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  }

  return {
    jobs,
    runJob,

    start(): void {
      if (tasks.length > 0) return;
      tasks = jobs.map((job) => {
        const task = cron.createTask(job.cron, () => runJob(job), { name: job.name, noOverlap: true, logger: cronLog });
        void task.start();
        return task;
      });
    },

    /** Stops the schedule and waits for runs in progress (call before the writer closes). */
    async stop(): Promise<void> {
      const stopping = tasks;
      tasks = [];
      for (const task of stopping) await task.destroy();
      await Promise.all([...running]);
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
