// parseInstant() takes only real instants in SPEC §3's form.
import t from 'tap';
import { isInstant, parseInstant, toUtcInstant } from '../../../../exchange/bundle/instant.ts';
import { usageRecord } from '../../../../exchange/bundle/records.ts';

t.test('parseInstant() accepts real instants with Z or an offset, with or without milliseconds', async (t) => {
  t.equal(parseInstant('2026-11-28T10:00:00Z'), Date.UTC(2026, 10, 28, 10));
  t.equal(parseInstant('2026-11-28T10:00:00.5Z'), Date.UTC(2026, 10, 28, 10, 0, 0, 500));
  t.equal(parseInstant('2026-11-28T10:00:00.123Z'), Date.UTC(2026, 10, 28, 10, 0, 0, 123));
  t.equal(parseInstant('2026-11-28T12:30:00+02:30'), Date.UTC(2026, 10, 28, 10));
  t.equal(parseInstant('2026-11-28T05:00:00-05:00'), Date.UTC(2026, 10, 28, 10));
  t.equal(parseInstant('2028-02-29T00:00:00Z'), Date.UTC(2028, 1, 29), 'a leap day');
  t.equal(parseInstant('2000-02-29T23:59:59Z'), Date.UTC(2000, 1, 29, 23, 59, 59), '2000 is a leap year');
  t.equal(parseInstant('0099-01-01T00:00:00Z'), new Date('0099-01-01T00:00:00Z').getTime(), 'a two-digit year is not read as 19xx');
  t.equal(toUtcInstant('2026-11-28T12:30:00+02:30'), '2026-11-28T10:00:00.000Z');
});

t.test('parseInstant() refuses impossible dates and times', async (t) => {
  for (const s of [
    '2026-11-31T10:00:00.000Z',
    '2026-02-30T10:00:00Z',
    '2026-02-29T10:00:00Z',
    '1900-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-11-00T10:00:00Z',
    '2026-11-28T24:00:00Z',
    '2026-11-28T10:60:00Z',
    '2026-11-28T10:00:60Z',
    '2026-11-28T10:00:00+24:00',
    '2026-11-28T10:00:00+02:60',
    '0000-01-01T00:00:00Z',
  ]) {
    t.equal(parseInstant(s), null, s);
  }
});

t.test('parseInstant() refuses every other form', async (t) => {
  for (const s of [
    '2026-11-28T10:00Z',
    '2026-11-28T10:00:00',
    '2026-11-28 10:00:00Z',
    '2026-11-28t10:00:00z',
    '2026-11-28T10:00:00.1234Z',
    '2026-11-28T10:00:00.Z',
    '2026-11-28T10:00:00+0200',
    '2026-11-28T10:00:00+02',
    '+002026-11-28T10:00:00Z',
    '2026-11-28',
    '1764324000000',
    ' 2026-11-28T10:00:00Z',
    '2026-11-28T10:00:00Z\n',
    '２０２６-11-28T10:00:00Z',
    '',
  ]) {
    t.equal(parseInstant(s), null, JSON.stringify(s));
  }
  for (const v of [null, undefined, 1764324000000, {}, ['2026-11-28T10:00:00Z']]) t.notOk(isInstant(v), String(v));
});

t.test('the bundle record schema judges instants by the same parser', async (t) => {
  const record = (start: string) => ({
    reportId: '7e0b9d3c-2f5e-4c1a-9d8e-0a1b2c3d4e5f',
    deviceId: 'dev_x',
    virtualAccount: 'Default',
    window: { start, end: '2026-11-28T11:00:00.000Z' },
    usage: [{ entitlement: 'network-advantage', count: 1 }],
    receivedAt: '2026-11-28T11:00:00.000Z',
  });
  t.ok(usageRecord.safeParse(record('2026-11-28T10:00:00.000Z')).success);
  t.ok(usageRecord.safeParse(record('2026-11-28T12:00:00+02:00')).success);
  t.notOk(usageRecord.safeParse(record('2026-11-31T10:00:00.000Z')).success);
  t.notOk(usageRecord.safeParse(record('2026-11-28T10:00Z')).success);
});
