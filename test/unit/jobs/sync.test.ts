// The sync job: a failure that may pass is retried with growing delays until one succeeds; one
// that will not pass is not; stop() cancels the retry.
import t from 'tap';
import { pino } from 'pino';
import { createSyncJob } from '../../../daemon/jobs/sync.ts';
import { OutpostError } from '../../../daemon/errors.ts';
import { TransportError } from '../../../exchange/transport.ts';

const log = pino({ level: 'silent' });
const ok = { sent: { sequence: 1, records: 0 }, received: { sequence: 1 }, acknowledged: 0 };
const down = () => new OutpostError('CLOUD_UNREACHABLE', 'down', { cause: new TransportError('unreachable', 'down') });

t.test('retries with backoff until a sync succeeds', async (t) => {
  const calls: Array<{ actor: string; at: number }> = [];
  let fail = 3;
  let done!: () => void;
  const succeeded = new Promise<void>((r) => (done = r));
  const job = createSyncJob({
    log,
    backoff: { baseMs: 20, capMs: 80, random: () => 0.999 },
    exchange: {
      async sync(actor) {
        calls.push({ actor, at: Date.now() });
        if (fail-- > 0) throw down();
        done();
        return ok;
      },
    },
  });
  t.teardown(() => job.stop());
  // The retry timer is unref'd (it must not hold a daemon open); this test holds the loop.
  const alive = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(alive));
  await t.rejects(job.runNow('admin'), { code: 'CLOUD_UNREACHABLE' });
  t.ok(job.nextRetry(), 'a retry is due');
  await succeeded;
  t.same(calls.map((c) => c.actor), ['admin', 'system', 'system', 'system'], 'retries run as system');
  const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
  t.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 70, `delays grow: ${gaps.join(', ')} ms`);
  t.equal(job.nextRetry(), null, 'nothing due after a success');
});

t.test('a failure that will not pass is not retried; stop() cancels a due retry', async (t) => {
  let n = 0;
  const job = createSyncJob({
    log,
    backoff: { baseMs: 10_000 },
    exchange: {
      async sync() {
        n++;
        throw n === 1 ? new OutpostError('NOT_REGISTERED', 'no') : new OutpostError('CLOUD_ERROR', '401', { cause: new TransportError('http', '401', { status: 401 }) });
      },
    },
  });
  await t.rejects(job.runNow('local'), { code: 'NOT_REGISTERED' });
  t.equal(job.nextRetry(), null);
  await t.rejects(job.runNow('local'), { code: 'CLOUD_ERROR' });
  t.equal(job.nextRetry(), null, 'a 4xx from the cloud is not retried');

  const busy = createSyncJob({ log, backoff: { baseMs: 10_000 }, exchange: { sync: async () => Promise.reject(new OutpostError('EXCHANGE_BUSY', 'busy')) } });
  await busy.run();
  t.ok(busy.nextRetry(), 'a busy lock is retried (the scheduled run does not throw)');
  busy.stop();
  t.equal(busy.nextRetry(), null);
});
