// Retention on a real satellite (LevelDB in a temp dir, HTTP on loopback, a stand-in cloud's
// signed responses): acknowledged reports go once acknowledged long enough ago and past the
// replay guard, every key of theirs with them; unacknowledged and recent ones stay; acks pages,
// counts, exports and duplicate detection hold; events go by age; the job runs from the job
// table and at start-up, with the test clock.
import t from 'tap';
import type { Test } from 'tap';
import path from 'node:path';
import { openBundle, publicJwkOf } from '../../exchange/bundle/index.ts';
import { AckLedger } from '../../daemon/domain/reports/acks.ts';
import { storedReportKeys } from '../../daemon/domain/reports/ingest.ts';
import { createRetention } from '../../daemon/domain/reports/retention.ts';
import { keys } from '../../daemon/store/index.ts';
import { control } from '../helpers/control.ts';
import { createToken, postReport, registerDevice, report } from '../helpers/devices.ts';
import { exportBundle, FakeCloud, importBundle, socketCall, storeDump } from '../helpers/exchange.ts';
import { http, startSatellite, testClock, type TestSatellite } from '../helpers/satellite.ts';
import { tempDir } from '../helpers/tmp.ts';

const iso = (d: Date) => d.toISOString();

async function registered(t: Test, opts: { config?: Record<string, unknown>; dataDir?: string } = {}) {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const sat = await startSatellite(t, { config: { 'exchange.cloudKeys': cloud.jwksPath, ...opts.config } });
  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } });
  const resp = await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: iso(sat.clock()) });
  t.equal((await importBundle(sat.socketPath, resp)).status, 200, 'registered');
  return { dir, cloud, sat };
}

type Device = { deviceId: string; credential: string };

async function send(sat: TestSatellite, device: Device) {
  const body = report(sat.clock());
  const res = await postReport(sat.device, device.credential, body);
  if (res.status !== 202) throw new Error(`report answered ${res.status}: ${JSON.stringify(res.body)}`);
  return body;
}

const acksOf = (sat: TestSatellite, device: Device, after?: string) =>
  http('GET', `${sat.device}/v1/acks${after === undefined ? '' : `?after=${after}`}`, { headers: { authorization: `Bearer ${device.credential}` } });

/** Keys that name a report: by its id, or a queue / device-index key of its arrival sequence. */
async function keysOf(sat: TestSatellite, reportId: string): Promise<string[]> {
  const stored = await sat.ctx.store.get<{ seq: number; deviceId: string }>(keys.report(reportId));
  const owned = new Set(stored ? storedReportKeys({ reportId, deviceId: stored.deviceId, seq: stored.seq }) : []);
  return (await storeDump(sat.ctx.store)).map(([k]) => k).filter((k) => k.includes(reportId) || owned.has(k));
}

const status = async (sat: TestSatellite) => (await socketCall(sat.socketPath, 'GET', '/api/status')).json().reports;
const retentionJob = (sat: TestSatellite) => sat.schedule.jobs.find((j) => j.name === 'retention')!;

