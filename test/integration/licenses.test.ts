// Lines, pools, transfers and license alerts through the admin API (control socket: full
// rights), on a real LevelDB, with devices reporting over real HTTP and an injected clock.
import t from 'tap';
import { keys } from '../../daemon/store/index.ts';
import { control } from '../helpers/control.ts';
import { postReport, report } from '../helpers/devices.ts';
import { DAY, applyLines, byPool, deviceWithUsage, dumpStore, ensureVa, line } from '../helpers/licenses.ts';
import { http, startSatellite, type TestSatellite } from '../helpers/satellite.ts';

const api = (sat: TestSatellite, method: string, path: string, body?: unknown) => control(sat.socketPath, method, path, body);

async function events(sat: TestSatellite, prefix: string) {
  const out: any[] = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '~' })) if (e.type.startsWith(prefix)) out.push(e);
  return out;
}

t.test('a snapshot lands each line in its VA, or in Default with an unknown-virtual-account alert', async (t) => {
  const sat = await startSatellite(t);
  const eng = await ensureVa(sat, 'Default/Eng');
  const now = sat.clock();
  const summary = await applyLines(sat, [
    line(now, { lineId: 'L-1', quantity: 10 }),
    line(now, { lineId: 'L-2', quantity: 5, virtualAccount: 'Default/Eng' }),
    line(now, { lineId: 'L-3', quantity: 3, entitlement: 'dna-advantage', virtualAccount: 'Nowhere/Lab' }),
    line(now, { lineId: 'L-4', quantity: 2, entitlement: 'dna-advantage', virtualAccount: null }),
  ]);
  t.same(summary, { entitlements: 4, added: 4, changed: 0, removed: 0, landedInDefault: 2 });

  const pools = await api(sat, 'GET', '/api/licenses');
  t.equal(pools.status, 200);
  t.same(Object.keys(byPool(pools.body.items)), ['Default/dna-advantage', 'Default/network-advantage', 'Default/Eng/network-advantage'], 'every VA in scope, by path then entitlement');
  t.match(byPool(pools.body.items)['Default/Eng/network-advantage'], {
    virtualAccount: { id: eng, path: 'Default/Eng' },
    purchased: 5,
    reserved: 0,
    inUse: 0,
    available: 5,
    status: 'ok',
    flags: [],
  });
  t.equal(pools.body.next, null);

  const account = await api(sat, 'GET', '/api/licenses?va=all');
  t.same(account.body.items, [
    { virtualAccount: null, entitlement: 'dna-advantage', purchased: 5, reserved: 0, inUse: 0, available: 5, status: 'ok', flags: [] },
    { virtualAccount: null, entitlement: 'network-advantage', purchased: 15, reserved: 0, inUse: 0, available: 15, status: 'ok', flags: [] },
  ]);

  const alerts = await api(sat, 'GET', '/api/alerts');
  t.equal(alerts.status, 200);
  const unknown = alerts.body.items.filter((a: any) => a.type === 'unknown-virtual-account');
  t.equal(unknown.length, 2);
  t.match(unknown, [
    { severity: 'warning', virtualAccount: { path: 'Default' }, entitlement: 'dna-advantage', since: now.toISOString(), message: /Nowhere\/Lab/ },
    { severity: 'info', virtualAccount: { path: 'Default' }, entitlement: 'dna-advantage', message: /names no virtual account/ },
  ]);

  const added = await events(sat, 'license.');
  t.equal(added.length, 4);
  t.ok(added.every((e) => e.type === 'license.line_added' && e.actor === 'cloud'));
  t.match(added.find((e) => e.details.lineId === 'L-3'), { vaId: sat.ctx.state.defaultVa.id, details: { landedInDefault: true, namedVirtualAccount: 'Nowhere/Lab' } });

  const moved = await api(sat, 'POST', '/api/licenses/transfer', { entitlement: 'dna-advantage', quantity: 5, from: 'Default', to: 'Default/Eng' });
  t.equal(moved.status, 201);
  const after = await api(sat, 'GET', '/api/alerts');
  t.same(after.body.items.filter((a: any) => a.type === 'unknown-virtual-account'), [], 'moving the quantity out of Default settles the alert');
});

