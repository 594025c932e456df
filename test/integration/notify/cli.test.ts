// `outpost user set` and `outpost notify deliveries|test` through the control socket of a real daemon.
import path from 'node:path';
import t from 'tap';
import { daemonEnv, runCli, startDaemon } from '../../helpers/process.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('outpost user set and outpost notify', async (t) => {
  const env = daemonEnv(path.join(tempDir(t), 'data'));
  await startDaemon(t, env);
  const set = await runCli(['user', 'set', 'admin', '--email', 'admin@example.com', '--alerts', 'warning', '--summary', 'on', '--json'], env);
  t.equal(set.code, 0, set.stderr);
  t.match(JSON.parse(set.stdout), { username: 'admin', email: 'admin@example.com', notifications: { alerts: 'warning', summary: true } });
  const bad = await runCli(['user', 'set', 'admin', '--alerts', 'loud'], env);
  t.not(bad.code, 0);
  t.match(bad.stderr, /INVALID_REQUEST|alerts/);
  const off = await runCli(['user', 'set', 'admin', '--email', 'none', '--summary', 'off', '--json'], env);
  t.match(JSON.parse(off.stdout), { email: null, notifications: { alerts: 'warning', summary: false } });
  const test = await runCli(['notify', 'test', 'syslog'], env);
  t.not(test.code, 0, 'no syslog configured');
  t.match(test.stderr, /NOTIFY_NOT_CONFIGURED|not configured/);
  const list = await runCli(['notify', 'deliveries', '--json'], env);
  t.equal(list.code, 0, list.stderr);
  t.same(JSON.parse(list.stdout).items, []);
});
