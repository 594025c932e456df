// Sessions in the store over a real LevelDB: hashed, surviving a reopen, ended in the caller's batch,
// and expiring against the later of the wall clock and the high-water mark.
import path from 'node:path';
import t from 'tap';
import { sha256 } from '../../../../daemon/domain/satellite/ids.ts';
import { createStoredSessions } from '../../../../daemon/domain/access/sessions.ts';
import { keys, Writer } from '../../../../daemon/store/index.ts';
import { LevelStore } from '../../../../daemon/store/level.ts';
import { tempDir } from '../../../helpers/tmp.ts';

async function open(location: string, now: () => number) {
  const store = new LevelStore(location);
  await store.open();
  const writer = new Writer(store, { queueLimit: 100 });
  const sessions = createStoredSessions({ store, writer, now, idleMs: 1000, absoluteMs: 5000, perUser: 2 });
  await sessions.open();
  return {
    store,
    writer,
    sessions,
    async close() {
      await writer.close();
      await store.close();
    },
  };
}

t.test('a session survives a reopen, is kept only as its hash, and ends idle or at its absolute limit', async (t) => {
  const dir = path.join(tempDir(t), 'db');
  let now = 1_000_000;
  const a = await open(dir, () => now);
  const { id } = await a.writer.run((tx) => a.sessions.startInTx(tx, 'u1', { address: '10.0.0.1', agent: 'curl' }));
  t.match(id, /^[A-Za-z0-9_-]{43}$/);
  const stored = await a.store.get(keys.session(sha256(id)));
  t.ok(stored);
  t.notOk(JSON.stringify(stored).includes(id));
  now += 900;
  t.ok(a.sessions.find(id));
  t.same(await a.sessions.flush(), { written: 1, ended: 0 });
  await a.close();

  const b = await open(dir, () => now);
  t.teardown(() => b.close());
  t.equal(b.sessions.find(id)?.userId, 'u1', 'a restart logs no one out');
  t.same(b.sessions.list('u1').map((s) => [s.address, s.agent]), [['10.0.0.1', 'curl']]);
  now += 1000;
  t.equal(b.sessions.find(id), null, 'idle too long');
  t.same(await b.sessions.flush(), { written: 0, ended: 1 });
  t.equal(await b.store.get(keys.session(sha256(id))), undefined, 'and removed from the store');

  const c = await b.writer.run((tx) => b.sessions.startInTx(tx, 'u2', { address: '', agent: '' }));
  for (let i = 0; i < 5; i++) {
    now += 900;
    t.ok(b.sessions.find(c.id));
  }
  now += 600;
  t.equal(b.sessions.find(c.id), null, 'absolute expiry, however busy');
});

t.test('a clock set back does not revive an expired session when now() holds the high-water mark', async (t) => {
  let wall = 10_000;
  let mark = 10_000;
  const now = () => Math.max(wall, mark);
  const a = await open(path.join(tempDir(t), 'db'), now);
  t.teardown(() => a.close());
  const { id } = await a.writer.run((tx) => a.sessions.startInTx(tx, 'u', { address: '', agent: '' }));
  wall = 20_000;
  mark = 20_000;
  t.equal(a.sessions.find(id), null);
  wall = 10_100;
  t.equal(a.sessions.find(id), null, 'still expired after the wall clock went back');
});

t.test('ending: one session, a user\'s others, the oldest beyond the cap — in the caller\'s batch', async (t) => {
  let now = 0;
  const a = await open(path.join(tempDir(t), 'db'), () => now);
  t.teardown(() => a.close());
  const start = (u: string) => a.writer.run((tx) => a.sessions.startInTx(tx, u, { address: '', agent: '' }));
  const s1 = await start('u');
  const s2 = await start('u');
  const s3 = await start('u');
  t.equal(a.sessions.find(s1.id), null, 'the oldest beyond the per-user cap ended');
  t.equal(await a.store.get(keys.session(sha256(s1.id))), undefined);
  const other = await start('v');
  await a.writer.run((tx) => {
    tx.put('meta!marker', 1);
    t.equal(a.sessions.endUserInTx(tx, 'u', s3.session.hash), 1);
  });
  t.equal(a.sessions.find(s2.id), null);
  t.ok(a.sessions.find(s3.id), 'the caller\'s own stays');
  t.ok(a.sessions.find(other.id), 'another user\'s stays');
  t.equal(await a.sessions.endUser('u'), 1);
  t.equal(a.sessions.find(s3.id), null);
  await a.writer.run((tx) => a.sessions.endInTx(tx, other.id));
  t.equal(a.sessions.find(other.id), null);
  t.equal(a.sessions.size, 0);
});
