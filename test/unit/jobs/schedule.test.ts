import t from 'tap';
import { Writable } from 'node:stream';
import { createScheduler } from '../../../daemon/jobs/schedule.ts';
import { createLogger } from '../../../daemon/log.ts';

const quiet = () => createLogger('debug', new Writable({ write: (_c, _e, cb) => cb() }));

t.test('createScheduler refuses a job with an invalid cron expression', async (t) => {
  t.throws(() => createScheduler([{ name: 'bad', cron: 'every day', run: async () => {} }], quiet()), TypeError);
});

t.test('jobs run on their schedule; stop() ends the schedule and waits for a run in progress', async (t) => {
  let runs = 0;
  let finished = 0;
  const scheduler = createScheduler(
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
  const scheduler = createScheduler([{ name: 'boom', cron: '0 0 * * *', run: async () => Promise.reject(new Error('disk on fire')) }], log);
  await scheduler.runJob(scheduler.jobs[0]!);
  t.ok(lines.some((l) => l.includes('job boom failed') && l.includes('disk on fire')));
});
