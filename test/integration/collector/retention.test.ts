// Retention of collected RUM reports (SPEC §2 retention, §9 "A report pruned by retention leaves
// its (UDI, id) behind"), on a real satellite with the test clock, against an emulated product over
// real HTTPS: acknowledged reports go acknowledgedDays after their acknowledgement and not before,
// leaving a tombstone; unacknowledged ones stay; the pruned reports collected again store nothing
// and count nothing twice; the retention job's log line, metric and event say how many went.
import t from 'tap';
import { startSatellite, http } from '../../helpers/satellite.ts';
import { control } from '../../helpers/control.ts';
import { socketCall } from '../../helpers/exchange.ts';
import { startFleet } from '../../../scripts/product-emulator.ts';
import { keys, prefixRange } from '../../../daemon/store/index.ts';
import type { AckEntry, RumExportRecord, RumStored } from '../../../daemon/domain/collector/records.ts';
import { createRumRetention } from '../../../daemon/domain/collector/retention.ts';

const ACK = '<smartLicense><smartLicenseRumAck><data>b3BhcXVl</data></smartLicenseRumAck></smartLicense>';

t.test('acknowledged RUM reports go after acknowledgedDays, leave their (UDI, id), and are never collected again', async (t) => {
  let productNow = Math.floor(Date.now() / 1000) - 7200;
  const fleet = await startFleet({ products: 1, product: () => ({ closedReports: 4, now: () => productNow }) });
  t.teardown(() => fleet.close());
  const p = fleet.products[0]!;
  const sat = await startSatellite(t);
  const sock = (m: string, path: string, body?: unknown) => control(sat.socketPath, m, path, body);
  const target = (await sock('POST', '/api/collector/targets', { address: p.url, username: p.options.username, password: p.options.password, tls: { ca: fleet.pem.cert } })).body;
  const poll = async () => {
    await sock('POST', '/api/collector/poll', { targets: [target.id] });
    await sat.services.collector.idle();
    return (await sock('GET', `/api/collector/targets/${target.id}`)).body;
  };
  const stored = async () => {
    const out: RumStored[] = [];
    for await (const [, v] of sat.ctx.store.iterate<RumStored>(prefixRange(keys.rumPrefix))) out.push(v);
    return out;
  };
  const indexed = async () => {
    let n = 0;
    for await (const _ of sat.ctx.store.iterate(prefixRange(keys.rumAckedPrefix))) n++;
    return n;
  };
  const inUse = async () => ((await sock('GET', '/api/licenses?va=Default')).body.items as Array<{ entitlement: string; inUse: number }>).map((x) => `${x.entitlement}=${x.inUse}`).sort();
  const retention = sat.schedule.jobs.find((j) => j.name === 'retention')!;

  // Day 0: four closed reports (the product's clock stands still, so the poll closes none); all acknowledged through Cisco's file round trip.
  const first = await poll();
  t.match(first.lastPoll, { ok: true, reports: 4 });
  const collected = first.reportsCollected;
  const pools = await inUse();
  const exported = await socketCall(sat.socketPath, 'POST', '/api/collector/rum/export');
  t.equal(exported.status, 200);
  const imported = await socketCall(sat.socketPath, 'POST', '/api/collector/rum/import-ack', { zip: Buffer.from(ACK), type: 'application/xml' });
  t.match(imported.json(), { acknowledged: 4 });
  await sat.services.collector.idle();
  t.equal(await indexed(), 4, 'each acknowledged report enters the retention index');
  const acknowledgedAt = sat.clock().toISOString();
  t.ok((await stored()).every((r) => r.acknowledged && r.acknowledgedAt === acknowledgedAt));

  // Day 1: two more reports close (one per tag) and are collected, never acknowledged.
  sat.clock.advanceDays(1);
  productNow += 3600;
  t.match((await poll()).lastPoll, { ok: true, reports: 2 }, 'one report per tag closed by the poll');

  // Day 89: acknowledged 89 days ago, within retention.acknowledgedDays (90): nothing goes.
  sat.clock.advanceDays(88);
  await sat.schedule.runJob(retention);
  t.ok(sat.logs.some((l) => l.includes('retention: pruned 0 acknowledged reports and 0 events in') && l.includes('; 0 collected RUM reports left their (UDI, id)')));
  t.equal((await stored()).filter((r) => r.report !== null).length, 6, 'not before the window');
  t.equal(await indexed(), 4);

  // Day 90: exactly acknowledgedDays since the acknowledgement: the four go, the two unacknowledged stay.
  sat.clock.advanceDays(1);
  await sat.schedule.runJob(retention);
  t.ok(sat.logs.some((l) => l.includes('; 4 collected RUM reports left their (UDI, id)')), 'the job\'s line counts them');
  const after = await stored();
  t.equal(after.length, 6, 'every (UDI, id) is still known');
  const tombstones = after.filter((r) => r.report === null);
  t.equal(tombstones.length, 4);
  for (const r of tombstones) {
    t.match(r, { udi: p.udi, reportId: /^\d+$/, digest: /^[0-9a-f]{64}$/, acknowledged: true, acknowledgedAt, prunedAt: sat.clock().toISOString(), usage: null, queueSeq: null });
    t.ok(JSON.stringify(r).length < 600, `a small tombstone (${JSON.stringify(r).length} bytes)`);
  }
  t.ok(after.filter((r) => r.report !== null).every((r) => !r.acknowledged), 'the unacknowledged ones stay whole');
  t.equal(await indexed(), 0, 'the index holds nothing pruned');
  const metrics = String((await http('GET', `${sat.admin}/metrics`)).body);
  t.match(metrics, /outpost_retention_pruned_total\{kind="rum_reports"\} 4\n/);
  const events = (await sock('GET', '/api/events?type=retention.pruned')).body.items;
  t.match(events, [{ actor: 'system', details: { reports: 0, rumReports: 4, acknowledgedDays: 90 } }]);

  // The product still serves them (it keeps acknowledged reports): collected again, nothing stored or counted.
  t.ok(p.reports.filter((r) => r.state === 'ACK').length >= 4, 'the product serves its acknowledged reports');
  const again = await poll();
  t.match(again.lastPoll, { ok: true, reports: 0, error: null }, 'nothing stored');
  t.equal(again.reportsCollected, collected + 2, 'nothing counted twice');
  const polled = (await sock('GET', '/api/events?type=collector.polled')).body.items;
  t.match(polled[0], { details: { stored: 0, duplicates: 6, conflicts: 0 } }, 'the tombstones are known reports');
  t.same((await stored()).filter((r) => r.report === null).map((r) => r.reportId).sort(), tombstones.map((r) => r.reportId).sort(), 'the tombstones stay tombstones');
  t.same(await inUse(), pools, 'the pools count the product once, as before');
  t.equal((await sock('GET', '/api/devices')).body.items.length, 1);
  // A pruned id served with other bytes is still the same report: a conflict, not a new one.
  p.tamper(BigInt(tombstones[0]!.reportId));
  t.match((await poll()).lastPoll, { ok: true, reports: 0 });
  t.match((await sock('GET', '/api/events?type=collector.report_conflict')).body.items, [{ details: { reportId: tombstones[0]!.reportId } }]);

  // A second run finds nothing; the RUM export leaves the tombstones out.
  t.equal(await createRumRetention(sat.ctx).prune(sat.clock()), 0);
  const xml = String((await socketCall(sat.socketPath, 'POST', '/api/collector/rum/export')).body);
  t.equal((xml.match(/<RUMReport>/g) ?? []).length, 2, 'only the two unacknowledged reports');
});

