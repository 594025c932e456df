import t from 'tap';
import { parseIso, toIso, toMs } from '../../../../../daemon/domain/licenses/core/time.ts';

t.test('parseIso reads ISO 8601 date-times with a zone', async (t) => {
  t.equal(parseIso('2026-03-01T00:00:00Z'), Date.UTC(2026, 2, 1));
  t.equal(parseIso('2026-03-01T00:00:00.123Z'), Date.UTC(2026, 2, 1) + 123);
  t.equal(parseIso('2026-03-01T02:00:00+02:00'), Date.UTC(2026, 2, 1));
  t.equal(parseIso('2028-02-29T00:00:00Z'), Date.UTC(2028, 1, 29), 'a leap day');
});

t.test('parseIso refuses what only looks like a date', async (t) => {
  for (const text of ['2026-03-01', '2026-03-01T00:00:00', '2026-02-30T00:00:00Z', '2027-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T00:00:00+25:00', 'Sun, 01 Mar 2026 00:00:00 GMT', '', 1700000000000, null]) {
    t.equal(parseIso(text), undefined, String(text));
  }
});

t.test('instants are Dates or milliseconds', async (t) => {
  t.equal(toMs(new Date(5)), 5);
  t.equal(toIso(0), '1970-01-01T00:00:00.000Z');
  t.throws(() => toMs(new Date('nope')), TypeError);
});
