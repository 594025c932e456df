import t from 'tap';
import { ConfigError, parseCloudConfig } from '../../../../exchange/cloud/index.ts';
import { entitlement } from '../fixtures/bundle.ts';

const acme = { id: 'acc_acme', profile: { name: 'Acme', domain: 'acme.example', type: 'customer' }, tokens: ['reg-token-0123456789abcdef'] };

t.test('defaults fill what is left out; relative paths are taken from the config file folder; the result is frozen', async (t) => {
  const c = parseCloudConfig({ accounts: [acme], tls: { cert: 'tls/c.pem', key: '/etc/k.pem' } }, '/srv/cloud');
  t.match(c, {
    listen: '127.0.0.1:8190',
    dataDir: '/srv/cloud/cloud-data',
    adminToken: null,
    maxUploadBytes: 256 * 1024 * 1024,
    maxBundleBytes: 1024 ** 3,
    tls: { cert: '/srv/cloud/tls/c.pem', key: '/etc/k.pem' },
  });
  t.same(c.accounts[0]!.policy, { reportIntervalHours: 24 });
  t.same(c.accounts[0]!.lines, []);
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.accounts[0]!.profile));
});

t.test('a bad config is refused with the dotted key and what is wrong', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ accounts: [] }, /^config accounts: /],
    [{ accounts: [acme], listen: 'localhost' }, /^config listen: host:port/],
    [{ accounts: [acme], colour: 'blue' }, /^config colour: unknown key$/],
    [{ accounts: [{ ...acme, extra: 1 }] }, /^config accounts\.0\.extra: unknown key$/],
    [{ accounts: [{ ...acme, profile: { ...acme.profile, type: 'reseller' } }] }, /^config accounts\.0\.profile\.type: /],
    [{ accounts: [{ ...acme, tokens: ['short'] }] }, /^config accounts\.0\.tokens\.0: at least 16 characters$/],
    [{ accounts: [acme, { ...acme, id: 'acc_2' }] }, /^config accounts\.1\.tokens\.0: a token may belong to one account only$/],
    [{ accounts: [acme, { ...acme, tokens: [] }] }, /^config accounts\.1\.id: account id acc_acme is used twice$/],
    [{ accounts: [{ ...acme, lines: [entitlement('L1'), entitlement('L1')] }] }, /^config accounts\.0\.lines\.1\.lineId: line L1 is listed twice$/],
    [{ accounts: [{ ...acme, lines: [{ ...entitlement('L1'), type: 'forever' }] }] }, /^config accounts\.0\.lines\.0\.type: /],
  ];
  for (const [doc, message] of cases) t.throws(() => parseCloudConfig(doc, '/'), { name: 'ConfigError', message }, String(message));
  t.type(new ConfigError('x'), Error);
});

t.test('the shipped example config is valid', async (t) => {
  const { loadCloudConfig } = await import('../../../../exchange/cloud/index.ts');
  const c = await loadCloudConfig(new URL('../../../../exchange/cloud/cloud.example.json', import.meta.url).pathname);
  t.equal(c.accounts.length, 2);
  t.equal(c.accounts[0]!.lines.length, 3);
});
