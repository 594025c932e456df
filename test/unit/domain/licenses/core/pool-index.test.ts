import t from 'tap';
import {
  PoolIndex,
  applySnapshot,
  poolFromState,
  reserve,
  sumPools,
  emptyState,
  holdingViews,
  transfer,
  type LicenseState,
  type Line,
} from '../../../../../daemon/domain/licenses/core/index.ts';
import { DAY, DEFAULT, NOW, iso, line, perpetual, poolsOf, resolveVa } from './fixtures/licenses.ts';
import { fleetOf } from './fixtures/fleet.ts';

const NA = 'network-advantage';
const stateOf = (lines: Line[]): LicenseState => applySnapshot(emptyState(), lines, resolveVa, DEFAULT, NOW).state;
const eng = (index: PoolIndex, at: number = NOW, entitlement = NA) => index.pool('va_eng', entitlement, at);

t.test('an active line counts as purchased and its pool is ok', async (t) => {
  const index = PoolIndex.fromState(stateOf([line()]));
  t.same(eng(index), { vaId: 'va_eng', entitlement: NA, purchased: 10, reserved: 0, inUse: 0, available: 10, status: 'ok', flags: [] });
});

t.test('a line ending in 89 days is expiring', async (t) => {
  const index = PoolIndex.fromState(stateOf([line({ endsAt: iso(NOW + 89 * DAY) })]));
  t.same(eng(index).flags, ['expiring']);
});

t.test('a line ending in exactly 90 days is expiring, in 91 days is not', async (t) => {
  t.same(eng(PoolIndex.fromState(stateOf([line({ endsAt: iso(NOW + 90 * DAY) })]))).flags, ['expiring']);
  t.same(eng(PoolIndex.fromState(stateOf([line({ endsAt: iso(NOW + 91 * DAY) })]))).flags, []);
});

t.test('a perpetual line is never expiring', async (t) => {
  t.same(eng(PoolIndex.fromState(stateOf([perpetual()]))).flags, []);
});

t.test('after its end it stops counting', async (t) => {
  const ends = NOW + 10 * DAY;
  const index = PoolIndex.fromState(stateOf([line({ endsAt: iso(ends) })]));
  t.equal(eng(index, ends - 1).purchased, 10, 'a moment before its end');
  t.equal(eng(index, ends).purchased, 0, 'at its end');
  t.same(eng(index, ends).flags, [], 'an ended line no longer flags expiring');
});

t.test('before its start it does not count yet', async (t) => {
  const starts = NOW + 5 * DAY;
  const index = PoolIndex.fromState(stateOf([line({ startsAt: iso(starts), endsAt: iso(starts + 365 * DAY) })]));
  t.equal(eng(index).purchased, 0);
  t.equal(eng(index, starts).purchased, 10);
});

t.test('in use is the sum of the devices counted in the VA', async (t) => {
  const index = PoolIndex.fromState(stateOf([line()]));
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 3, 'dna-advantage': 1 });
  fleetOf(index).setDeviceUsage('d2', 'va_eng', { [NA]: 4 });
  fleetOf(index).setDeviceUsage('d3', 'va_ops', { [NA]: 100 });
  t.match(eng(index), { purchased: 10, inUse: 7, available: 3, status: 'ok' });
});

t.test("a device's new report replaces its usage whole: an entitlement left out counts 0", async (t) => {
  const index = new PoolIndex();
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 3, 'dna-advantage': 2 });
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 1 });
  t.equal(eng(index).inUse, 1);
  t.equal(eng(index, NOW, 'dna-advantage').inUse, 0);
  t.same(index.pools(NOW).map((p) => p.entitlement), [NA], 'a pool with nothing in it is not listed');
});

t.test('a moved device counts in its new VA; a deregistered one (null) counts nowhere', async (t) => {
  const index = new PoolIndex();
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 3 });
  fleetOf(index).moveDevice('d1', 'va_ops');
  t.equal(eng(index).inUse, 0);
  t.equal(index.pool('va_ops', NA, NOW).inUse, 3);
  fleetOf(index).moveDevice('d1', null);
  t.equal(index.pool('va_ops', NA, NOW).inUse, 0);
  t.same(index.accountPools(NOW), []);
  fleetOf(index).moveDevice('d1', 'va_eng');
  t.equal(eng(index).inUse, 3, 'registered again, its latest report counts again');
  fleetOf(index).removeDevice('d1');
  t.equal(eng(index).inUse, 0);
  t.equal(fleetOf(index).size, 0);
  fleetOf(index).moveDevice('d9', 'va_eng');
  t.equal(eng(index).inUse, 0, 'a device without a report counts nothing');
});

