import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError, configSchema, loadConfig } from '../../../daemon/config/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const EXAMPLE = new URL('../../../config/outpost.example.yaml', import.meta.url);

t.test('loadConfig() without a file gives the documented defaults, frozen', async (t) => {
  const cfg = loadConfig({ env: {}, cwd: '/srv' });
  t.equal(cfg.dataDir, '/srv/data');
  t.equal(cfg.device.listen, '0.0.0.0:8182');
  t.equal(cfg.admin.listen, '127.0.0.1:8180');
  t.equal(cfg.exchange.schedule, '17 3 * * *');
  t.same(cfg.lapse, { days: 365, warnDays: [90, 30, 7] });
  t.equal(cfg.device.policyMode.enabled, false);
  t.ok(Object.isFrozen(cfg.device.policyMode), 'nested objects are frozen');
  t.throws(() => ((cfg as any).lapse.days = 1));
});

t.test('the example config lists every key with its default', async (t) => {
  const example = parse(readFileSync(EXAMPLE, 'utf8'));
  t.same(configSchema.parse(example), configSchema.parse({}), 'the example parses to exactly the defaults');
  const keysOf = (o: any, p = ''): string[] =>
    Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length ? keysOf(v, `${p}${k}.`) : [`${p}${k}`]));
  t.same(keysOf(example).sort(), keysOf(configSchema.parse({})).sort(), 'no key of the schema is missing from the example');
});

t.test('env variables override the file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'c.yaml');
  writeFileSync(file, 'device:\n  listen: "0.0.0.0:9000"\nlog: { level: warn }\n');
  const cfg = loadConfig({
    file,
    cwd: dir,
    env: { OUTPOST_DEVICE_LISTEN: '127.0.0.1:0', OUTPOST_DATA_DIR: '/var/lib/outpost', OUTPOST_LOG_LEVEL: 'debug', OUTPOST_EXCHANGE_URL: 'https://cloud.example', OUTPOST_CLOUD_KEYS: '/k.json', OUTPOST_ADMIN_LISTEN: '[::1]:8180' },
  });
  t.equal(cfg.device.listen, '127.0.0.1:0');
  t.equal(cfg.dataDir, '/var/lib/outpost');
  t.equal(cfg.log.level, 'debug');
  t.equal(cfg.exchange.url, 'https://cloud.example');
  t.equal(cfg.exchange.cloudKeys, '/k.json');
  t.equal(cfg.admin.listen, '[::1]:8180');
  t.equal(cfg.configFile, file);
});

t.test('a bad config names the key by its dotted path', async (t) => {
  const dir = tempDir(t);
  const cases: Array<[string, RegExp]> = [
    ['lapse:\n  days: 0\n', /"lapse\.days" is invalid/],
    ['lapse:\n  dayz: 3\n', /unknown key "lapse\.dayz"/],
    ['bogus: 1\n', /unknown key "bogus"/],
    ['device:\n  listen: "nowhere"\n', /"device\.listen" is invalid.*host:port/],
    ['device:\n  listen: "1.2.3.4:70000"\n', /"device\.listen" is invalid/],
    ['exchange:\n  schedule: "every day"\n', /"exchange\.schedule" is invalid.*cron/],
    ['exchange:\n  url: "ftp://x"\n', /"exchange\.url" is invalid/],
    ['admin:\n  tls: { cert: /a.pem }\n', /"admin\.tls" is invalid.*both/],
    ['log: { level: loud }\n', /"log\.level" is invalid/],
    ['device:\n  maxReportAgeDays: 1.5\n', /"device\.maxReportAgeDays" is invalid/],
    ['auth:\n  ldap: { url: "ldap://ldap.example.com", userBase: "dc=x" }\n', /"auth\.ldap" is invalid.*startTls/],
    ['auth:\n  ldap: { url: "ldap://127.0.0.1:389", userBase: "dc=x", bindDn: "cn=a" }\n', /"auth\.ldap" is invalid.*bindPasswordFile/],
    ['auth:\n  ldap: { url: "http://x", userBase: "dc=x" }\n', /"auth\.ldap\.url" is invalid/],
    ['auth:\n  ldap: { url: "ldaps://x", userBase: "dc=x", userFilter: "(uid=x)" }\n', /"auth\.ldap\.userFilter" is invalid.*\{username\}/],
    ['auth:\n  ldap: { url: "ldaps://x", userBase: "dc=x", roleMap: [{ group: g, role: va-user }] }\n', /"auth\.ldap\.roleMap\.0" is invalid.*virtualAccount/],
    ['admin: { publicOrigin: "https://o.example" }\nauth:\n  oidc: { issuer: "http://sso.example.com", clientId: c }\n', /"auth\.oidc\.issuer" is invalid.*https/],
    ['auth:\n  oidc: { issuer: "https://sso.example.com", clientId: c }\n', /"auth\.oidc" is invalid.*publicOrigin/],
    ['- a list\n', /must hold a mapping/],
    ['a: [unclosed\n', /not valid YAML/],
  ];
  for (const [text, expected] of cases) {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, text);
    t.throws(() => loadConfig({ file, env: {} }), expected, JSON.stringify(text));
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      t.ok(err instanceof ConfigError);
    }
  }
  t.throws(() => loadConfig({ file: path.join(dir, 'missing.yaml'), env: {} }), /cannot read config file .*ENOENT/);
  t.throws(() => loadConfig({ env: { OUTPOST_ADMIN_LISTEN: 'x' } }), /"admin\.listen" is invalid/, 'env values are validated too');
});
