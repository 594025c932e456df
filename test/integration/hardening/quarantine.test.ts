// A stored report the bundle schema refuses never blocks an export: it is set aside (event,
// `report-quarantined` alert with the report as subject), listed and removable through the
// admin API, and the rest goes out.
import t from 'tap';
import path from 'node:path';
import { keys } from '../../../daemon/store/index.ts';
import type { QueuedReport } from '../../../daemon/domain/satellite/records.ts';
import { execFileSync } from 'node:child_process';
import { startSatellite } from '../../helpers/satellite.ts';
import { control } from '../../helpers/control.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { exportBundle } from '../../helpers/exchange.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { daemonEnv, runCli } from '../../helpers/process.ts';

/** The report ids in a bundle's usage.ndjson, read with Python's zipfile (a reader we did not write). */
function usageIds(zip: string): string[] {
  const text = execFileSync('/usr/bin/python3', ['-c', 'import sys,zipfile; print(zipfile.ZipFile(sys.argv[1]).read("usage.ndjson").decode())', zip], { encoding: 'utf8' });
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).reportId);
}

t.test('an export sets a poisoned report aside and carries the rest; an admin sees and removes it', async (t) => {
  const sat = await startSatellite(t);
  const dir = tempDir(t);
  const { token } = await createToken(sat.socketPath);
  const reg = await registerDevice(sat.device, token, 'QRN1');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const body = report(new Date(sat.clock().getTime() - (3 - i) * 60_000));
    t.equal((await postReport(sat.device, reg.body.credential, body)).status, 202);
    ids.push(body.reportId);
  }
  // As a report stored before the device API checked instants strictly would be.
  let poisoned = '';
  await sat.ctx.writer.run(async (tx) => {
    const key = keys.unacked(2);
    const q = (await tx.get<QueuedReport>(key))!;
    poisoned = q.reportId;
    tx.put(key, { ...q, window: { ...q.window, start: '2026-11-31T10:00:00.000Z' } });
  });
  t.equal(poisoned, ids[1]);

  const first = await exportBundle(sat.socketPath, path.join(dir, 'r1.zip'));
  t.equal(first.status, 200, 'the export is not blocked');
  const carried = usageIds(path.join(dir, 'r1.zip'));
  t.same(carried, [ids[0], ids[2]], 'the bundle carries the other reports');

  const list = await control(sat.socketPath, 'GET', '/api/quarantine');
  t.equal(list.status, 200);
  t.equal(list.body.items.length, 1);
  t.match(list.body.items[0], { reportId: poisoned, deviceId: reg.body.deviceId, virtualAccount: { path: 'Default' }, window: { start: '2026-11-31T10:00:00.000Z' }, reason: /window\.start/ });

  const alerts = await control(sat.socketPath, 'GET', '/api/alerts');
  const alert = alerts.body.items.find((a: any) => a.type === 'report-quarantined');
  t.match(alert, { severity: 'warning', subject: { kind: 'report', id: poisoned } });
  const events = await control(sat.socketPath, 'GET', '/api/events?type=report.quarantined');
  t.match(events.body.items, [{ type: 'report.quarantined', details: { reportId: poisoned, deviceId: reg.body.deviceId } }]);
  t.equal(sat.ctx.state.reportCounts.unacknowledged, 2, 'the quarantined report no longer counts as waiting');

  const second = await exportBundle(sat.socketPath, path.join(dir, 'r2.zip'));
  t.equal(second.status, 200, 'the next export works too');
  t.equal((await control(sat.socketPath, 'GET', '/api/quarantine')).body.items.length, 1, 'set aside once');

  const resend = await postReport(sat.device, reg.body.credential, { reportId: poisoned, window: { start: 'x', end: 'y' }, usage: [] });
  t.equal(resend.status, 400, 'a resend of the id is still judged, never taken in again');

  const env = daemonEnv(sat.dataDir);
  const listed = await runCli(['quarantine', 'list', '--json'], env);
  t.equal(listed.code, 0, listed.stderr);
  t.match(JSON.parse(listed.stdout), { items: [{ reportId: poisoned }] });
  const text = await runCli(['quarantine', 'list'], env);
  t.match(text.stdout, poisoned);
  const removed = await runCli(['quarantine', 'remove', poisoned], env);
  t.equal(removed.code, 0, removed.stderr);
  t.match(removed.stdout, `removed quarantined report ${poisoned}`);
  t.equal((await control(sat.socketPath, 'GET', `/api/quarantine`)).body.items.length, 0);
  t.notOk((await control(sat.socketPath, 'GET', '/api/alerts')).body.items.some((a: any) => a.type === 'report-quarantined'), 'the alert is gone');
  t.equal((await control(sat.socketPath, 'DELETE', `/api/quarantine/${poisoned}`)).status, 404);
  const again = await runCli(['quarantine', 'remove', poisoned, '--json'], env);
  t.not(again.code, 0);
  t.match(JSON.parse(again.stdout), { error: { code: 'NOT_FOUND' } });
  t.equal((await control(sat.socketPath, 'GET', '/api/events?type=report.quarantine_removed')).body.items.length, 1);
});