t.test('usage counts must be non-negative integers', async (t) => {
  const index = new PoolIndex();
  t.throws(() => fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: -1 }), TypeError);
  t.throws(() => fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 1.5 }), TypeError);
});

t.test('using more than purchased is insufficient, and allowed', async (t) => {
  const index = PoolIndex.fromState(stateOf([line({ quantity: 2 })]));
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 3 });
  t.match(eng(index), { available: -1, status: 'insufficient', flags: [] });
});

t.test('in use with no active holding is expired', async (t) => {
  const index = PoolIndex.fromState(stateOf([line({ startsAt: iso(NOW - 100 * DAY), endsAt: iso(NOW - DAY) })]));
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 1 });
  t.match(eng(index), { purchased: 0, inUse: 1, status: 'insufficient', flags: ['expired'] });
  fleetOf(index).setDeviceUsage('d2', 'va_ops', { [NA]: 1 });
  t.same(index.pool('va_ops', NA, NOW).flags, ['expired'], 'never purchased there counts too');
});

t.test('a pool both expiring and expired carries both flags', async (t) => {
  const index = PoolIndex.fromState(stateOf([line({ startsAt: iso(NOW + DAY), endsAt: iso(NOW + 20 * DAY) })]));
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 1 });
  t.same(eng(index).flags, ['expiring', 'expired']);
});

t.test('reserved quantities leave the pool', async (t) => {
  const index = PoolIndex.fromState(stateOf([line()]));
  index.setReserved([{ vaId: 'va_eng', entitlement: NA, quantity: 4 }]);
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 1 });
  t.match(eng(index), { reserved: 4, inUse: 1, available: 5 });
  index.setReserved([]);
  t.match(eng(index), { reserved: 0, available: 9 });
});

t.test('pools lists VAs and entitlements in order, or only the VAs asked', async (t) => {
  const index = PoolIndex.fromState(stateOf([line(), perpetual({ lineId: 'L-2', entitlement: 'dna-advantage', virtualAccount: 'Ops' }), perpetual({ lineId: 'L-3', virtualAccount: 'Ops' })]));
  t.same(index.pools(NOW).map((p) => [p.vaId, p.entitlement]), [['va_eng', NA], ['va_ops', 'dna-advantage'], ['va_ops', NA]]);
  t.same(index.pools(NOW, ['va_ops', 'va_lab']).map((p) => [p.vaId, p.entitlement]), [['va_ops', 'dna-advantage'], ['va_ops', NA]]);
});

t.test('a VA with nothing of an entitlement answers a zero pool', async (t) => {
  t.same(new PoolIndex().pool('va_lab', NA, NOW), { vaId: 'va_lab', entitlement: NA, purchased: 0, reserved: 0, inUse: 0, available: 0, status: 'ok', flags: [] });
});

t.test('the account view sums every VA', async (t) => {
  const index = PoolIndex.fromState(stateOf([line({ quantity: 5 }), line({ lineId: 'L-2', quantity: 3, virtualAccount: 'Ops', endsAt: iso(NOW + 30 * DAY) })]));
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 2 });
  fleetOf(index).setDeviceUsage('d2', 'va_lab', { [NA]: 4 });
  index.setReserved([{ vaId: 'va_ops', entitlement: NA, quantity: 1 }]);
  t.same(index.accountPools(NOW), [{ vaId: null, entitlement: NA, purchased: 8, reserved: 1, inUse: 6, available: 1, status: 'ok', flags: ['expiring'] }]);
  t.same(index.pool('va_lab', NA, NOW).flags, ['expired'], 'Lab alone is expired');
});

t.test('sumPools sums chosen VA pools as accountPools sums all', async (t) => {
  const index = PoolIndex.fromState(stateOf([line({ quantity: 5 }), line({ lineId: 'L-2', quantity: 3, virtualAccount: 'Ops', endsAt: iso(NOW + 30 * DAY) })]));
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 2 });
  fleetOf(index).setDeviceUsage('d2', 'va_lab', { [NA]: 4 });
  t.same(sumPools(index.pools(NOW)), index.accountPools(NOW), 'over every VA: the account view');
  t.same(sumPools(index.pools(NOW, ['va_eng', 'va_lab'])), [{ vaId: null, entitlement: NA, purchased: 5, reserved: 0, inUse: 6, available: -1, status: 'insufficient', flags: [] }]);
  t.same(sumPools(index.pools(NOW, ['va_lab']))[0]!.flags, ['expired'], 'in use with nothing active in the sum');
  t.same(sumPools([]), []);
});