t.test('acknowledged reports go after acknowledgedDays and past maxReportAgeDays, every key with them; the rest stays and still works', async (t) => {
  const { dir, cloud, sat } = await registered(t);
  const id = sat.ctx.identity.id;
  const { token } = await createToken(sat.socketPath);
  const reg = async (sn: string) => (await registerDevice(sat.device, token, sn)).body as Device;
  const [A, B, C] = [await reg('RET-A'), await reg('RET-B'), await reg('RET-C')];

  // Day 0: A reports twice; exported and acknowledged at once.
  const a1 = await send(sat, A);
  const a1b = await send(sat, A);
  t.equal((await exportBundle(sat.socketPath, path.join(dir, 'r1.zip'))).sequence, 1);
  t.equal((await importBundle(sat.socketPath, await cloud.cloudResponse(id, { sequence: 2, inReplyTo: 1, createdAt: iso(sat.clock()) }))).json().changes.acknowledged, 2);
  // Day 0: C reports three times; exported, but the answer is carried back across the air gap only on day 350.
  const cs = [await send(sat, C), await send(sat, C), await send(sat, C)];
  t.equal((await exportBundle(sat.socketPath, path.join(dir, 'r2.zip'))).sequence, 2);
  sat.clock.advanceDays(350);
  t.equal((await importBundle(sat.socketPath, await cloud.cloudResponse(id, { sequence: 3, inReplyTo: 2, createdAt: iso(sat.clock()) }))).json().changes.acknowledged, 3);
  // Day 360: A reports again, acknowledged at once; then B reports, never acknowledged.
  sat.clock.advanceDays(10);
  const a2 = await send(sat, A);
  await exportBundle(sat.socketPath, path.join(dir, 'r3.zip'));
  t.equal((await importBundle(sat.socketPath, await cloud.cloudResponse(id, { sequence: 4, inReplyTo: 3, createdAt: iso(sat.clock()) }))).json().changes.acknowledged, 1);
  const b1 = await send(sat, B);
  await sat.exchange.settled();

  // Day 402: A's day-0 reports were acknowledged 402 days ago and exported more than 400 + 1 days ago.
  sat.clock.advanceDays(42);
  t.same(await status(sat), { total: 7, unacknowledged: 1 });
  const pageBefore = (await acksOf(sat, A)).body;
  t.same(pageBefore.acks.map((a: { reportId: string }) => a.reportId), [a1.reportId, a1b.reportId, a2.reportId]);
  const oldCursor = String((await sat.ctx.store.get<{ seq: number }>(keys.report(a1.reportId)))!.seq);
  t.ok((await keysOf(sat, a1.reportId)).length >= 2, 'before: the report has its keys');

  await sat.schedule.runJob(retentionJob(sat));
  t.ok(sat.logs.some((l) => l.includes('retention: pruned 2 acknowledged reports and 0 events in')), 'one line with the counts and the time');
  t.ok(sat.logs.some((l) => l.includes('job retention done')), 'run through the job table');

  t.same(await keysOf(sat, a1.reportId), [], 'a pruned report leaves no key behind');
  t.same(await keysOf(sat, a1b.reportId), []);
  for (const r of [...cs, a2]) t.ok(await sat.ctx.store.get(keys.report(r.reportId)), 'acknowledged too recently (C) or received too recently (A day 360): kept');
  t.ok(await sat.ctx.store.get(keys.report(b1.reportId)), 'the unacknowledged report stays');
  t.ok(await sat.ctx.store.get(keys.unacked(sat.ctx.seq.current('report'))), '… and stays queued for the next export');
  t.same(await status(sat), { total: 5, unacknowledged: 1 }, 'the counts on status and the dashboard follow');

  // The device's acks: from the start, and from a cursor pointing into what was pruned.
  const page = (await acksOf(sat, A)).body;
  t.same(page.acks.map((a: { reportId: string }) => a.reportId), [a2.reportId], 'acks from the start: what is kept');
  t.same((await acksOf(sat, A, oldCursor)).body.acks.map((a: { reportId: string }) => a.reportId), [a2.reportId], 'an old cursor still pages on');
  t.same((await acksOf(sat, A, page.cursor)).body.acks, [], 'and the cursor moves past them');
  t.equal((await acksOf(sat, C)).body.acks.length, 3);

  // Duplicate detection: the pruned report's replay is too old; a kept one is still a duplicate.
  const replay = await postReport(sat.device, A.credential, a1);
  t.equal(replay.status, 400);
  t.equal(replay.body.error.code, 'REPORT_TOO_OLD', 'a replay of a pruned report is refused, not taken as new');
  const again = await postReport(sat.device, A.credential, a2);
  t.match(again, { status: 200, body: { reportId: a2.reportId, duplicate: true } });

  // The next export carries just what is unacknowledged.
  const e4 = await exportBundle(sat.socketPath, path.join(dir, 'r4.zip'));
  t.equal(e4.status, 200);
  const bundle = await openBundle(path.join(dir, 'r4.zip'), { trustedKeys: { keys: [publicJwkOf(sat.ctx.identity.privateKey)] } });
  t.same((await bundle.readAll('usage.ndjson')).map((u: { reportId: string }) => u.reportId), [b1.reportId]);

  const metrics = await http('GET', `${sat.admin}/metrics`);
  t.match(metrics.body, /outpost_retention_pruned_total\{kind="reports"\} 2\n/);
  t.match(metrics.body, /outpost_retention_pruned_total\{kind="events"\} 0\n/);
  const events = (await control(sat.socketPath, 'GET', '/api/events?type=retention.pruned')).body.items;
  t.match(events, [{ actor: 'system', virtualAccount: null, details: { reports: 2, events: 0, acknowledgedDays: 90, maxReportAgeDays: 400 } }]);

  // Day 441: C's reports were acknowledged 91 days ago. Pruned one report per write here.
  sat.clock.advanceDays(39);
  const small = createRetention(sat.ctx, { ledger: await AckLedger.load(sat.ctx.store), chunkKeys: 3 });
  t.same(await small.prune(sat.clock(), AbortSignal.abort()), { reports: 0, events: 0 }, 'stopped (shutdown): nothing goes…');
  t.equal((await small.mark()).reportsThrough, 2, '… and the mark stays for the next run');
  t.same(await small.prune(sat.clock()), { reports: 3, events: 0 });
  for (const r of cs) t.same(await keysOf(sat, r.reportId), []);
  t.same(await status(sat), { total: 2, unacknowledged: 1 });
  t.same((await acksOf(sat, C)).body.acks, []);
  t.same(await small.prune(sat.clock()), { reports: 0, events: 0 }, 'a second run finds nothing');
  t.equal((await small.mark()).reportsThrough, 5, 'the mark: through C\'s last report (arrival 5); A\'s day-360 report (6) is next');

  // Day 762, the satellite down meanwhile: the start-up run prunes what came due (A's day-360 report).
  await sat.close();
  sat.clock.advanceDays(321);
  const restarted = await startSatellite(t, { dataDir: sat.dataDir, clock: sat.clock, config: { 'exchange.cloudKeys': cloud.jwksPath } });
  for (let i = 0; i < 200 && !restarted.logs.some((l) => l.includes('job retention done')); i++) await new Promise((r) => setTimeout(r, 25));
  t.ok(restarted.logs.some((l) => l.includes('retention: pruned 1 acknowledged reports')), 'pruned at start-up');
  t.same(await keysOf(restarted, a2.reportId), []);
  t.same(restarted.ctx.state.reportCounts, { total: 1, unacknowledged: 1 }, 'only the unacknowledged report is left');
});

