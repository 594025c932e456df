import t from 'tap';
import { applySnapshot, emptyState, transfer, type LicenseState, type TransferRequest } from '../../../../../daemon/domain/licenses/core/index.ts';
import { DAY, DEFAULT, NOW, heldOf, iso, line, perpetual, poolsOf, resolveVa } from './fixtures/licenses.ts';

const NA = 'network-advantage';

/** Eng holds four lines of network-advantage: perpetual 5, ending in 200 days 4, in 20 days 3, in 100 days 2. */
function engState(): LicenseState {
  return applySnapshot(
    emptyState(),
    [
      perpetual({ lineId: 'P', quantity: 5 }),
      line({ lineId: 'T200', quantity: 4, endsAt: iso(NOW + 200 * DAY) }),
      line({ lineId: 'T20', quantity: 3, endsAt: iso(NOW + 20 * DAY) }),
      line({ lineId: 'S100', quantity: 2, type: 'subscription', endsAt: iso(NOW + 100 * DAY) }),
      line({ lineId: 'FUTURE', quantity: 7, startsAt: iso(NOW + DAY), endsAt: iso(NOW + 30 * DAY) }),
      line({ lineId: 'ENDED', quantity: 9, startsAt: iso(NOW - 90 * DAY), endsAt: iso(NOW - DAY) }),
    ],
    resolveVa,
    DEFAULT,
    NOW,
  ).state;
}

const req = (over: Partial<TransferRequest> = {}): TransferRequest => ({
  entitlement: NA,
  quantity: 4,
  fromVaId: 'va_eng',
  toVaId: 'va_ops',
  transferId: 'tr_1',
  at: NOW,
  by: 'alice',
  ...over,
});

t.test('a transfer moves the holdings that end soonest first', async (t) => {
  const state = engState();
  const r = transfer(state, req({ quantity: 4 }), poolsOf(state));
  t.same(heldOf(r.state, 'T20'), { va_ops: 3 });
  t.same(heldOf(r.state, 'S100'), { va_eng: 1, va_ops: 1 });
  t.same(r.state.transfers, [
    { transferId: 'tr_1', entitlement: NA, quantity: 4, from: 'va_eng', to: 'va_ops', at: iso(NOW), by: 'alice', moved: [{ lineId: 'T20', quantity: 3 }, { lineId: 'S100', quantity: 1 }] },
  ]);
  t.match(r.events, [{ type: 'license.transferred', vaId: 'va_eng', details: { transferId: 'tr_1', quantity: 4, to: 'va_ops' } }]);
  t.same(r.changes.map((c) => [c.lineId, c.vaId, c.quantity]).sort(), [
    ['S100', 'va_eng', 1], ['S100', 'va_ops', 1], ['T20', 'va_eng', 0], ['T20', 'va_ops', 3],
  ]);
});

t.test('perpetual holdings move last', async (t) => {
  const state = engState();
  const r = transfer(state, req({ quantity: 11 }), poolsOf(state));
  t.same(r.state.transfers[0]!.moved, [
    { lineId: 'T20', quantity: 3 }, { lineId: 'S100', quantity: 2 }, { lineId: 'T200', quantity: 4 }, { lineId: 'P', quantity: 2 },
  ]);
  t.same(heldOf(r.state, 'P'), { va_eng: 3, va_ops: 2 });
});

t.test('only active holdings move: one not yet started and one ended stay', async (t) => {
  const state = engState();
  const r = transfer(state, req({ quantity: 14 }), poolsOf(state));
  t.same(heldOf(r.state, 'FUTURE'), { va_eng: 7 });
  t.same(heldOf(r.state, 'ENDED'), { va_eng: 9 });
});

t.test('a transfer of more than available is refused and changes nothing', async (t) => {
  const state = engState();
  const copy = structuredClone(state);
  t.throws(() => transfer(state, req({ quantity: 15 }), poolsOf(state)), {
    code: 'INSUFFICIENT_QUANTITY',
    message: /Only 14 network-advantage licenses are available in the source virtual account; 15 were asked/,
  });
  t.same(state, copy);
});

t.test('available counts what is reserved and in use, as the pool says', async (t) => {
  const state = engState();
  const poolOf = () => ({ available: 2 });
  t.throws(() => transfer(state, req({ quantity: 3 }), poolOf), { code: 'INSUFFICIENT_QUANTITY', message: /Only 2/ });
  t.throws(() => transfer(state, req({ quantity: 1 }), () => ({ available: -4 })), { code: 'INSUFFICIENT_QUANTITY', message: /Only 0/ });
  t.equal(transfer(state, req({ quantity: 2 }), poolOf).state.transfers.length, 1);
});

t.test('a pool claiming more than the active holdings cannot move more than they hold', async (t) => {
  const state = engState();
  t.throws(() => transfer(state, req({ quantity: 15 }), () => ({ available: 100 })), { code: 'INSUFFICIENT_QUANTITY' });
});

t.test('an entitlement the source does not hold is refused as insufficient', async (t) => {
  const state = engState();
  t.throws(() => transfer(state, req({ entitlement: 'dna-advantage', quantity: 1 }), poolsOf(state)), {
    code: 'INSUFFICIENT_QUANTITY',
    message: /holds no active dna-advantage licenses/,
  });
  t.throws(() => transfer(state, req({ fromVaId: 'va_lab', quantity: 1 }), poolsOf(state)), { code: 'INSUFFICIENT_QUANTITY' });
});

t.test('an entitlement held only by ended or future lines is refused as insufficient', async (t) => {
  const state = applySnapshot(emptyState(), [line({ endsAt: iso(NOW - DAY), startsAt: iso(NOW - 10 * DAY) })], resolveVa, DEFAULT, NOW).state;
  t.throws(() => transfer(state, req({ quantity: 1 }), () => ({ available: 10 })), { code: 'INSUFFICIENT_QUANTITY' });
});

t.test('malformed transfers are refused as invalid and change nothing', async (t) => {
  const state = engState();
  const copy = structuredClone(state);
  const first = transfer(state, req({ quantity: 1 }), poolsOf(state)).state;
  const cases: Array<[string, Partial<TransferRequest>, RegExp, LicenseState?]> = [
    ['a zero quantity', { quantity: 0 }, /quantity must be a positive whole number/],
    ['a negative quantity', { quantity: -2 }, /quantity must be a positive whole number/],
    ['a fractional quantity', { quantity: 1.5 }, /quantity must be a positive whole number/],
    ['a quantity that is text', { quantity: '2' as unknown as number }, /quantity/],
    ['the same VA on both sides', { toVaId: 'va_eng' }, /different virtual accounts/],
    ['an empty entitlement', { entitlement: '' }, /entitlement/],
    ['no transfer id', { transferId: '' }, /transferId/],
    ['no actor', { by: '' }, /by must name/],
    ['a transfer id used before', { transferId: 'tr_1' }, /already exists/, first],
  ];
  for (const [what, over, message, s] of cases) {
    t.throws(() => transfer(s ?? state, req(over), poolsOf(s ?? state)), { code: 'INVALID_REQUEST', message }, what);
  }
  t.same(state, copy);
});

t.test('a transfer leaves the given state untouched', async (t) => {
  const state = engState();
  const copy = structuredClone(state);
  transfer(state, req({ quantity: 6 }), poolsOf(state));
  t.same(state, copy);
});
