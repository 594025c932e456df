// The pure part of notifications: patterns, retries, syslog text, audience, summary, emails.
import t from 'tap';
import {
  admits,
  alertRecipients,
  buildSummary,
  eventMatches,
  formatSyslog,
  nextAttempt,
  octetCounted,
  renderAlertEmail,
  renderSummaryEmail,
  retryDelayMs,
  sdValue,
  wantsAlertEmail,
  emailAddress,
  SENTENCES,
  eventSentence,
  type Recipient,
} from '../../../../daemon/domain/notify/index.ts';
import { isPrivateAddress } from '../../../../daemon/notify/address-guard.ts';

t.test('eventMatches(): * stands for one dotted segment or more', async (t) => {
  t.ok(eventMatches('alert.*', 'alert.raised'));
  t.ok(eventMatches('*', 'device.registered'));
  t.ok(eventMatches('*', 'a.b.c'));
  t.ok(eventMatches('device.*', 'device.key.reset'));
  t.ok(eventMatches('*.registered', 'device.registered'));
  t.notOk(eventMatches('alert.*', 'alert'), 'at least one segment');
  t.notOk(eventMatches('alert.*', 'alerts.raised'));
  t.notOk(eventMatches('device.registered', 'device.registered.x'));
  t.ok(eventMatches('virtual-account.*', 'virtual-account.created'));
});

t.test('retries grow, cap at 1 h, and stop after 24 h', async (t) => {
  t.equal(retryDelayMs(1), 10_000);
  t.equal(retryDelayMs(2), 20_000);
  t.equal(retryDelayMs(20), 3_600_000);
  const queued = new Date('2026-01-01T00:00:00Z');
  t.same(nextAttempt(queued, 1, queued), new Date('2026-01-01T00:00:10Z'));
  t.same(nextAttempt(queued, 30, new Date('2026-01-01T23:30:00Z')), new Date('2026-01-02T00:00:00Z'), 'one last try at 24 h');
  t.equal(nextAttempt(queued, 31, new Date('2026-01-02T00:00:00Z')), null, 'then failed');
});

t.test('syslog: RFC 5424 with escaped structured data and one line', async (t) => {
  t.equal(sdValue('a"b\\c]d\r\ne'), 'a\\"b\\\\c\\]d  e');
  const line = formatSyslog(
    { id: 'evt_1', at: '2026-01-01T00:00:00.000Z', type: 'device.registered', actor: 'device:dev_1', vaPath: 'Default', details: { udi: { pid: 'C9300', sn: 'X\n1' } } },
    { facility: 'local0', appName: 'outpost', enterpriseId: 32473, hostname: 'sat one', procId: '42' },
  );
  t.equal(line, '<134>1 2026-01-01T00:00:00.000Z satone outpost 42 device.registered [outpost@32473 actor="device:dev_1" va="Default" id="evt_1"] Device C9300 X 1 registered in Default.');
  const alert = formatSyslog(
    { id: 'evt_2', at: '2026-01-01T00:00:00.000Z', type: 'alert.changed', actor: 'system', vaPath: null, details: { severity: 'warning', message: 'm' } },
    { facility: 'local3', appName: 'outpost', enterpriseId: 1, hostname: '', procId: '' },
  );
  t.match(alert, /^<156>1 \S+ - outpost - alert\.changed \[outpost@1 actor="system" va="" id="evt_2"\] Alert now warning: m$/);
  t.equal(octetCounted('héllo').toString('utf8'), '6 héllo', 'the count is in bytes');
});