t.test('a later snapshot changes quantities where lines landed; a line absent from it is gone', async (t) => {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Eng');
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 10 }), line(now, { lineId: 'L-2', quantity: 4, entitlement: 'dna-advantage' })]);
  t.equal((await api(sat, 'POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 6, from: 'Default', to: 'Default/Eng' })).status, 201);

  // Down to 2: the 4 left in Default go first, then 4 of the 6 moved to Eng.
  const summary = await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 2 })]);
  t.same(summary, { entitlements: 1, added: 0, changed: 1, removed: 1, landedInDefault: 0 });
  const pools = byPool((await api(sat, 'GET', '/api/licenses')).body.items);
  t.notOk(pools['Default/network-advantage'], 'Default holds none of it any more');
  t.equal(pools['Default/Eng/network-advantage'].purchased, 2);
  t.notOk(pools['Default/dna-advantage'], 'the line absent from the snapshot is gone');
  t.match((await events(sat, 'license.line_')).map((e) => e.type), ['license.line_added', 'license.line_added', 'license.line_changed', 'license.line_removed']);

  const before = await dumpStore(sat);
  const again = await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 2 })]);
  t.same(again, { entitlements: 1, added: 0, changed: 0, removed: 0, landedInDefault: 0 }, 'the same snapshot again changes nothing');
  t.same(await dumpStore(sat), before, 'and writes nothing');
});

t.test('pools count each registered device\'s latest report, by VA; the account view sums them', async (t) => {
  const sat = await startSatellite(t);
  const eng = await ensureVa(sat, 'Default/Eng');
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 10 }), line(now, { lineId: 'L-2', quantity: 5, virtualAccount: 'Default/Eng' })]);
  const a = await deviceWithUsage(sat, 'Default', { 'network-advantage': 12 });
  const b = await deviceWithUsage(sat, 'Default/Eng', { 'network-advantage': 3, 'dna-advantage': 1 });

  const only = await api(sat, 'GET', '/api/licenses?va=Default');
  t.same(only.body.items, [
    { virtualAccount: { id: sat.ctx.state.defaultVa.id, path: 'Default' }, entitlement: 'network-advantage', purchased: 10, reserved: 0, inUse: 12, available: -2, status: 'insufficient', flags: [] },
  ], '?va= is that VA alone');
  const nested = byPool((await api(sat, 'GET', '/api/licenses?va=Default&nested=true')).body.items);
  t.same(Object.keys(nested), ['Default/network-advantage', 'Default/Eng/dna-advantage', 'Default/Eng/network-advantage'], '&nested=true lists each VA below, not a sum');
  t.match(nested['Default/Eng/network-advantage'], { inUse: 3, available: 2, status: 'ok' });
  t.match(nested['Default/Eng/dna-advantage'], { purchased: 0, inUse: 1, available: -1, status: 'insufficient', flags: ['expired'] });
  t.same((await api(sat, 'GET', `/api/licenses?va=${eng}`)).body.items.length, 2, 'a VA may be named by id');

  const sum = byPool((await api(sat, 'GET', '/api/licenses?va=all')).body.items);
  t.match(sum['*/network-advantage'], { virtualAccount: null, purchased: 15, inUse: 15, available: 0, status: 'ok' });

  const status = await http('GET', `${sat.device}/v1/status`, { headers: { authorization: `Bearer ${b.credential}` } });
  t.same(status.body.entitlements, [
    { entitlement: 'dna-advantage', count: 1, poolStatus: 'insufficient' },
    { entitlement: 'network-advantage', count: 3, poolStatus: 'ok' },
  ], '/v1/status shows the VA pool status of each entitlement the device uses');

  // A newer report (a later window end) replaces the device's usage whole.
  sat.clock.set(new Date(sat.clock().getTime() + 3_600_000));
  t.equal((await postReport(sat.device, a.credential, report(sat.clock(), [{ entitlement: 'dna-advantage', count: 2 }]))).status, 202);
  const later = byPool((await api(sat, 'GET', '/api/licenses?va=Default')).body.items);
  t.match(later['Default/network-advantage'], { inUse: 0, available: 10, status: 'ok' });
  t.match(later['Default/dna-advantage'], { inUse: 2, status: 'insufficient', flags: ['expired'] });

  // Deregistered: its usage stops counting.
  t.equal((await http('POST', `${sat.device}/v1/deregister`, { headers: { authorization: `Bearer ${a.credential}` } })).status, 200);
  t.notOk(byPool((await api(sat, 'GET', '/api/licenses?va=Default')).body.items)['Default/dna-advantage']);

  t.equal((await api(sat, 'GET', '/api/licenses?va=Nowhere')).status, 404);
  t.equal((await api(sat, 'GET', '/api/licenses?bogus=1')).body.error.code, 'INVALID_REQUEST');
  t.equal((await api(sat, 'GET', '/api/licenses?va=all&limit=1')).body.items.length, 1);
});

