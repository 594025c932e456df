// The schedule table: jobs start and stop together, never overlap themselves, and a failing job
// is logged, not thrown into the timer.
import t from 'tap';
import { pino } from 'pino';
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