t.test('a large prune goes a chunk at a time, and a stopped run is finished by the next', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const fleet = await startFleet({ products: 1, product: () => ({ closedReports: 7, now: () => now }) });
  t.teardown(() => fleet.close());
  const p = fleet.products[0]!;
  const sat = await startSatellite(t);
  const target = (await control(sat.socketPath, 'POST', '/api/collector/targets', { address: p.url, username: 'collector', password: p.options.password, tls: { ca: fleet.pem.cert } })).body;
  await control(sat.socketPath, 'POST', '/api/collector/poll', { targets: [target.id] });
  await sat.services.collector.idle();
  await socketCall(sat.socketPath, 'POST', '/api/collector/rum/export');
  t.match((await socketCall(sat.socketPath, 'POST', '/api/collector/rum/import-ack', { zip: Buffer.from(ACK), type: 'application/xml' })).json(), { acknowledged: 7 });
  sat.clock.advanceDays(91);
  const small = createRumRetention(sat.ctx, { chunk: 3 });
  t.equal(await small.prune(sat.clock(), AbortSignal.abort()), 3, 'stopped after its first write');
  t.equal(await small.prune(sat.clock()), 4, 'the next run goes on from there, in chunks of 3');
  t.equal(await small.prune(sat.clock()), 0);
  let whole = 0;
  for await (const [, v] of sat.ctx.store.iterate<RumStored>(prefixRange(keys.rumPrefix))) if (v.report !== null) whole++;
  t.equal(whole, 0);
});