t.test('a transfer moves quantity and answers its transfers.ndjson record; the export queue holds it', async (t) => {
  const sat = await startSatellite(t);
  const eng = await ensureVa(sat, 'Default/Eng');
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 10 })]);

  const res = await api(sat, 'POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 4, from: 'Default', to: eng });
  t.equal(res.status, 201);
  t.same(Object.keys(res.body).sort(), ['at', 'by', 'entitlement', 'from', 'quantity', 'to', 'transferId']);
  t.match(res.body, { transferId: /^tr_/, entitlement: 'network-advantage', quantity: 4, from: 'Default', to: 'Default/Eng', at: now.toISOString(), by: 'local' });
  const pools = byPool((await api(sat, 'GET', '/api/licenses')).body.items);
  t.equal(pools['Default/network-advantage'].purchased, 6);
  t.equal(pools['Default/Eng/network-advantage'].purchased, 4);

  const [event] = await events(sat, 'license.transferred');
  t.match(event, { actor: 'local', vaId: sat.ctx.state.defaultVa.id, details: { transferId: res.body.transferId, quantity: 4, from: 'Default', to: 'Default/Eng' } });

  const { outbox } = sat.services.licensing;
  const queued: any[] = [];
  for await (const q of outbox.transfers()) queued.push(q);
  t.same(queued.map((q) => q.record), [res.body], 'queued for the exchange as transfers.ndjson has it');
  await sat.ctx.writer.run(async (tx) => t.same(await outbox.acknowledge(tx, { transfers: queued[0].seq }), { transfers: 1, reservations: 0 }));
  const left: any[] = [];
  for await (const q of outbox.transfers()) left.push(q);
  t.same(left, [], 'acknowledged records leave the queue');
});

