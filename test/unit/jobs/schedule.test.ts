// The schedule table: jobs start and stop together, never overlap themselves, and a failing job
// is logged, not thrown into the timer.
import t from 'tap';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createLogger } from '../../../daemon/log.ts';
import { createSchedule } from '../../../daemon/jobs/schedule.ts';

t.test('runs each job on its cron, knows the next run, stops cleanly', async (t) => {
  let runs = 0;
  let failures = 0;
  const lines: string[] = [];
  const log = pino({ level: 'error' }, { write: (l: string) => void lines.push(l) });
  const schedule = createSchedule(
    [
      { name: 'tick', cron: '* * * * * *', run: async () => void runs++ },
      { name: 'broken', cron: '* * * * * *', run: async () => { failures++; throw new Error('boom'); } },
      { name: 'daily', cron: '11 0 * * *', run: async () => {} },
    ],
    log,
  );
  t.equal(schedule.nextRun('tick'), null, 'nothing scheduled before start');
  schedule.start();
  const next = schedule.nextRun('daily')!;
  t.equal(next.getHours(), 0);
  t.equal(next.getMinutes(), 11);
  t.ok(next.getTime() > Date.now());
  await new Promise((r) => setTimeout(r, 2300));
  await schedule.stop();
  const seen = runs;
  t.ok(seen >= 1, `ran ${seen} times`);
  t.ok(failures >= 1 && lines.some((l) => /scheduled job failed/.test(l) && /boom/.test(l)), 'a failing job is logged');
  await new Promise((r) => setTimeout(r, 1200));
  t.equal(runs, seen, 'no run after stop');
  t.equal(schedule.nextRun('tick'), null);
});

const quiet = () => createLogger('debug', new Writable({ write: (_c, _e, cb) => cb() }));

t.test('createSchedule refuses a job with an invalid cron expression', async (t) => {
  t.throws(() => createSchedule([{ name: 'bad', cron: 'every day', run: async () => {} }], quiet()), TypeError);
});

t.test('jobs run on their schedule; stop() ends the schedule and waits for a run in progress', async (t) => {
  let runs = 0;
  let finished = 0;
  const scheduler = createSchedule(
    [
      {
        name: 'tick',
        cron: '* * * * * *',
        run: async () => {
          runs++;
          await new Promise((r) => setTimeout(r, 300));
          finished++;
        },
      },
    ],
    quiet(),
  );
  scheduler.start();
  while (runs === 0) await new Promise((r) => setTimeout(r, 50));
  await scheduler.stop();
  t.equal(finished, runs, 'stop() waited for the run in progress');
  const after = runs;
  await new Promise((r) => setTimeout(r, 1300));
  t.equal(runs, after, 'no run after stop()');
});

t.test('a failing job is logged and does not reject', async (t) => {
  const lines: string[] = [];
  const log = createLogger('debug', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const scheduler = createSchedule([{ name: 'boom', cron: '0 0 * * *', run: async () => Promise.reject(new Error('disk on fire')) }], log);
  await scheduler.runJob(scheduler.jobs[0]!);
  t.ok(lines.some((l) => l.includes('scheduled job failed') && l.includes('disk on fire')));
});
