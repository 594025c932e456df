import t from 'tap';
import {
  applySnapshot,
  emptyState,
  forgetVirtualAccount,
  reserve,
  transfer,
  vaHasLicenses,
  type LicenseState,
} from '../../../../../daemon/domain/licenses/core/index.ts';
import { DEFAULT, NOW, heldOf, line, poolsOf, resolveVa } from './fixtures/licenses.ts';

const NA = 'network-advantage';

function opsEmptied(): LicenseState {
  const state = applySnapshot(emptyState(), [line({ virtualAccount: 'Ops' })], resolveVa, DEFAULT, NOW).state;
  return transfer(state, { entitlement: NA, quantity: 10, fromVaId: 'va_ops', toVaId: 'va_eng', transferId: 'tr_1', at: NOW, by: 'admin' }, poolsOf(state)).state;
}

t.test('the empty state holds nothing', async (t) => {
  t.same(emptyState(), { lines: [], holdings: [], transfers: [], reservations: [] });
  t.same(JSON.parse(JSON.stringify(opsEmptied())), opsEmptied(), 'a state survives JSON');
});

t.test('a VA holds licenses while it has quantity or a standing reservation', async (t) => {
  const state = opsEmptied();
  t.equal(vaHasLicenses(state, 'va_eng'), true);
  t.equal(vaHasLicenses(state, 'va_ops'), false, 'everything was moved out');
  const reserved = reserve(
    state,
    { reservationId: 'r1', udi: { pid: 'P', sn: 'S' }, nonce: 'n', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) }, vaId: 'va_lab', licenses: [{ entitlement: NA, count: 1 }], at: NOW },
    () => ({ available: 1 }),
  ).state;
  t.equal(vaHasLicenses(reserved, 'va_lab'), true);
});

t.test('after its landing VA is deleted, a line grows in Default', async (t) => {
  const state = forgetVirtualAccount(opsEmptied(), 'va_ops', DEFAULT);
  t.equal(state.lines[0]!.landedVaId, DEFAULT);
  const grown = applySnapshot(state, [line({ virtualAccount: 'Ops', quantity: 12 })], resolveVa, DEFAULT, NOW).state;
  t.same(heldOf(grown, 'L-1'), { [DEFAULT]: 2, va_eng: 10 });
  t.equal(forgetVirtualAccount(state, 'va_lab', DEFAULT), state, 'a VA no line landed in changes nothing');
});

t.test('a VA that still holds licenses cannot be forgotten', async (t) => {
  t.throws(() => forgetVirtualAccount(opsEmptied(), 'va_eng', DEFAULT), TypeError);
  t.throws(() => forgetVirtualAccount(emptyState(), DEFAULT, DEFAULT), TypeError);
});