t.test('transfer refusals: each a clear error, nothing changed', async (t) => {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Eng');
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 10 })]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 7 });
  const before = await dumpStore(sat);

  const cases: Array<[string, unknown, number, string, RegExp]> = [
    ['more than available', { entitlement: 'network-advantage', quantity: 4, from: 'Default', to: 'Default/Eng' }, 409, 'INSUFFICIENT_QUANTITY', /Only 3 network-advantage licenses are available/],
    ['an entitlement the source does not hold', { entitlement: 'dna-advantage', quantity: 1, from: 'Default', to: 'Default/Eng' }, 409, 'INSUFFICIENT_QUANTITY', /holds no active dna-advantage/],
    ['a negative quantity', { entitlement: 'network-advantage', quantity: -1, from: 'Default', to: 'Default/Eng' }, 400, 'INVALID_REQUEST', /quantity.*positive whole number/],
    ['a fractional quantity', { entitlement: 'network-advantage', quantity: 1.5, from: 'Default', to: 'Default/Eng' }, 400, 'INVALID_REQUEST', /quantity.*whole number/],
    ['a zero quantity', { entitlement: 'network-advantage', quantity: 0, from: 'Default', to: 'Default/Eng' }, 400, 'INVALID_REQUEST', /quantity/],
    ['a quantity as text', { entitlement: 'network-advantage', quantity: '2', from: 'Default', to: 'Default/Eng' }, 400, 'INVALID_REQUEST', /quantity/],
    ['an unknown VA', { entitlement: 'network-advantage', quantity: 1, from: 'Default', to: 'Default/Nope' }, 404, 'NOT_FOUND', /Default\/Nope/],
    ['the same VA twice', { entitlement: 'network-advantage', quantity: 1, from: 'Default', to: 'Default' }, 400, 'INVALID_REQUEST', /different/],
    ['an unknown field', { entitlement: 'network-advantage', quantity: 1, from: 'Default', to: 'Default/Eng', note: 'x' }, 400, 'INVALID_REQUEST', /Unknown field "note"/],
    ['a missing field', { entitlement: 'network-advantage', quantity: 1, from: 'Default' }, 400, 'INVALID_REQUEST', /"to" is required/],
  ];
  for (const [what, body, status, code, message] of cases) {
    const res = await api(sat, 'POST', '/api/licenses/transfer', body);
    t.equal(res.status, status, what);
    t.equal(res.body.error.code, code, what);
    t.match(res.body.error.message, message, what);
  }
  t.same(await dumpStore(sat), before, 'the store is exactly as before');
});

t.test('two transfers at once cannot both take the last licenses', async (t) => {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Eng');
  await ensureVa(sat, 'Default/Ops');
  await applyLines(sat, [line(sat.clock(), { lineId: 'L-1', quantity: 10 })]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 4 });
  const body = (to: string) => ({ entitlement: 'network-advantage', quantity: 6, from: 'Default', to });
  const answers = await Promise.all([api(sat, 'POST', '/api/licenses/transfer', body('Default/Eng')), api(sat, 'POST', '/api/licenses/transfer', body('Default/Ops'))]);
  t.same(answers.map((a) => a.status).sort(), [201, 409]);
  const pools = byPool((await api(sat, 'GET', '/api/licenses?va=Default')).body.items);
  t.match(pools['Default/network-advantage'], { purchased: 4, inUse: 4, available: 0 });
});

t.test('snapshot refusals: duplicate line ids, bad dates — each a clear error, nothing changed', async (t) => {
  const sat = await startSatellite(t);
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1' })]);
  const before = await dumpStore(sat);
  const bad: Array<[string, unknown, RegExp]> = [
    ['duplicate line ids', [line(now, { lineId: 'L-2' }), line(now, { lineId: 'L-2' })], /"L-2": appears more than once/],
    ['a date that does not exist', [line(now, { lineId: 'L-2', endsAt: '2027-02-30T00:00:00Z' })], /endsAt must be null or an ISO 8601/],
    ['a date without a zone', [line(now, { lineId: 'L-2', startsAt: '2026-01-01T00:00:00' })], /startsAt must be an ISO 8601/],
    ['an end before the start', [line(now, { lineId: 'L-2', endsAt: new Date(now.getTime() - 60 * DAY).toISOString() })], /endsAt must be after startsAt/],
    ['a negative quantity', [line(now, { lineId: 'L-2', quantity: -3 })], /must not be negative/],
    ['a fractional quantity', [line(now, { lineId: 'L-2', quantity: 2.5 })], /whole number/],
    ['not an array', { lines: [] }, /must be an array/],
  ];
  for (const [what, lines, message] of bad) {
    await t.rejects(applyLines(sat, lines), { code: 'INVALID_REQUEST', status: 400, message }, what);
  }
  t.same(await dumpStore(sat), before, 'the store is exactly as before');
  t.equal(sat.services.licensing.book.state.lines.length, 1);
});

