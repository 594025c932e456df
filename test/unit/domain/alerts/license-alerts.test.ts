import t from 'tap';
import {
  PoolIndex,
  applySnapshot,
  computeAlerts,
  emptyState,
  holdingViews,
  landingNotes,
  type LicenseAlert,
  type Line,
} from '../../../../daemon/domain/licenses/core/index.ts';
import { DAY, DEFAULT, NOW, iso, line, perpetual, resolveVa } from '../licenses/core/fixtures/licenses.ts';
import { fleetOf } from '../licenses/core/fixtures/fleet.ts';

const NA = 'network-advantage';

/** Alerts for some lines and device usage at `at`. */
function alertsFor(lines: Line[], usage: Record<string, Record<string, number>> = {}, at = NOW, previous?: LicenseAlert[]): LicenseAlert[] {
  const state = applySnapshot(emptyState(), lines, resolveVa, DEFAULT, NOW).state;
  const index = PoolIndex.fromState(state);
  for (const [vaId, u] of Object.entries(usage)) fleetOf(index).setDeviceUsage(`dev-${vaId}`, vaId, u);
  return computeAlerts({ pools: index.pools(at), holdings: holdingViews(state), notes: landingNotes(state), now: at, ...(previous ? { previous } : {}) });
}

t.test('healthy pools raise no alert', async (t) => {
  t.same(alertsFor([line(), perpetual({ lineId: 'L-2' })], { va_eng: { [NA]: 5 } }), []);
});

t.test('a line ending in 89 days raises an info expiring alert since it came within 90 days', async (t) => {
  const ends = NOW + 89 * DAY;
  t.same(alertsFor([line({ endsAt: iso(ends), quantity: 4 })]), [
    {
      type: 'expiring',
      severity: 'info',
      vaId: 'va_eng',
      entitlement: NA,
      since: iso(ends - 90 * DAY),
      message: `4 network-advantage licenses end within 90 days, the first on ${iso(ends).slice(0, 10)} (in 89 days).`,
    },
  ]);
});

t.test('an expiring alert is a warning within 30 days', async (t) => {
  const [alert] = alertsFor([line({ endsAt: iso(NOW + 30 * DAY), quantity: 1 }), line({ lineId: 'L-2', endsAt: iso(NOW + 80 * DAY) })]);
  t.match(alert, { type: 'expiring', severity: 'warning', message: /^11 network-advantage licenses end within 90 days, the first on .* \(in 30 days\)\.$/ });
});

t.test('devices using an entitlement with no active license raise a critical expired alert, not also insufficient', async (t) => {
  const ended = NOW - 3 * DAY;
  const alerts = alertsFor([line({ startsAt: iso(NOW - 100 * DAY), endsAt: iso(ended) })], { va_eng: { [NA]: 2 } });
  t.same(alerts, [
    { type: 'expired', severity: 'critical', vaId: 'va_eng', entitlement: NA, since: iso(ended), message: '2 network-advantage licenses are in use with no active license.' },
  ]);
});

t.test('an expired pool that never had a line dates its alert from now, or keeps the previous since', async (t) => {
  const first = alertsFor([], { va_ops: { [NA]: 1 } });
  t.match(first, [{ type: 'expired', vaId: 'va_ops', since: iso(NOW), message: /1 network-advantage license is in use/ }]);
  const later = alertsFor([], { va_ops: { [NA]: 1 } }, NOW + DAY, first);
  t.equal(later[0]!.since, iso(NOW));
});

t.test('using more than purchased raises a warning insufficient alert that keeps its since', async (t) => {
  const first = alertsFor([line({ quantity: 2 })], { va_eng: { [NA]: 5 } });
  t.same(first, [
    { type: 'insufficient', severity: 'warning', vaId: 'va_eng', entitlement: NA, since: iso(NOW), message: 'network-advantage is short by 3: 2 purchased, 0 reserved, 5 in use.' },
  ]);
  const later = alertsFor([line({ quantity: 2 })], { va_eng: { [NA]: 5 } }, NOW + DAY, first);
  t.equal(later[0]!.since, iso(NOW));
});

t.test('alerts come one per VA and entitlement, most severe first', async (t) => {
  const alerts = alertsFor(
    [line({ quantity: 1, endsAt: iso(NOW + 10 * DAY) }), line({ lineId: 'L-2', virtualAccount: 'Ops', entitlement: 'dna-advantage', startsAt: iso(NOW - 20 * DAY), endsAt: iso(NOW - DAY) })],
    { va_eng: { [NA]: 3 }, va_ops: { 'dna-advantage': 1 } },
  );
  t.same(alerts.map((a) => [a.type, a.severity, a.vaId, a.entitlement]), [
    ['expired', 'critical', 'va_ops', 'dna-advantage'],
    ['expiring', 'warning', 'va_eng', NA],
    ['insufficient', 'warning', 'va_eng', NA],
  ]);
});

t.test('unknown-virtual-account notes pass through while the line stays in Default', async (t) => {
  const alerts = alertsFor([perpetual({ virtualAccount: 'Sales/West' }), perpetual({ lineId: 'L-2', virtualAccount: null })]);
  t.same(alerts, [
    { type: 'unknown-virtual-account', severity: 'warning', vaId: DEFAULT, entitlement: NA, since: iso(NOW), message: 'Line L-1 (network-advantage) names the virtual account Sales/West, which does not exist; it landed in Default.' },
    { type: 'unknown-virtual-account', severity: 'info', vaId: DEFAULT, entitlement: NA, since: iso(NOW), message: 'Line L-2 (network-advantage) names no virtual account; it landed in Default.' },
  ]);
});

t.test('a derived since never predates the moment the satellite received the line', async (t) => {
  // Ends in 26 days: expiring for 64 days by the calendar, but the line landed at NOW.
  const ends = NOW + 26 * DAY;
  const state = applySnapshot(emptyState(), [line({ endsAt: iso(ends) })], resolveVa, DEFAULT, NOW).state;
  const index = PoolIndex.fromState(state);
  const landedAt = new Map(state.lines.map((l) => [l.lineId, l.landedAt]));
  const later = NOW + 60_000;
  const [alert] = computeAlerts({ pools: index.pools(later), holdings: holdingViews(state), notes: [], now: later, landedAt });
  t.equal(alert!.type, 'expiring');
  t.equal(alert!.since, iso(NOW), 'since the line landed, not 64 days before');
  const [without] = computeAlerts({ pools: index.pools(later), holdings: holdingViews(state), notes: [], now: later });
  t.equal(without!.since, iso(ends - 90 * DAY), 'without landing times, the calendar start as before');
  // Ended before it landed: expired since it landed.
  const old = applySnapshot(emptyState(), [line({ startsAt: iso(NOW - 400 * DAY), endsAt: iso(NOW - 10 * DAY) })], resolveVa, DEFAULT, NOW).state;
  const oldIndex = PoolIndex.fromState(old);
  fleetOf(oldIndex).setDeviceUsage('dev-1', 'va_eng', { [NA]: 1 });
  const expired = computeAlerts({ pools: oldIndex.pools(later), holdings: holdingViews(old), notes: [], now: later, landedAt: new Map(old.lines.map((l) => [l.lineId, l.landedAt])) });
  t.match(expired, [{ type: 'expired', since: iso(NOW) }]);
});