t.test('every sentence is one sentence ending in a full stop or the alert text', async (t) => {
  for (const type of Object.keys(SENTENCES)) {
    const s = eventSentence({ type, actor: 'admin', vaPath: 'Default', details: { message: 'x.', severity: 'info' } });
    t.ok(s.length > 5 && !/undefined|\[object/.test(s), `${type}: ${s}`);
  }
  t.equal(eventSentence({ type: 'something.new', actor: 'admin', vaPath: null, details: {} }), 'admin: something.new.');
});

t.test('alert emails: raised, or severity rising; never on clearing or falling', async (t) => {
  t.ok(wantsAlertEmail({ type: 'alert.raised', details: {} }));
  t.ok(wantsAlertEmail({ type: 'alert.changed', details: { severity: 'critical', previousSeverity: 'warning' } }));
  t.notOk(wantsAlertEmail({ type: 'alert.changed', details: { severity: 'info', previousSeverity: 'warning' } }));
  t.notOk(wantsAlertEmail({ type: 'alert.cleared', details: { severity: 'critical' } }));
});

t.test('audience: levels and what roles let a user see', async (t) => {
  t.ok(admits('warning', 'critical'));
  t.ok(admits('warning', 'warning'));
  t.notOk(admits('warning', 'info'));
  t.notOk(admits('off', 'critical'));
  t.ok(admits('info', 'info'));
  const u = (id: string, alerts: Recipient['notifications']['alerts'], email: string | null = `${id}@example.com`): Recipient => ({
    id, username: id, email, notifications: { alerts, summary: false },
  });
  const users = [u('a', 'info'), u('b', 'critical'), u('c', 'warning'), u('d', 'info', null)];
  const reads = (id: string, va: string | null) => id !== 'c' || va === 'va_c';
  t.same(alertRecipients(users, { severity: 'warning', vaId: 'va_x' }, reads).map((r) => r.id), ['a']);
  t.same(alertRecipients(users, { severity: 'critical', vaId: 'va_c' }, reads).map((r) => r.id), ['a', 'b', 'c']);
  t.ok(emailAddress.safeParse('ops@example.com').success);
  for (const bad of ['ops@example.com\r\nBcc: x@y.z', 'a@b.c, d@e.f', 'nope']) t.notOk(emailAddress.safeParse(bad).success, JSON.stringify(bad));
});

t.test('summary: scoped to the reader, ending lines and silent devices', async (t) => {
  const now = new Date('2026-06-01T00:00:00Z');
  const input = {
    now,
    satellite: { id: 'sat_1', name: 'sat-1' },
    registration: 'registered',
    daysUntilLapse: 300,
    lastCloudContact: '2026-05-01T00:00:00Z',
    sync: { lastSuccess: null },
    vas: [{ id: 'va_d', path: 'Default' }, { id: 'va_e', path: 'Default/Eng' }],
    pools: [
      { vaId: 'va_d', entitlement: 'b', purchased: 1, reserved: 0, inUse: 3, available: -2, status: 'insufficient' as const },
      { vaId: 'va_e', entitlement: 'a', purchased: 5, reserved: 0, inUse: 1, available: 4, status: 'ok' as const },
    ],
    holdings: [
      { vaId: 'va_e', lineId: 'l1', sku: 'S1', entitlement: 'a', quantity: 5, endsAt: '2026-07-01T00:00:00Z' },
      { vaId: 'va_e', lineId: 'l2', sku: 'S2', entitlement: 'a', quantity: 5, endsAt: '2027-07-01T00:00:00Z' },
      { vaId: 'va_d', lineId: 'l3', sku: 'S3', entitlement: 'b', quantity: 1, endsAt: null },
    ],
    devices: [{ vaId: 'va_e', lastSeenAt: '2026-04-01T00:00:00Z' }, { vaId: 'va_e', lastSeenAt: '2026-05-30T00:00:00Z' }],
    alerts: [
      { vaId: null, type: 'sync-overdue', severity: 'warning', virtualAccount: null, entitlement: null, since: 'x', message: 'sync' },
      { vaId: 'va_d', type: 'insufficient', severity: 'critical', virtualAccount: { id: 'va_d', path: 'Default' }, entitlement: 'b', since: 'x', message: 'short' },
    ],
  };
  const all = buildSummary(input, null);
  t.equal(all.virtualAccounts.length, 2);
  t.equal(all.alerts.length, 2);
  const eng = buildSummary(input, new Set(['va_e']));
  t.same(eng.virtualAccounts.map((v) => v.path), ['Default/Eng']);
  t.same(eng.virtualAccounts[0]!.endingWithin90Days.map((l) => l.lineId), ['l1']);
  t.equal(eng.virtualAccounts[0]!.silentDevices, 1);
  t.same(eng.alerts.map((a) => a.type), ['sync-overdue'], 'only the satellite-wide alert');
  t.notOk('vaId' in eng.alerts[0]!);
  const mail = renderSummaryEmail({ account: 'Acme', satellite: 'sat-1' }, all);
  t.match(mail.subject, /^\[Acme \/ sat-1\] Summary 2026-06-01$/);
  t.match(mail.text, /b: purchased 1, in use 3, available -2 \(SHORT\)/);
  t.match(mail.html, /width=device-width/);
});

t.test('alert email: names account and satellite, escapes HTML, one-line subject', async (t) => {
  const m = renderAlertEmail(
    { account: 'Acme', satellite: 'sat-1' },
    { id: 'e', type: 'alert.raised', at: 'now', actor: 'system', virtualAccount: { id: 'v', path: '<b>VA</b>' }, details: { alert: 'insufficient', severity: 'critical', message: 'short\r\nBcc: x' } },
  );
  t.equal(m.subject, '[Acme / sat-1] critical: short Bcc: x');
  t.match(m.html, /&lt;b&gt;VA&lt;\/b&gt;/);
  t.notMatch(m.html, /<b>VA<\/b>/);
});

t.test('isPrivateAddress(): private, loopback, link-local, IPv4-mapped', async (t) => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', 'fe80::1%eth0', 'not-an-ip']) {
    t.ok(isPrivateAddress(a), a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '172.32.0.1']) t.notOk(isPrivateAddress(a), a);
});

t.test('docs/events.md lists every event type with a sentence, and no other', async (t) => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../../../docs/events.md', import.meta.url), 'utf8');
  const listed = [...doc.matchAll(/^\| `([a-z0-9._-]+)` \|/gm)].map((m) => m[1]);
  t.same([...listed].sort(), Object.keys(SENTENCES).sort());
});
