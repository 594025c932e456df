import t from 'tap';
import { cloudBundleOrder, expectKind, expectReplyTo, expectSatellite } from '../../../../exchange/bundle/index.ts';
import type { Manifest } from '../../../../exchange/bundle/index.ts';

const response: Manifest = {
  format: 'outpost.bundle/1',
  kind: 'cloud-response',
  satellite: 'sat_1',
  account: 'acc_1',
  sequence: 5,
  inReplyTo: 3,
  createdAt: '2026-11-28T10:00:00.000Z',
  policy: { reportIntervalHours: 24 },
  files: [],
};

t.test('expectKind() refuses BUNDLE_UNEXPECTED for a kind the caller did not ask for', async (t) => {
  t.equal(expectKind(response, ['cloud-response', 'registration-response']).inReplyTo, 3);
  t.throws(() => expectKind(response, ['satellite-report']), { code: 'BUNDLE_UNEXPECTED', status: 422 });
});

t.test('expectSatellite() refuses BUNDLE_WRONG_SATELLITE for another satellite or account', async (t) => {
  t.doesNotThrow(() => expectSatellite(response, 'sat_1', 'acc_1'));
  t.doesNotThrow(() => expectSatellite(response, 'sat_1', null), 'an unknown account is not checked');
  t.throws(() => expectSatellite(response, 'sat_2'), { code: 'BUNDLE_WRONG_SATELLITE', message: /for satellite sat_1, not sat_2/ });
  t.throws(() => expectSatellite(response, 'sat_1', 'acc_2'), { code: 'BUNDLE_WRONG_SATELLITE', message: /account acc_1, not acc_2/ });
});

t.test('expectReplyTo() refuses BUNDLE_UNEXPECTED for an answer to a report never exported', async (t) => {
  t.doesNotThrow(() => expectReplyTo(response, (s) => s <= 3));
  t.throws(() => expectReplyTo(response, (s) => s <= 2), { code: 'BUNDLE_UNEXPECTED', message: /report 3/ });
});

t.test('cloudBundleOrder(): applied → already-applied, newer → apply, older and never applied → STALE_BUNDLE', async (t) => {
  const applied = new Set([1, 2, 4]);
  const state = { isApplied: (s: number) => applied.has(s), newestApplied: 4 };
  t.equal(cloudBundleOrder(2, state), 'already-applied', 'an old one applied before');
  t.equal(cloudBundleOrder(4, state), 'already-applied', 'the newest again');
  t.equal(cloudBundleOrder(5, state), 'apply');
  t.throws(() => cloudBundleOrder(3, state), { code: 'STALE_BUNDLE', message: /3 is older than 4/ });
  t.equal(cloudBundleOrder(1, { isApplied: () => false, newestApplied: null }), 'apply', 'the first one');
});