t.test('events older than eventDays go, oldest first; the event log pages on', async (t) => {
  const clock = testClock();
  const sat = await startSatellite(t, { clock, config: { 'retention.eventDays': 30 } });
  await createToken(sat.socketPath);
  const oldCount = (await control(sat.socketPath, 'GET', '/api/events?limit=1000')).body.items.length;
  t.ok(oldCount >= 3, `${oldCount} events on day 0`);
  clock.advanceDays(29);
  const day29 = (await createToken(sat.socketPath)).id;
  clock.advanceDays(2);
  const day31 = (await createToken(sat.socketPath)).id;

  await sat.schedule.runJob(retentionJob(sat));
  t.ok(sat.logs.some((l) => l.includes(`retention: pruned 0 acknowledged reports and ${oldCount} events in`)));
  const left = (await control(sat.socketPath, 'GET', '/api/events?limit=1000')).body.items;
  t.same(
    left.map((e: { type: string; details: { tokenId?: string } }) => [e.type, e.details.tokenId ?? null]),
    [
      ['retention.pruned', null],
      ['token.created', day31],
      ['token.created', day29],
    ],
    'the events of day 29 and 31 stay, and the run says what it did',
  );
  const firstKey = (await storeDump(sat.ctx.store)).find(([k]) => k.startsWith(keys.eventPrefix))![0];
  t.equal(firstKey, keys.event(oldCount + 1), 'no older event key is left');
  t.match((await http('GET', `${sat.admin}/metrics`)).body, new RegExp(`outpost_retention_pruned_total\\{kind="events"\\} ${oldCount}\\n`));

  // In small chunks, the mark carries the scan on from where the last write ended.
  clock.advanceDays(30);
  const small = createRetention(sat.ctx, { ledger: await AckLedger.load(sat.ctx.store), chunkKeys: 1 });
  t.same(await small.prune(clock()), { reports: 0, events: 1 }, 'day 61: day 29\'s event goes; day 31\'s, exactly 30 days old, stays');
  clock.advanceDays(1);
  t.same(await small.prune(clock()), { reports: 0, events: 2 }, 'day 62: the token\'s event of day 31 and the first run\'s own, one per write');
  t.same(await small.prune(clock()), { reports: 0, events: 0 }, 'what this run wrote is new');
});

t.test('the retention job is in the table, daily, and a fresh satellite\'s start-up run writes nothing', async (t) => {
  const sat = await startSatellite(t);
  t.equal(retentionJob(sat).cron, '35 4 * * *');
  t.ok(sat.schedule.nextRun('retention'), 'scheduled while the satellite runs');
  const before = await storeDump(sat.ctx.store);
  await sat.schedule.runJob(retentionJob(sat));
  t.same(await storeDump(sat.ctx.store), before, 'nothing to prune: nothing written, no event');
});