t.test('delivered acknowledgements and old RUM exports go after acknowledgedDays; undelivered ones and the newest export stay', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const fleet = await startFleet({ products: 2, product: () => ({ closedReports: 2, now: () => now }) });
  t.teardown(() => fleet.close());
  const [a, b] = fleet.products as [typeof fleet.products[0], typeof fleet.products[0]];
  const sat = await startSatellite(t);
  const sock = (m: string, path: string, body?: unknown) => control(sat.socketPath, m, path, body);
  const add = async (p: typeof a) => (await sock('POST', '/api/collector/targets', { address: p.url, username: p.options.username, password: p.options.password, tls: { ca: fleet.pem.cert } })).body.id as string;
  const ids = [await add(a), await add(b)];
  await sock('POST', '/api/collector/poll', { targets: ids });
  await sat.services.collector.idle();
  const entries = async () => {
    const out: AckEntry[] = [];
    for await (const [, v] of sat.ctx.store.iterate<AckEntry>(prefixRange(keys.rumAcksPrefix))) out.push(v);
    return out;
  };
  const exportsKept = async () => {
    const out: number[] = [];
    for await (const [, v] of sat.ctx.store.iterate<RumExportRecord>(prefixRange(keys.rumExportPrefix))) out.push(v.n);
    return out;
  };
  // Day 0: exports 1 and 2; the acknowledgement of export 2 reaches product A, product B refuses it.
  t.equal((await socketCall(sat.socketPath, 'POST', '/api/collector/rum/export')).status, 200);
  t.equal((await socketCall(sat.socketPath, 'POST', '/api/collector/rum/export')).status, 200);
  b.faults.importStatus = 500;
  t.match((await socketCall(sat.socketPath, 'POST', '/api/collector/rum/import-ack', { zip: Buffer.from(ACK), type: 'application/xml' })).json(), { export: 2, queued: 2 });
  await sat.services.collector.idle();
  const queued = await entries();
  t.equal(queued.length, 2);
  t.equal(queued.filter((e) => e.deliveredAt).length, 1, 'one delivered (A), one refused (B)');
  // Day 50: export 3, the newest.
  sat.clock.advanceDays(50);
  t.equal((await socketCall(sat.socketPath, 'POST', '/api/collector/rum/export')).status, 200);

  // Day 89: within acknowledgedDays of the delivery and of exports 1 and 2: nothing goes.
  sat.clock.advanceDays(39);
  t.same(await createRumRetention(sat.ctx).pruneRecords(sat.clock()), { acks: 0, exports: 0 });
  // Day 90: the delivered entry and exports 1 and 2 go; the undelivered entry and export 3 stay.
  sat.clock.advanceDays(1);
  await sat.schedule.runJob(sat.schedule.jobs.find((j) => j.name === 'retention')!);
  t.ok(sat.logs.some((l) => l.includes('; 3 delivered acknowledgements and RUM export records deleted')), 'the job\'s line counts them');
  const left = await entries();
  t.equal(left.length, 1);
  t.match(left[0], { targetId: ids[1], deliveredAt: null, lastError: /500|BAD_ANSWER|refused/i }, 'the undelivered one stays, whatever its age');
  t.same(await exportsKept(), [3]);
  t.match((await sock('GET', '/api/events?type=retention.pruned')).body.items, [{ details: { rumAcks: 1, rumExports: 2 } }]);
  t.match(String((await http('GET', `${sat.admin}/metrics`)).body), /outpost_retention_pruned_total\{kind="rum_records"\} 3\n/);
  t.match((await sock('GET', `/api/collector/targets/${ids[0]}`)).body.acks, { pending: 0, delivered: 1 }, 'the target still counts its delivery');

  // Day 141: export 3 is past acknowledgedDays too, but it is the newest: `import-ack` without a number still answers it.
  sat.clock.advanceDays(51);
  t.same(await createRumRetention(sat.ctx).pruneRecords(sat.clock()), { acks: 0, exports: 0 });
  t.same(await exportsKept(), [3]);
  // B takes acknowledgements again: the old entry is delivered at its next chance, then goes acknowledgedDays later.
  b.faults.importStatus = undefined;
  t.match((await socketCall(sat.socketPath, 'POST', '/api/collector/rum/import-ack', { zip: Buffer.from(ACK), type: 'application/xml' })).json(), { export: 3 });
  await sat.services.collector.idle();
  t.ok((await entries()).every((e) => e.deliveredAt), 'delivered now');
  sat.clock.advanceDays(90);
  t.same(await createRumRetention(sat.ctx, { chunk: 1 }).pruneRecords(sat.clock()), { acks: 1, exports: 0 }, 'a chunk at a time');
  t.same(await entries(), []);
});