t.test('time: a line ending in 89 days is expiring; after its end it stops counting', async (t) => {
  const sat = await startSatellite(t);
  const now = sat.clock();
  await applyLines(sat, [
    line(now, { lineId: 'L-1', quantity: 10, endsAt: new Date(now.getTime() + 89 * DAY).toISOString() }),
    line(now, { lineId: 'L-2', quantity: 5, entitlement: 'dna-advantage', endsAt: new Date(now.getTime() + 91 * DAY).toISOString() }),
  ]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 2 });
  let pools = byPool((await api(sat, 'GET', '/api/licenses?va=Default')).body.items);
  t.same(pools['Default/network-advantage'].flags, ['expiring'], 'ends in 89 days: expiring');
  t.same(pools['Default/dna-advantage'].flags, [], 'ends in 91 days: not yet');
  let alerts = (await api(sat, 'GET', '/api/alerts')).body.items;
  t.match(alerts, [{ type: 'expiring', severity: 'info', entitlement: 'network-advantage', message: /in 89 days/ }]);

  sat.clock.advanceDays(60);
  alerts = (await api(sat, 'GET', '/api/alerts')).body.items;
  t.match(alerts.map((a: any) => [a.type, a.severity, a.entitlement]), [
    ['expiring', 'warning', 'network-advantage'],
    ['expiring', 'info', 'dna-advantage'],
  ], 'within 30 days an expiring alert is a warning');

  sat.clock.advanceDays(29);
  pools = byPool((await api(sat, 'GET', '/api/licenses?va=Default')).body.items);
  t.match(pools['Default/network-advantage'], { purchased: 0, inUse: 2, available: -2, status: 'insufficient', flags: ['expired'] }, 'at its end it stops counting');
  alerts = (await api(sat, 'GET', '/api/alerts')).body.items;
  t.match(alerts[0], { type: 'expired', severity: 'critical', entitlement: 'network-advantage', since: new Date(now.getTime() + 89 * DAY).toISOString() });
  t.notOk(alerts.some((a: any) => a.type === 'insufficient' && a.entitlement === 'network-advantage'), 'expired already says it');
});

