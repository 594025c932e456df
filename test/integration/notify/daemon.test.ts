// Notifications through the whole satellite: events from the admin API reach rsyslogd and an
// HTTPS webhook receiver, users set their address, GET /api/summary, test sends, the deliveries
// list, and a restart that sends nothing twice.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { adminClient } from '../../helpers/admin.ts';
import { makeCertificates, startRsyslog, startSmtp, startWebhookReceiver, until } from '../../helpers/notify.ts';
import { startSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('notifications in the satellite', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const secretFile = path.join(dir, 'hook.secret');
  writeFileSync(secretFile, 'a-webhook-secret-0123456789\n');
  const rs = await startRsyslog(t, dir);
  const hook = await startWebhookReceiver(t, certs);
  const smtp = await startSmtp(t, certs);
  const dataDir = path.join(dir, 'data');
  const config = {
    'notify.syslog.target': `tcp://127.0.0.1:${rs.tcpPort}`,
    'notify.webhooks': [{ url: hook.url, secretFile, events: ['virtual-account.*'], caFile: certs.ca, allowPrivate: true }],
    'notify.email.smtp': { host: '127.0.0.1', port: smtp.port, security: 'starttls', caFile: certs.ca },
    'notify.email.from': 'outpost@example.com',
    'notify.timeoutSeconds': 2,
  };
  let sat = await startSatellite(t, { dataDir, config });
  const c = await adminClient(sat);

  const va = await c.call('POST', '/api/virtual-accounts', { name: 'Eng "]\\', parentId: 'Default' });
  t.equal(va.status, 201);
  await until(() => hook.requests.length === 1, 'the webhook');
  const body = JSON.parse(hook.requests[0]!.body);
  t.equal(body.type, 'virtual-account.created');
  t.same(body.virtualAccount, { id: va.body.id, path: 'Default/Eng "]\\' });
  t.same(Object.keys(body), ['id', 'type', 'at', 'actor', 'virtualAccount', 'details']);
  await until(() => rs.lines().some((l) => l.includes('virtual-account.created')), 'the syslog line');
  const line = rs.lines().find((l) => l.includes('virtual-account.created'))!;
  t.match(line, /\|\[outpost@32473 actor="admin" va="Default\/Eng \\"\\]\\\\" id="evt_\d+"\]\|admin created the virtual account Default\/Eng "]\\\./);
  t.ok(rs.lines().some((l) => l.includes('|user.login|')), 'every event, logins too');

  t.test('users set their address and settings; bad ones are refused', async (t) => {
    const bad = await c.call('PATCH', '/api/me', { email: 'a@example.com\r\nBcc: x@example.com' });
    t.equal(bad.status, 400);
    t.equal(bad.body.error.code, 'INVALID_REQUEST');
    t.equal((await c.call('PATCH', '/api/me', { email: 'a@example.com, b@example.com' })).status, 400);
    t.equal((await c.call('PATCH', '/api/me', { notifications: { alerts: 'loud' } })).status, 400);
    const ok = await c.call('PATCH', '/api/me', { email: 'admin@example.com', notifications: { alerts: 'warning', summary: true } });
    t.equal(ok.status, 200);
    t.equal(ok.body.email, 'admin@example.com');
    t.same(ok.body.notifications, { alerts: 'warning', summary: true });
    t.same((await c.call('GET', '/api/me')).body.notifications, { alerts: 'warning', summary: true });
    const created = await c.call('POST', '/api/users', { username: 'ops', password: 'a long password 123', roles: [{ role: 'viewer', virtualAccountId: va.body.id }] });
    const set = await c.call('PATCH', `/api/users/${created.body.id}`, { email: 'ops@example.com', notifications: { alerts: 'critical' } });
    t.equal(set.status, 200);
    t.equal(set.body.email, 'ops@example.com');
    t.same(set.body.notifications, { alerts: 'critical', summary: false });
  });

  t.test('GET /api/summary and a test email', async (t) => {
    const s = await c.call('GET', '/api/summary');
    t.equal(s.status, 200);
    t.same(s.body.virtualAccounts.map((v: { path: string }) => v.path), ['Default', 'Default/Eng "]\\']);
    t.match(s.body, { satellite: { id: String }, registration: 'unregistered', sync: Object, alerts: Array });
    const sent = await c.call('POST', '/api/notifications/test', { channel: 'email' });
    t.equal(sent.status, 202);
    await until(() => smtp.mails.length === 1, 'the test email');
    t.same(smtp.mails[0]!.to, ['admin@example.com']);
    t.equal((await c.call('POST', '/api/notifications/test', { channel: 'pigeon' })).status, 400);
  });

  t.test('the deliveries list', async (t) => {
    await until(async () => (await c.call('GET', '/api/notifications/deliveries?limit=1000')).body.items.every((d: { state: string }) => d.state === 'delivered'), 'all delivered');
    const page = await c.call('GET', '/api/notifications/deliveries?limit=2');
    t.equal(page.body.items.length, 2);
    t.type(page.body.next, 'string');
    const next = await c.call('GET', `/api/notifications/deliveries?limit=1000&cursor=${page.body.next}`);
    t.ok(next.body.items.length > 0);
    t.ok(next.body.items.every((d: { id: string }) => !page.body.items.some((p: { id: string }) => p.id === d.id)), 'pages do not overlap');
    t.notMatch(JSON.stringify(next.body), /webhook-secret/);
    t.match(page.body.items[0], { id: /^dlv_/, channel: /^(email|syslog|webhook)$/, state: 'delivered', attempts: 1, lastError: null });
  });

  t.test('a restart sends nothing twice', async (t) => {
    const hooks = hook.requests.length;
    const lines = rs.lines().length;
    const mails = smtp.mails.length;
    await sat.close();
    sat = await startSatellite(t, { dataDir, config });
    await new Promise((r) => setTimeout(r, 500));
    t.equal(hook.requests.length, hooks);
    t.equal(smtp.mails.length, mails);
    // The restart's own events (none, until someone logs in) add lines; none repeats an event id.
    const ids = rs.lines().map((l) => /id="(evt_\d+)"/.exec(l)?.[1]).filter(Boolean);
    t.equal(new Set(ids).size, ids.length, 'no event sent twice');
    t.ok(rs.lines().length >= lines);
  });
});
