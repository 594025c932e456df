import t from 'tap';
import {
  LicenseError,
  applySnapshot,
  emptyState,
  landingNotes,
  transfer,
  type LicenseState,
  type Line,
} from '../../../../../daemon/domain/licenses/core/index.ts';
import { DAY, DEFAULT, NOW, heldOf, iso, line, perpetual, poolsOf, resolveVa } from './fixtures/licenses.ts';

const apply = (state: LicenseState, lines: unknown, at = NOW) => applySnapshot(state, lines, resolveVa, DEFAULT, at);

/** Moves `quantity` of network-advantage between VAs. */
function move(state: LicenseState, from: string, to: string, quantity: number, id: string, at = NOW): LicenseState {
  return transfer(state, { entitlement: 'network-advantage', quantity, fromVaId: from, toVaId: to, transferId: id, at, by: 'admin' }, poolsOf(state, at)).state;
}

t.test('a new line lands in the VA its path names', async (t) => {
  const r = apply(emptyState(), [line()]);
  t.same(r.state.holdings, [{ lineId: 'L-1', vaId: 'va_eng', quantity: 10 }]);
  t.equal(r.state.lines[0]!.landedVaId, 'va_eng');
  t.equal(r.state.lines[0]!.landedAt, iso(NOW));
  t.same(r.notes, []);
  t.same(r.events.map((e) => e.type), ['license.line_added']);
  t.same(r.changes.map((c) => [c.vaId, c.quantity]), [['va_eng', 10]]);
});

t.test('a line naming an unknown VA lands in Default with an unknown-virtual-account note', async (t) => {
  const r = apply(emptyState(), [line({ virtualAccount: 'Sales/West' })]);
  t.same(heldOf(r.state, 'L-1'), { [DEFAULT]: 10 });
  t.same(r.notes, [{ type: 'unknown-virtual-account', lineId: 'L-1', entitlement: 'network-advantage', path: 'Sales/West', vaId: DEFAULT, since: iso(NOW) }]);
});

t.test('a line naming no VA lands in Default with a note whose path is null', async (t) => {
  const r = apply(emptyState(), [line({ virtualAccount: null })]);
  t.same(heldOf(r.state, 'L-1'), { [DEFAULT]: 10 });
  t.equal(r.notes[0]!.path, null);
});

t.test('a landing note stands while the quantity stays in Default and settles once it is moved', async (t) => {
  let state = apply(emptyState(), [line({ virtualAccount: 'Sales/West' })]).state;
  t.equal(landingNotes(state).length, 1);
  state = move(state, DEFAULT, 'va_eng', 4, 'tr_1');
  t.equal(landingNotes(state).length, 1, 'some is still in Default');
  state = move(state, DEFAULT, 'va_eng', 6, 'tr_2');
  t.same(landingNotes(state), []);
});

t.test('an unchanged snapshot changes nothing and says nothing', async (t) => {
  const first = apply(emptyState(), [line(), perpetual({ lineId: 'L-2' })]).state;
  const again = apply(first, [line(), perpetual({ lineId: 'L-2' })], NOW + DAY);
  t.same(again.state, first);
  t.same(again.changes, []);
  t.same(again.events, []);
});

t.test('an increase applies in the VA the line landed in, even after its holdings moved', async (t) => {
  let state = apply(emptyState(), [line()]).state;
  state = move(state, 'va_eng', 'va_ops', 10, 'tr_1');
  const r = apply(state, [line({ quantity: 15 })]);
  t.same(heldOf(r.state, 'L-1'), { va_eng: 5, va_ops: 10 });
  t.same(r.changes.map((c) => [c.vaId, c.quantity]), [['va_eng', 5]]);
  t.match(r.events[0], { type: 'license.line_changed', vaId: 'va_eng', details: { previousQuantity: 10, quantity: 15 } });
});

t.test('a known line stays where it landed when the cloud names another VA', async (t) => {
  const state = apply(emptyState(), [line()]).state;
  const r = apply(state, [line({ virtualAccount: 'Ops', quantity: 12 })]);
  t.same(heldOf(r.state, 'L-1'), { va_eng: 12 });
  t.equal(r.state.lines[0]!.virtualAccount, 'Ops', 'the record keeps the cloud field');
  t.equal(r.state.lines[0]!.landedVaId, 'va_eng');
});

t.test('a reduction within what is left where the line landed takes only from there', async (t) => {
  let state = apply(emptyState(), [line()]).state;
  state = move(state, 'va_eng', 'va_ops', 3, 'tr_1');
  const r = apply(state, [line({ quantity: 4 })]);
  t.same(heldOf(r.state, 'L-1'), { va_eng: 1, va_ops: 3 });
});

