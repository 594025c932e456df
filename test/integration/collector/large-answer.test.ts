// A product with many reports (SPEC §9 "Polls never block device ingest"): its answer is stored a
// few hundred reports per write transaction, each report whole in one of them; the poll's result,
// its event and the target's count say the whole answer, and polling again stores nothing.
import t from 'tap';
import { startSatellite } from '../../helpers/satellite.ts';
import { control } from '../../helpers/control.ts';
import { startFleet } from '../../../scripts/product-emulator.ts';
import { keys, prefixRange } from '../../../daemon/store/index.ts';
import { REPORTS_PER_TRANSACTION } from '../../../daemon/collector/service.ts';

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
  const run = sat.ctx.writer.run.bind(sat.ctx.writer);
  sat.ctx.writer.run = ((fn, opts) => run((tx) => {
    const get = tx.get.bind(tx);
    let counted = false;
    tx.get = ((key: string) => {
      if (!counted && key === keys.target(target.id)) (counted = true), transactions++;
      return get(key);
    }) as typeof tx.get;
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
  let stored = 0;
  for await (const _ of sat.ctx.store.iterate(prefixRange(keys.rumPrefix))) stored++;
  t.equal(stored, n);
  t.match((await control(sat.socketPath, 'GET', '/api/events?type=collector.polled')).body.items, [{ details: { stored: n, duplicates: 0 } }], 'one event for the poll');
  const again = await poll();
  t.match(again.lastPoll, { ok: true, reports: 0 });
  t.equal(again.reportsCollected, n, 'nothing counted twice');
  t.match((await control(sat.socketPath, 'GET', '/api/events?type=collector.polled')).body.items[0], { details: { stored: 0, duplicates: n } });
});
