// Scheduled backups (config `backup`) and `outpost restore`: each copy is a data dir a daemon can
// start from, the oldest beyond `keep` go, an event says so; restore refuses a running
// satellite's data dir and puts a backup in place in a stopped one, keeping what it replaces.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { BACKUP_PREFIX, backupJob } from '../../daemon/jobs/backup.ts';
import { jobTable } from '../../daemon/jobs/index.ts';
import { COMPLETE_FILE } from '../../daemon/store/copy.ts';
import { control } from '../helpers/control.ts';
import { createToken, registerDevice } from '../helpers/devices.ts';
import { runCli } from '../helpers/process.ts';
import { startSatellite, testClock } from '../helpers/satellite.ts';
import { tempDir } from '../helpers/tmp.ts';

const log = pino({ level: 'silent' });

t.test('scheduled backups: verified copies, the oldest beyond keep removed, events; restore', async (t) => {
  const dir = path.join(tempDir(t), 'backups');
  const clock = testClock();
  const sat = await startSatellite(t, { clock, config: { 'backup.schedule': '45 2 * * *', 'backup.dir': dir, 'backup.keep': 2 } });
  t.ok(jobTable(sat.services, log).jobs.some((j) => j.name === 'backup' && j.cron === '45 2 * * *'), 'the job table has the backup on its cron');

  const { token } = await createToken(sat.socketPath, { virtualAccountId: 'Default' });
  t.equal((await registerDevice(sat.device, token, 'SN-BEFORE')).status, 201);
  const run = backupJob(sat.ctx, log);
  const first = await run();
  t.ok(first.records > 0);
  t.ok(existsSync(path.join(first.dir, COMPLETE_FILE)), 'the copy was verified and marked complete');
  clock.advanceDays(1);
  await run();
  clock.advanceDays(1);
  const third = await run();
  t.same(third.removed, [first.dir], 'the oldest beyond keep=2 is removed');
  t.equal(readdirSync(dir).filter((n) => n.startsWith(BACKUP_PREFIX)).length, 2);
  const events = (await control(sat.socketPath, 'GET', '/api/events?type=backup.written')).body.items;
  t.equal(events.length, 3);
  t.match(events[0].details, { dir: third.dir, records: Number, removed: [first.dir] });

  // After the last backup: one more device, which a restore of it takes away.
  t.equal((await registerDevice(sat.device, token, 'SN-AFTER')).status, 201);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, OUTPOST_DATA_DIR: sat.dataDir };
  const live = await runCli(['restore', '--from', third.dir], env);
  t.equal(live.code, 1);
  t.match(live.stderr, /^outpost: Outpost is running on .*; stop it first \(systemctl stop outpost\), then restore\n$/, 'a live data dir is refused');
  await sat.close();

  const notBackup = await runCli(['restore', '--from', dir], env);
  t.match(notBackup.stderr, /^outpost: .* is not an Outpost backup \(it needs db\/ and satellite-key\.json\)\n$/);
  const restored = await runCli(['restore', '--from', third.dir, '--json'], env);
  t.equal(restored.code, 0, restored.stderr);
  const answer = JSON.parse(restored.stdout);
  t.match(answer, { from: third.dir, dataDir: sat.dataDir, records: third.records, replaced: /replaced-/ });
  t.ok(existsSync(path.join(answer.replaced, 'db', 'CURRENT')), 'what was there is kept aside');

  const again = await startSatellite(t, { dataDir: sat.dataDir, clock });
  t.equal(again.ctx.identity.id, sat.ctx.identity.id, 'the satellite keeps its identity');
  const devices = (await control(again.socketPath, 'GET', '/api/devices')).body.items;
  t.same(devices.map((d: any) => d.udi.sn), ['SN-BEFORE'], 'the store is as the backup was');
});

t.test('backup config: schedule null means no job; a bad cron names the key', async (t) => {
  const sat = await startSatellite(t);
  t.notOk(jobTable(sat.services, log).jobs.some((j) => j.name === 'backup'));
  await sat.close();
  const bad = startSatellite(t, { config: { 'backup.schedule': 'every night' } });
  await t.rejects(bad, /backup\.schedule/);
});
