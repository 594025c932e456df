// A product with many reports (SPEC §9 "Polls never block device ingest"): its answer is stored a
// few dozen reports per write transaction (domain/collector/lane.ts), each report whole in one of
// them, no transaction over the lane's budget in characters of report text; the poll's result,
// its event and the target's count say the whole answer, and polling again stores nothing.
import t from 'tap';
import { startSatellite } from '../../helpers/satellite.ts';
import { control } from '../../helpers/control.ts';
import { startFleet } from '../../../scripts/product-emulator.ts';
import { keys, prefixRange } from '../../../daemon/store/index.ts';
import { REPORT_CHARS_PER_TRANSACTION, REPORTS_PER_TRANSACTION } from '../../../daemon/domain/collector/lane.ts';

t.test('an answer of 2.5 transactions of reports is stored whole, counted once', async (t) => {
  const n = REPORTS_PER_TRANSACTION * 2 + REPORTS_PER_TRANSACTION / 2;
  const now = Math.floor(Date.now() / 1000);
  const fleet = await startFleet({ products: 1, product: () => ({ closedReports: n, now: () => now }) });
  t.teardown(() => fleet.close());
  const p = fleet.products[0]!;
  const sat = await startSatellite(t);
  const target = (await control(sat.socketPath, 'POST', '/api/collector/targets', { address: p.url, username: 'collector', password: p.options.password, tls: { ca: fleet.pem.cert } })).body;
  // Count the write transactions the poll makes: each reads the target first.
  let transactions = 0;
  // And what each stages of collected reports: how many, how many characters of report text.
  const staged: Array<{ reports: number; chars: number }> = [];
  const run = sat.ctx.writer.run.bind(sat.ctx.writer);
  sat.ctx.writer.run = ((fn, opts) => run((tx) => {
    const get = tx.get.bind(tx);
    const put = tx.put.bind(tx);
    let counted = false;
    const mine = { reports: 0, chars: 0 };
    tx.get = ((key: string) => {
      if (!counted && key === keys.target(target.id)) (counted = true), transactions++, staged.push(mine);
      return get(key);
    }) as typeof tx.get;
    tx.put = ((key: string, value: unknown) => {
      const report = (value as { report?: unknown }).report;
      if (key.startsWith(keys.rumPrefix) && typeof report === 'string') (mine.reports++, (mine.chars += report.length));
      put(key, value);
    }) as typeof tx.put;
    return fn(tx);
  }, opts)) as typeof sat.ctx.writer.run;
  const poll = async () => {
    await control(sat.socketPath, 'POST', '/api/collector/poll', { targets: [target.id] });
    await sat.services.collector.idle();
    return (await control(sat.socketPath, 'GET', `/api/collector/targets/${target.id}`)).body;
  };
  const first = await poll();
  t.match(first.lastPoll, { ok: true, reports: n, error: null });
  t.equal(first.reportsCollected, n);
  t.equal(transactions, 3, 'three write transactions');
  t.same(staged.map((x) => x.reports), [REPORTS_PER_TRANSACTION, REPORTS_PER_TRANSACTION, REPORTS_PER_TRANSACTION / 2], 'the reports split in order, none twice');
  t.ok(staged.every((x) => x.chars > 0 && x.chars <= REPORT_CHARS_PER_TRANSACTION), `each within the lane's characters budget (${staged.map((x) => x.chars).join(', ')})`);
  let stored = 0;
  for await (const _ of sat.ctx.store.iterate(prefixRange(keys.rumPrefix))) stored++;
  t.equal(stored, n);
  t.match((await control(sat.socketPath, 'GET', '/api/events?type=collector.polled')).body.items, [{ details: { stored: n, duplicates: 0 } }], 'one event for the poll');
  const again = await poll();
  t.match(again.lastPoll, { ok: true, reports: 0 });
  t.equal(again.reportsCollected, n, 'nothing counted twice');
  t.match((await control(sat.socketPath, 'GET', '/api/events?type=collector.polled')).body.items[0], { details: { stored: 0, duplicates: n } });
});
