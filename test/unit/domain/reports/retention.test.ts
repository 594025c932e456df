// Retention's rules on their own: which acknowledged ranges may go (acknowledgement age and the
// replay guard of device.maxReportAgeDays), and the list of keys one stored report owns, checked
// against what ingest really writes.
import t from 'tap';
import type { AckRange } from '../../../../daemon/domain/reports/acks.ts';
import { storedReportKeys } from '../../../../daemon/domain/reports/ingest.ts';
import { prunableThrough, type RetentionRules } from '../../../../daemon/domain/reports/retention.ts';
import { createToken, postReport, registerDevice, report } from '../../../helpers/devices.ts';
import { storeDump } from '../../../helpers/exchange.ts';
import { startSatellite } from '../../../helpers/satellite.ts';

const DAY = 86_400_000;
const NOW = new Date('2028-06-01T00:00:00.000Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY).toISOString();
const DEFAULTS: RetentionRules = { acknowledgedDays: 90, maxReportAgeDays: 400 };

/** Ranges of 10 sequences each, acknowledged and exported as given (days ago). */
function ledger(rows: Array<{ acknowledged: number; exported: number }>) {
  const exported = new Map<number, string>();
  const ranges: AckRange[] = rows.map((r, i) => {
    exported.set(i + 1, daysAgo(r.exported));
    return { from: i * 10, upTo: (i + 1) * 10, count: 10, bundleSequence: i + 1, acknowledgedAt: daysAgo(r.acknowledged) };
  });
  return { ranges, exportedAt: async (n: number) => exported.get(n) };
}

t.test('prunableThrough: a range goes once acknowledged acknowledgedDays ago and exported more than maxReportAgeDays + 1 day ago', async (t) => {
  const { ranges, exportedAt } = ledger([
    { acknowledged: 450, exported: 450 },
    { acknowledged: 402, exported: 402 },
    { acknowledged: 401, exported: 401 },
    { acknowledged: 300, exported: 300 },
  ]);
  t.equal(await prunableThrough(ranges, 0, exportedAt, NOW, DEFAULTS), 20, 'exported 402 and 450 days ago: gone; 401 days is not more than 400 + 1');
  t.equal(await prunableThrough(ranges, 20, exportedAt, NOW, DEFAULTS), 20, 'from the mark: nothing more');
  t.equal(await prunableThrough(ranges, 0, exportedAt, NOW, { acknowledgedDays: 90, maxReportAgeDays: 100 }), 40, 'a shorter report age lets all go');
});

t.test('prunableThrough: a range acknowledged recently stays, however old its reports; ranges go in order', async (t) => {
  const { ranges, exportedAt } = ledger([
    { acknowledged: 500, exported: 500 },
    { acknowledged: 60, exported: 480 }, // a response carried back across the air gap late
    { acknowledged: 470, exported: 470 }, // cannot be: acknowledgements come in order; still, it waits for the one before
  ]);
  t.equal(await prunableThrough(ranges, 0, exportedAt, NOW, DEFAULTS), 10);
  t.equal(await prunableThrough(ranges, 0, exportedAt, new Date(NOW.getTime() + 30 * DAY), DEFAULTS), 30, '30 days later, 90 since that acknowledgement: all');
});

t.test('prunableThrough: acknowledgedDays longer than maxReportAgeDays decides alone', async (t) => {
  const { ranges, exportedAt } = ledger([
    { acknowledged: 500, exported: 500 },
    { acknowledged: 450, exported: 455 },
  ]);
  t.equal(await prunableThrough(ranges, 0, exportedAt, NOW, { acknowledgedDays: 460, maxReportAgeDays: 400 }), 10);
});

t.test('prunableThrough: a range whose export record is missing stays', async (t) => {
  const { ranges } = ledger([{ acknowledged: 500, exported: 500 }]);
  t.equal(await prunableThrough(ranges, 0, async () => undefined, NOW, DEFAULTS), 0);
});

t.test('storedReportKeys() lists exactly the keys ingest writes for one more report', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath);
  const device = (await registerDevice(sat.device, token, 'KEYS0001')).body;
  // The device's first report also creates its latest usage and the counters: not the report's own.
  t.equal((await postReport(sat.device, device.credential, report(sat.clock()))).status, 202);
  const before = new Set((await storeDump(sat.ctx.store)).map(([k]) => k));

  const body = report(sat.clock());
  t.equal((await postReport(sat.device, device.credential, body)).status, 202);
  const added = (await storeDump(sat.ctx.store)).map(([k]) => k).filter((k) => !before.has(k));

  const seq = sat.ctx.seq.current('report');
  t.same(added.sort(), storedReportKeys({ reportId: body.reportId, deviceId: device.deviceId, seq }).sort(), 'the report wrote these keys and no other');
});
