// The lines behind the pools: one row per (line, VA holding it), standing and days left from the
// clock, transfers in and out, scope and entitlement filters, and a stable sort for paging.
import t from 'tap';
import { lineKey, lineViews, standingOf } from '../../../../daemon/domain/licenses/lines/index.ts';
import { applySnapshot, emptyState, transfer } from '../../../../daemon/domain/licenses/core/index.ts';
import { DAY, DEFAULT, NOW, iso, line, perpetual, poolsOf, resolveVa } from './core/fixtures/licenses.ts';

const PATHS: Record<string, string> = { [DEFAULT]: 'Default', va_eng: 'Eng', va_lab: 'Eng/Lab', va_ops: 'Ops' };
const vaRef = (id: string) => ({ id, path: PATHS[id] ?? id });

const lines = [
  line({ lineId: 'L-soon', quantity: 10, endsAt: iso(NOW + 20 * DAY) }),
  line({ lineId: 'L-ended', quantity: 3, startsAt: iso(NOW - 400 * DAY), endsAt: iso(NOW - 5 * DAY) }),
  perpetual({ lineId: 'L-perp', entitlement: 'dna-advantage', quantity: 7, virtualAccount: 'Ops' }),
  line({ lineId: 'L-later', quantity: 2, startsAt: iso(NOW + 10 * DAY), endsAt: iso(NOW + 400 * DAY) }),
  line({ lineId: 'L-nowhere', quantity: 1, virtualAccount: 'Sales/West' }),
];

t.test('standing and days left follow the clock', async (t) => {
  t.same(standingOf(iso(NOW - DAY), iso(NOW + 91 * DAY), NOW), { standing: 'active', daysLeft: 91 });
  t.same(standingOf(iso(NOW - DAY), iso(NOW + 90 * DAY), NOW), { standing: 'expiring', daysLeft: 90 });
  t.same(standingOf(iso(NOW - DAY), iso(NOW + 1), NOW), { standing: 'expiring', daysLeft: 1 }, 'a part of a day counts as a day');
  t.same(standingOf(iso(NOW - DAY), iso(NOW), NOW), { standing: 'expired', daysLeft: 0 });
  t.same(standingOf(iso(NOW - DAY), iso(NOW - 3 * DAY), NOW), { standing: 'expired', daysLeft: -3 });
  t.same(standingOf(iso(NOW + DAY), null, NOW), { standing: 'future', daysLeft: null });
  t.same(standingOf(iso(NOW - DAY), null, NOW), { standing: 'active', daysLeft: null });
});

t.test('one row per line and VA, with the transfers that moved it', async (t) => {
  let state = applySnapshot(emptyState(), lines, resolveVa, DEFAULT, NOW).state;
  state = transfer(state, { entitlement: 'network-advantage', quantity: 4, fromVaId: 'va_eng', toVaId: 'va_lab', transferId: 'tr_1', at: NOW, by: 'alice' }, poolsOf(state)).state;
  const all = lineViews(state, { vaIds: null, now: new Date(NOW), vaRef });
  t.same(
    all.map((v) => [v.virtualAccount.path, v.lineId, v.quantity, v.lineQuantity, v.standing, v.landedByDefault]),
    [
      ['Default', 'L-nowhere', 1, 1, 'active', true],
      ['Eng', 'L-ended', 3, 3, 'expired', false],
      ['Eng', 'L-soon', 6, 10, 'expiring', false],
      ['Eng', 'L-later', 2, 2, 'future', false],
      ['Eng/Lab', 'L-soon', 4, 10, 'expiring', false],
      ['Ops', 'L-perp', 7, 7, 'active', false],
    ],
    'by VA path, entitlement, end (soonest first)',
  );
  const out = all.find((v) => v.virtualAccount.path === 'Eng' && v.lineId === 'L-soon')!;
  t.same(out.moves, [{ direction: 'out', virtualAccount: { id: 'va_lab', path: 'Eng/Lab' }, quantity: 4, at: iso(NOW), by: 'alice', transferId: 'tr_1' }]);
  const into = all.find((v) => v.virtualAccount.path === 'Eng/Lab')!;
  t.same(into.moves.map((m) => [m.direction, m.virtualAccount.path, m.quantity]), [['in', 'Eng', 4]]);
  t.equal(out.daysLeft, 20);
  t.equal(new Set(all.map(lineKey)).size, all.length, 'keys are unique, so a cursor never skips or repeats');
});

t.test('scope and entitlement narrow the rows', async (t) => {
  const state = applySnapshot(emptyState(), lines, resolveVa, DEFAULT, NOW).state;
  t.same(lineViews(state, { vaIds: new Set(['va_ops']), now: new Date(NOW), vaRef }).map((v) => v.lineId), ['L-perp']);
  t.same(lineViews(state, { vaIds: null, entitlement: 'dna-advantage', now: new Date(NOW), vaRef }).map((v) => v.lineId), ['L-perp']);
  t.same(lineViews(state, { vaIds: new Set(['va_lab']), now: new Date(NOW), vaRef }), []);
});