t.test('a restart with the same data dir brings the pools back identical', async (t) => {
  const first = await startSatellite(t);
  await ensureVa(first, 'Default/Eng/Lab');
  const now = first.clock();
  await applyLines(first, [
    line(now, { lineId: 'L-1', quantity: 20 }),
    line(now, { lineId: 'L-2', quantity: 7, entitlement: 'dna-advantage', type: 'perpetual', endsAt: null, virtualAccount: 'Default/Eng' }),
    line(now, { lineId: 'L-3', quantity: 1, entitlement: 'dna-advantage', virtualAccount: 'Gone' }),
  ]);
  await api(first, 'POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 5, from: 'Default', to: 'Default/Eng/Lab' });
  await api(first, 'POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 2, from: 'Default/Eng/Lab', to: 'Default/Eng' });
  await deviceWithUsage(first, 'Default/Eng/Lab', { 'network-advantage': 4, 'dna-advantage': 2 });
  await deviceWithUsage(first, 'Default', { 'network-advantage': 30 });
  const moved = await deviceWithUsage(first, 'Default', { 'dna-advantage': 1 });
  await api(first, 'POST', `/api/devices/${moved.deviceId}/move`, { virtualAccount: 'Default/Eng' });

  const read = async (sat: TestSatellite) => ({
    pools: (await api(sat, 'GET', '/api/licenses?limit=1000')).body,
    account: (await api(sat, 'GET', '/api/licenses?va=all')).body,
    alerts: (await api(sat, 'GET', '/api/alerts')).body,
    state: sat.services.licensing.book.state,
  });
  const before = await read(first);
  await first.close();
  const second = await startSatellite(t, { dataDir: first.dataDir, clock: first.clock });
  t.same(await read(second), before, 'pools, sums, alerts and the license state are identical');

  const res = await api(second, 'POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 1, from: 'Default/Eng', to: 'Default' });
  t.equal(res.status, 201, 'and changes go on from there');
});

t.test('Prometheus gauges: alerts by type and severity, pools labelled by VA id', async (t) => {
  const sat = await startSatellite(t);
  const eng = await ensureVa(sat, 'Default/Eng');
  await applyLines(sat, [line(sat.clock(), { lineId: 'L-1', quantity: 3, virtualAccount: 'Default/Eng' })]);
  await deviceWithUsage(sat, 'Default/Eng', { 'network-advantage': 5 });
  const text = (await http('GET', `${sat.admin}/metrics`)).body as string;
  t.match(text, new RegExp(`outpost_pool_available\\{va="${eng}",entitlement="network-advantage"\\} -2`));
  t.match(text, new RegExp(`outpost_pool_purchased\\{va="${eng}",entitlement="network-advantage"\\} 3`));
  t.match(text, new RegExp(`outpost_pool_in_use\\{va="${eng}",entitlement="network-advantage"\\} 5`));
  t.match(text, /outpost_alerts\{type="insufficient",severity="warning"\} 1/);
  t.notMatch(text, /Default\/Eng/, 'never a VA path in a label');
});

t.test('pools kept up to date through concurrent reports, moves and deregistrations equal pools rebuilt at start', async (t) => {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Eng');
  await applyLines(sat, [line(sat.clock(), { lineId: 'L-1', quantity: 50 })]);
  const devices = await Promise.all(Array.from({ length: 12 }, (_, i) => deviceWithUsage(sat, i % 2 ? 'Default' : 'Default/Eng', { 'network-advantage': i, 'dna-advantage': 1 })));
  sat.clock.set(new Date(sat.clock().getTime() + 60_000));
  await Promise.all(
    devices.flatMap((d, i) => [
      postReport(sat.device, d.credential, report(sat.clock(), [{ entitlement: 'network-advantage', count: i + 2 }])),
      i % 3 === 0 ? api(sat, 'POST', `/api/devices/${d.deviceId}/move`, { virtualAccount: i % 2 ? 'Default/Eng' : 'Default' }) : Promise.resolve(),
      i % 4 === 1 ? api(sat, 'DELETE', `/api/devices/${d.deviceId}`) : Promise.resolve(),
    ]),
  );
  const live = (await api(sat, 'GET', '/api/licenses')).body;
  t.ok(live.items.length > 0);
  await sat.close();
  const again = await startSatellite(t, { dataDir: sat.dataDir, clock: sat.clock });
  t.same((await api(again, 'GET', '/api/licenses')).body, live);
});

t.test('a VA holding licenses cannot be deleted; once emptied, lines that landed there land again in Default', async (t) => {
  const sat = await startSatellite(t);
  const eng = await ensureVa(sat, 'Default/Eng');
  const now = sat.clock();
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 4, virtualAccount: 'Default/Eng' })]);
  const refused = await api(sat, 'DELETE', `/api/virtual-accounts/${eng}`);
  t.equal(refused.status, 409);
  t.equal(refused.body.error.code, 'VA_NOT_EMPTY');
  t.match(refused.body.error.message, /licenses/);

  t.equal((await api(sat, 'POST', '/api/licenses/transfer', { entitlement: 'network-advantage', quantity: 4, from: 'Default/Eng', to: 'Default' })).status, 201);
  t.equal((await api(sat, 'DELETE', `/api/virtual-accounts/${eng}`)).status, 204, 'emptied, it goes');
  await applyLines(sat, [line(now, { lineId: 'L-1', quantity: 6, virtualAccount: 'Default/Eng' })]);
  const pools = (await api(sat, 'GET', '/api/licenses')).body.items;
  t.same(pools.map((p: any) => [p.virtualAccount.path, p.purchased]), [['Default', 6]], 'the increase lands in Default, not in the VA that is gone');
});
