import t from 'tap';
import { createSessions } from '../../../../daemon/domain/access/sessions.ts';
import { sha256 } from '../../../../daemon/domain/satellite/ids.ts';

t.test('sessions: ids are random, kept only as hashes, and end idle, absolute or by user', async (t) => {
  let now = 0;
  const s = createSessions({ clock: () => new Date(now), idleMs: 1000, absoluteMs: 5000, perUser: 2 });
  const a = s.start('u1');
  t.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  t.equal(a.session.hash, sha256(a.id));
  t.notOk(JSON.stringify(a.session).includes(a.id), 'the id itself is not kept');
  t.not(s.start('u2').id, a.id);
  now = 999;
  t.ok(s.find(a.id), 'used before the idle time');
  now = 1998;
  t.ok(s.find(a.id));
  now = 2998;
  t.equal(s.find(a.id), null, 'idle too long');

  now = 0;
  const b = s.start('u3');
  for (now = 900; now < 5000; now += 900) t.ok(s.find(b.id));
  now = 5000;
  t.equal(s.find(b.id), null, 'absolute expiry');

  const c1 = s.start('u4');
  const c2 = s.start('u4');
  const c3 = s.start('u4');
  t.equal(s.find(c1.id), null, 'the oldest beyond the per-user cap ends');
  s.endUser('u4', c3.session.hash);
  t.equal(s.find(c2.id), null);
  t.ok(s.find(c3.id), 'the kept one stays');
  t.ok(s.end(c3.id));
  t.equal(s.find(c3.id), null);
  t.equal(s.find(''), null);
  t.equal(s.find('x'.repeat(1000)), null);
});