t.test('poolFromState answers the pool a state would give, with the usage passed in', async (t) => {
  const s0 = stateOf([line(), line({ lineId: 'L-2', quantity: 4, endsAt: iso(NOW + 10 * DAY) })]);
  const jwk = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: 'A'.repeat(43) };
  const s1 = reserve(s0, { reservationId: 'r1', udi: { pid: 'P', sn: 'S' }, nonce: 'n', jwk, vaId: 'va_eng', licenses: [{ entitlement: NA, count: 3 }], at: NOW }, poolsOf(s0)).state;
  const index = PoolIndex.fromState(s1);
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 5 });
  t.same(poolFromState(s1, 'va_eng', NA, 5, NOW), index.pool('va_eng', NA, NOW));
  t.same(poolFromState(s1, 'va_eng', NA, 5, NOW), { vaId: 'va_eng', entitlement: NA, purchased: 14, reserved: 3, inUse: 5, available: 6, status: 'ok', flags: ['expiring'] });
  t.same(poolFromState(s1, 'va_ops', NA, 0, NOW).purchased, 0);
});

t.test("a device's new usage replaces its old one whole, frozen objects included", async (t) => {
  const index = PoolIndex.fromState(stateOf([line()]));
  const usage = Object.freeze({ [NA]: 3 });
  fleetOf(index).setDeviceUsage('d1', 'va_eng', usage);
  fleetOf(index).setDeviceUsage('d1', 'va_eng', Object.freeze({ [NA]: 1 }));
  t.equal(eng(index).inUse, 1);
  t.equal(index.inUse('va_eng', NA), 1);
  t.equal(index.inUse('va_ops', NA), 0);
});

t.test('any sequence of reports and moves leaves the pools one built from the final devices would show', async (t) => {
  const vas = ['va_eng', 'va_ops', null];
  const ents = ['a', 'b', 'c', 'constructor'];
  let seed = 2463534242;
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const index = new PoolIndex();
  const final = new Map<string, { vaId: string | null; usage: Record<string, number> }>();
  for (let i = 0; i < 2000; i++) {
    const id = `d${rnd(30)}`;
    const current = final.get(id);
    if (rnd(4) === 0 && current) {
      const vaId = vas[rnd(3)]!;
      fleetOf(index).moveDevice(id, vaId);
      final.set(id, { ...current, vaId });
    } else {
      const usage: Record<string, number> = {};
      for (const e of ents) if (rnd(2)) usage[e] = rnd(4);
      const vaId = rnd(5) === 0 ? vas[rnd(3)]! : (current?.vaId ?? 'va_eng');
      fleetOf(index).setDeviceUsage(id, vaId, usage);
      final.set(id, { vaId, usage });
    }
  }
  const fresh = new PoolIndex();
  for (const [id, d] of final) fleetOf(fresh).setDeviceUsage(id, d.vaId, d.usage);
  t.same(index.pools(NOW), fresh.pools(NOW));
  t.ok(index.pools(NOW).length > 0);
});

t.test('changes from snapshots and transfers bring an index to the pools of one built anew', async (t) => {
  const s0 = stateOf([line(), perpetual({ lineId: 'L-2', quantity: 5, virtualAccount: 'Ops' })]);
  const index = PoolIndex.fromState(s0);
  const tr = transfer(s0, { entitlement: NA, quantity: 7, fromVaId: 'va_eng', toVaId: 'va_lab', transferId: 'tr_1', at: NOW, by: 'admin' }, poolsOf(s0));
  index.applyChanges(tr.changes);
  const snap = applySnapshot(
    tr.state,
    [line({ quantity: 2, entitlement: 'dna-advantage', endsAt: iso(NOW + 30 * DAY) }), perpetual({ lineId: 'L-3', quantity: 1 })],
    resolveVa,
    DEFAULT,
    NOW,
  );
  index.applyChanges(snap.changes);
  t.same(index.pools(NOW), PoolIndex.fromState(snap.state).pools(NOW));
  t.same(holdingViews(snap.state).map((v) => v.entitlement), ['dna-advantage', 'network-advantage']);
});