t.test('a reduction larger than what is left takes from the most recent transfer first', async (t) => {
  let state = apply(emptyState(), [line()]).state;
  state = move(state, 'va_eng', 'va_ops', 3, 'tr_1', NOW);
  state = move(state, 'va_eng', 'va_lab', 2, 'tr_2', NOW + 1000);
  state = move(state, 'va_eng', 'va_ops', 1, 'tr_3', NOW + 2000);
  t.same(heldOf(state, 'L-1'), { va_eng: 4, va_lab: 2, va_ops: 4 });
  // 10 -> 3: 4 from Eng, then 1 from tr_3 (Ops), then 2 from tr_2 (Lab)
  const r = apply(state, [line({ quantity: 3 })]);
  t.same(heldOf(r.state, 'L-1'), { va_ops: 3 });
  t.same(r.events[0]!.details.takenFrom, [
    { vaId: 'va_eng', quantity: 4 },
    { vaId: 'va_ops', quantity: 1 },
    { vaId: 'va_lab', quantity: 2 },
  ]);
});

t.test('a reduction follows holdings moved on from the VA they were first moved to', async (t) => {
  let state = apply(emptyState(), [line()]).state;
  state = move(state, 'va_eng', 'va_ops', 6, 'tr_1');
  state = move(state, 'va_ops', 'va_lab', 4, 'tr_2');
  const r = apply(state, [line({ quantity: 2 })]);
  // 4 from Eng, then 4 from Lab (tr_2, the most recent), leaving Ops its 2
  t.same(heldOf(r.state, 'L-1'), { va_ops: 2 });
});

t.test('a line reduced to 0 keeps its record and holds nothing', async (t) => {
  const state = apply(emptyState(), [line()]).state;
  const r = apply(state, [line({ quantity: 0 })]);
  t.same(heldOf(r.state, 'L-1'), {});
  t.equal(r.state.lines.length, 1);
});

t.test('a line absent from the snapshot is gone with all its holdings', async (t) => {
  let state = apply(emptyState(), [line(), perpetual({ lineId: 'L-2', quantity: 5 })]).state;
  state = move(state, 'va_eng', 'va_ops', 12, 'tr_1');
  const r = apply(state, [perpetual({ lineId: 'L-2', quantity: 5 })]);
  t.same(r.state.lines.map((l) => l.lineId), ['L-2']);
  t.same(heldOf(r.state, 'L-1'), {});
  t.match(r.events, [{ type: 'license.line_removed', details: { lineId: 'L-1' } }]);
  t.same(r.state.transfers[0]!.moved.map((m) => m.lineId), ['L-2'], 'the transfer forgets the gone line');
  t.equal(r.state.transfers[0]!.quantity, 12, 'but keeps its record');
});

t.test('applying a snapshot leaves the given state untouched', async (t) => {
  const state = apply(emptyState(), [line()]).state;
  const copy = structuredClone(state);
  apply(state, [line({ quantity: 3 }), perpetual({ lineId: 'L-9' })]);
  t.same(state, copy);
});

t.test('a bad snapshot is refused whole, naming the line, and changes nothing', async (t) => {
  const state = apply(emptyState(), [line()]).state;
  const copy = structuredClone(state);
  const refusals: Array<[string, unknown, RegExp]> = [
    ['duplicate line ids', [line(), line({ quantity: 3 })], /Line "L-1": appears more than once/],
    ['a negative quantity', [line({ lineId: 'L-5', quantity: -1 })], /Line "L-5": quantity must not be negative/],
    ['a fractional quantity', [line({ lineId: 'L-5', quantity: 2.5 })], /Line "L-5": quantity must be a whole number/],
    ['a quantity that is not a number', [line({ quantity: '3' as unknown as number })], /quantity must be a number/],
    ['a date without a zone', [line({ startsAt: '2026-01-01T00:00:00' })], /startsAt must be an ISO 8601/],
    ['a date only', [line({ startsAt: '2026-01-01' })], /startsAt must be an ISO 8601/],
    ['February 30', [line({ endsAt: '2027-02-30T00:00:00Z' })], /endsAt must be null or an ISO 8601/],
    ['a date that is not text', [line({ startsAt: 1700000000000 as unknown as string })], /startsAt/],
    ['an end before the start', [line({ endsAt: iso(NOW - 400 * DAY) })], /endsAt must be after startsAt/],
    ['an end equal to the start', [line({ endsAt: iso(NOW - 365 * DAY) })], /endsAt must be after startsAt/],
    ['a perpetual line with an end', [line({ type: 'perpetual' })], /perpetual line must have endsAt null/],
    ['a term line without an end', [line({ endsAt: null })], /term line must have an endsAt/],
    ['an unknown type', [line({ type: 'forever' as Line['type'] })], /type must be perpetual, term or subscription/],
    ['an empty entitlement', [line({ entitlement: '' })], /entitlement must be a non-empty string/],
    ['a VA that is not a path', [line({ virtualAccount: 7 as unknown as string })], /virtualAccount/],
    ['a line without id', [line(), { ...line(), lineId: undefined }], /Line #2: lineId/],
    ['a line that is not an object', [null], /Line #1: is not an object/],
    ['a snapshot that is not an array', { lines: [] }, /array of lines/],
  ];
  for (const [what, lines, message] of refusals) {
    t.throws(() => apply(state, lines), { name: 'LicenseError', code: 'INVALID_REQUEST', message }, what);
  }
  t.same(state, copy);
  t.ok(new LicenseError('INVALID_REQUEST', 'x') instanceof Error);
});
