// One usage report, one set of rules: what ingest accepts from a device is exactly what a bundle's
// usage.ndjson may carry (a UUID reportId, entitlements of 1 to 128 printable characters, 1 to 500
// entries naming each entitlement once, counts 0 to 1,000,000, window instants as ingest reads them).
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { RECORD_SCHEMAS } from '../../../../exchange/bundle/records.ts';
import { usageReport } from '../../../../exchange/bundle/usage-report.ts';
import { reportPayload } from '../../../../daemon/domain/reports/ingest.ts';
import { isoTimestamp } from '../../../../daemon/domain/satellite/validate.ts';
import { isoTimestamp as sharedInstant } from '../../../../exchange/bundle/usage-report.ts';
import { usageRecord } from '../fixtures/bundle.ts';

const usage = RECORD_SCHEMAS['usage.ndjson'];
const report = () => {
  const { reportId, window, usage: entries } = usageRecord(1);
  return { reportId, window, usage: entries };
};

t.test('ingest and the bundle share the definition', async (t) => {
  t.equal(reportPayload, usageReport, 'ingest checks a device report against the shared schema');
  t.equal(isoTimestamp, sharedInstant, 'one definition of a window instant');
  for (const field of ['reportId', 'window', 'usage'] as const) {
    t.ok(usage.shape[field], `usage.ndjson has ${field}`);
  }
  t.equal(usage.shape.reportId, usageReport.shape.reportId);
  t.equal(usage.shape.usage, usageReport.shape.usage);
});

const cases: Array<[string, (r: ReturnType<typeof report>) => unknown]> = [
  ['a reportId that is no UUID', (r) => ({ ...r, reportId: 'not-a-uuid' })],
  ['a GUID-shaped id that is no RFC 9562 UUID', (r) => ({ ...r, reportId: 'abcdefab-cdef-abcd-efab-cdefabcdefab' })],
  ['an entitlement of 129 characters', (r) => ({ ...r, usage: [{ entitlement: 'e'.repeat(129), count: 1 }] })],
  ['an entitlement with a control character', (r) => ({ ...r, usage: [{ entitlement: 'a\u0007b', count: 1 }] })],
  ['an entitlement named twice', (r) => ({ ...r, usage: [{ entitlement: 'a', count: 1 }, { entitlement: 'a', count: 2 }] })],
  ['no entries', (r) => ({ ...r, usage: [] })],
  ['501 entries', (r) => ({ ...r, usage: Array.from({ length: 501 }, (_, i) => ({ entitlement: `e${i}`, count: 1 })) })],
  ['a count above 1,000,000', (r) => ({ ...r, usage: [{ entitlement: 'a', count: 1_000_001 }] })],
  ['a window instant without a time zone', (r) => ({ ...r, window: { ...r.window, end: '2026-11-28T00:00:00' } })],
];

t.test('what ingest refuses, a bundle refuses too', async (t) => {
  for (const [what, change] of cases) {
    const fields = change(report()) as Record<string, unknown>;
    t.notOk(usageReport.safeParse(fields).success, `ingest: ${what}`);
    t.notOk(usage.safeParse({ ...usageRecord(1), ...fields }).success, `usage.ndjson: ${what}`);
  }
});

t.test('what ingest accepts, a bundle accepts', async (t) => {
  const fields = { ...report(), reportId: randomUUID(), window: { start: '2026-11-27T00:00:00Z', end: '2026-11-28T00:00:00.5+01:00' } };
  t.ok(usageReport.safeParse(fields).success, 'ingest');
  t.ok(usage.safeParse({ ...usageRecord(1), ...fields }).success, 'usage.ndjson');
  const max = { ...report(), usage: [{ entitlement: 'e'.repeat(128), count: 1_000_000 }] };
  t.ok(usage.safeParse({ ...usageRecord(1), ...max }).success, 'the limits themselves');
});

t.test('a bundle refuses a window that ends before it starts', async (t) => {
  const r = usageRecord(1);
  t.notOk(usage.safeParse({ ...r, window: { start: r.window.end, end: r.window.start } }).success);
});