t.test('at scale: 100,000 devices in 50 VAs and 20 entitlements sum right', async (t) => {
  const VAS = Array.from({ length: 50 }, (_, i) => `va_${String(i).padStart(2, '0')}`);
  const ENTS = Array.from({ length: 20 }, (_, i) => `ent-${String(i).padStart(2, '0')}`);
  const lines: Line[] = VAS.flatMap((va, v) =>
    ENTS.map((e, i) => perpetual({ lineId: `L-${v}-${i}`, entitlement: e, quantity: 1000 + v + i, virtualAccount: va })),
  );
  const state = applySnapshot(emptyState(), lines, (p) => p, DEFAULT, NOW).state;
  const index = PoolIndex.fromState(state);

  // A deterministic spread: device d uses (d % 5) + 1 entitlements, counts 0..3.
  const expected = new Map<string, number>();
  const count = (vaId: string, usage: Record<string, number>, sign: number): void => {
    for (const [e, n] of Object.entries(usage)) expected.set(`${vaId} ${e}`, (expected.get(`${vaId} ${e}`) ?? 0) + sign * n);
  };
  const usageOf = (d: number, salt: number): Record<string, number> => {
    const usage: Record<string, number> = {};
    for (let k = 0; k <= d % 5; k++) usage[ENTS[(d * 7 + k * 3 + salt) % 20]!] = (d + k + salt) % 4;
    return usage;
  };
  const where = new Map<number, string>();
  for (let d = 0; d < 100_000; d++) {
    const vaId = VAS[d % 50]!;
    const usage = usageOf(d, 0);
    fleetOf(index).setDeviceUsage(`dev_${d}`, vaId, usage);
    where.set(d, vaId);
    count(vaId, usage, 1);
  }
  // Churn: a tenth report again, a tenth move, a hundredth deregister.
  for (let d = 0; d < 100_000; d += 10) {
    const vaId = where.get(d)!;
    count(vaId, usageOf(d, 0), -1);
    fleetOf(index).setDeviceUsage(`dev_${d}`, vaId, usageOf(d, 1));
    count(vaId, usageOf(d, 1), 1);
  }
  for (let d = 3; d < 100_000; d += 10) {
    const from = where.get(d)!;
    const to = VAS[(d * 13) % 50]!;
    count(from, usageOf(d, 0), -1);
    fleetOf(index).moveDevice(`dev_${d}`, to);
    where.set(d, to);
    count(to, usageOf(d, 0), 1);
  }
  for (let d = 5; d < 100_000; d += 100) {
    count(where.get(d)!, usageOf(d, 0), -1);
    fleetOf(index).moveDevice(`dev_${d}`, null);
  }

  const pools = index.pools(NOW);
  t.equal(pools.length, 50 * 20);
  let wrong = 0;
  for (const p of pools) {
    const inUse = expected.get(`${p.vaId} ${p.entitlement}`) ?? 0;
    const purchased = 1000 + VAS.indexOf(p.vaId!) + ENTS.indexOf(p.entitlement);
    if (p.inUse !== inUse || p.purchased !== purchased || p.available !== purchased - inUse) wrong++;
  }
  t.equal(wrong, 0, 'every VA pool matches a count made apart');

  const started = process.hrtime.bigint();
  const account = index.accountPools(NOW);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.comment(`accountPools for 100,000 devices, 50 VAs, 20 entitlements: ${ms.toFixed(3)} ms`);
  t.equal(account.length, 20);
  for (const p of account) {
    const inUse = VAS.reduce((s, va) => s + (expected.get(`${va} ${p.entitlement}`) ?? 0), 0);
    t.equal(p.inUse, inUse, `${p.entitlement} in use sums every VA`);
  }
});

t.test('usageCounts taken back into a cleared index give the same pools; holdings and reservations stay', async (t) => {
  const s0 = stateOf([line(), perpetual({ lineId: 'L-2', quantity: 5, virtualAccount: 'Ops' })]);
  const r = reserve(s0, { reservationId: 'rsv_1', udi: { pid: 'P', sn: 'S' }, nonce: 'n', jwk: { kty: 'OKP' as const, crv: 'Ed25519' as const, x: 'A'.repeat(43) }, vaId: 'va_eng', licenses: [{ entitlement: NA, count: 2 }], at: NOW }, poolsOf(s0));
  const index = PoolIndex.fromState(r.state);
  fleetOf(index).setDeviceUsage('d1', 'va_eng', { [NA]: 3, 'dna-advantage': 1 });
  fleetOf(index).setDeviceUsage('d2', 'va_lab', { [NA]: 4 });
  fleetOf(index).setDeviceUsage('d3', 'va_ops', { [NA]: 0 });
  const before = index.pools(NOW);
  const counts = index.usageCounts();
  t.same(counts.sort(), [['va_eng', 'dna-advantage', 1], ['va_eng', NA, 3], ['va_lab', NA, 4]], 'only pools with usage');
  index.clearUsage();
  t.same(index.usageCounts(), []);
  t.same(index.pools(NOW).map((p) => [p.vaId, p.entitlement, p.inUse, p.reserved, p.purchased]), [['va_eng', NA, 0, 2, 10], ['va_ops', NA, 0, 0, 5]], 'holdings and reservations stay, usage-only pools go');
  for (const [vaId, e, n] of counts) index.countUsage(vaId, { [e]: n }, 1);
  t.same(index.pools(NOW), before);
});
