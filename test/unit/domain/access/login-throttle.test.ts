import t from 'tap';
import { createLoginThrottle } from '../../../../daemon/domain/access/login-throttle.ts';

function setup() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = () => new Date(now);
  const throttle = createLoginThrottle({ clock, maxEntries: 50 });
  const attempt = (user: string, addr = '10.0.0.1') => throttle.begin(user, addr);
  return { throttle, attempt, advance: (ms: number) => void (now += ms) };
}

const fail = (a: ReturnType<ReturnType<typeof setup>['attempt']>) => {
  if ('retryAfter' in a) throw new Error('throttled');
  return a.done(false);
};

t.test('5 failures lock a username for 15 minutes; a success before clears its count', async (t) => {
  const { attempt, advance } = setup();
  for (let i = 0; i < 4; i++) t.same(fail(attempt('Alice')), { lockedUntil: null });
  const ok = attempt('alice');
  t.notOk('retryAfter' in ok);
  if (!('retryAfter' in ok)) ok.done(true);
  for (let i = 0; i < 4; i++) fail(attempt('alice'));
  t.ok(fail(attempt('ALICE')).lockedUntil, 'the fifth failure locks');
  t.same(attempt('alice'), { retryAfter: 900 });
  advance(14 * 60_000);
  t.same(attempt('alice'), { retryAfter: 60 });
  advance(60_000);
  t.notOk('retryAfter' in attempt('alice'), 'free after 15 minutes');
});

t.test('attempts in flight count, so a parallel burst cannot pass the limit', async (t) => {
  const { attempt } = setup();
  const started = Array.from({ length: 8 }, () => attempt('bob'));
  t.equal(started.filter((a) => !('retryAfter' in a)).length, 5);
});

t.test('20 failures lock an address for every username', async (t) => {
  const { attempt } = setup();
  for (let i = 0; i < 20; i++) fail(attempt(`user${i}`));
  t.match(attempt('fresh'), { retryAfter: 900 });
  t.notOk('retryAfter' in attempt('fresh', '10.0.0.2'), 'another address is free');
});

t.test('the table stays bounded', async (t) => {
  const { throttle, attempt, advance } = setup();
  for (let i = 0; i < 200; i++) {
    const a = attempt(`u${i}`, `a${i}`);
    if (!('retryAfter' in a)) a.done(false);
    advance(60_000);
  }
  t.ok(throttle.size <= 52, `${throttle.size} entries`);
});
