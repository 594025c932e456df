// The exchange's small rules: the last cloud contact (SPEC §5) and the lapse warning marks.
import t from 'tap';
import { cloudContact } from '../../../daemon/domain/exchange/apply.ts';
import { warnLevels } from '../../../daemon/domain/alerts/lapse-alerts.ts';

t.test('cloudContact: the signed createdAt, never later than now, never earlier than before', async (t) => {
  const now = new Date('2026-06-01T00:00:00.000Z');
  t.equal(cloudContact(null, '2026-05-01T00:00:00.000Z', now), '2026-05-01T00:00:00.000Z');
  t.equal(cloudContact(null, '2027-01-01T00:00:00.000Z', now), now.toISOString(), 'a future createdAt counts as now');
  t.equal(cloudContact('2026-05-20T00:00:00.000Z', '2026-05-01T00:00:00.000Z', now), '2026-05-20T00:00:00.000Z', 'never goes back');
  t.equal(cloudContact('2026-05-20T00:00:00.000Z', '2026-05-25T12:00:00+02:00', now), '2026-05-25T10:00:00.000Z', 'offsets become UTC');
});

t.test('warnLevels: largest mark info, smallest critical, the rest warning', async (t) => {
  t.same(warnLevels([90, 30, 7]), [
    { days: 90, severity: 'info' },
    { days: 30, severity: 'warning' },
    { days: 7, severity: 'critical' },
  ]);
  t.same(warnLevels([7, 90, 30, 30]).map((l) => l.days), [90, 30, 7], 'sorted, duplicates dropped');
  t.same(warnLevels([60, 10]).map((l) => l.severity), ['info', 'critical']);
  t.same(warnLevels([120, 60, 30, 7]).map((l) => l.severity), ['info', 'warning', 'warning', 'critical']);
  t.same(warnLevels([45]).map((l) => l.severity), ['info']);
  t.same(warnLevels([]), []);
});
