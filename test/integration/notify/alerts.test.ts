// A failing channel raises notify-failing (SPEC §7, §10); the every-minute alert check writes
// alert.raised with the channel as subject, and that event's alert email goes out to the user
// who asked for warnings; the alert clears once the channel works again.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { adminClient } from '../../helpers/admin.ts';
import { freePort, makeCertificates, startSmtp, startWebhookReceiver, until } from '../../helpers/notify.ts';
import { startSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('notify-failing, the alert check and the alert email', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const smtp = await startSmtp(t, certs);
  const hook = await startWebhookReceiver(t, { ...certs, mode: 'error' });
  writeFileSync(path.join(dir, 'hook.secret'), 'a-webhook-secret-0123456789\n');
  const sat = await startSatellite(t, {
    config: {
      'notify.syslog.target': `tcp://127.0.0.1:${await freePort()}`,
      'notify.webhooks': [{ url: hook.url, secretFile: path.join(dir, 'hook.secret'), events: ['token.*'], caFile: certs.ca, allowPrivate: true }],
      'notify.email.smtp': { host: '127.0.0.1', port: smtp.port, security: 'starttls', caFile: certs.ca },
      'notify.email.from': 'outpost@example.com',
      'notify.timeoutSeconds': 2,
    },
  });
  let c = await adminClient(sat);
  t.equal((await c.call('PATCH', '/api/me', { email: 'admin@example.com', notifications: { alerts: 'warning' } })).status, 200);
  t.equal((await c.call('POST', '/api/tokens', { virtualAccountId: 'Default', description: 'x' })).status, 201);
  await until(() => hook.requests.length >= 1, 'the failing webhook attempt');
  const alertJob = sat.schedule.jobs.find((j) => j.name === 'alerts')!;
  t.ok(alertJob, 'the alert check is in the job table');
  await sat.schedule.runJob(alertJob);
  t.same((await c.call('GET', '/api/alerts')).body.items.filter((a: { type: string }) => a.type === 'notify-failing'), [], 'not yet: failing for less than 15 minutes');

  sat.clock.set(new Date(sat.clock().getTime() + 16 * 60_000));
  await sat.schedule.runJob(alertJob);
  const alerts = (await c.call('GET', '/api/alerts')).body.items.filter((a: { type: string }) => a.type === 'notify-failing');
  t.ok(alerts.length >= 1);
  t.match(alerts.find((a: { subject: { id: string } }) => a.subject.id.startsWith('webhook')), { severity: 'warning', subject: { kind: 'channel', id: `webhook ${hook.url}` } });
  const raised = (await c.call('GET', '/api/events?type=alert.raised')).body.items;
  t.ok(raised.some((e: { details: { alert: string; subject: { kind: string } } }) => e.details.alert === 'notify-failing' && e.details.subject.kind === 'channel'));
  await until(() => smtp.mails.some((m) => /notify/i.test(m.raw) || /Notifications by/.test(m.raw)), 'the alert email');
  t.same(smtp.mails.at(-1)!.to, ['admin@example.com']);

  // The receiver recovers; the retry succeeds; the next check clears the webhook's alert.
  hook.state.mode = 'ok';
  sat.clock.set(new Date(sat.clock().getTime() + 3_600_000));
  sat.services.notifications.kickAll();
  c = await adminClient(sat); // the session timed out while the clock moved
  await until(async () => (await c.call('GET', '/api/notifications/deliveries?limit=1000')).body.items.some((d: { channel: string; state: string }) => d.channel === 'webhook' && d.state === 'delivered'), 'the webhook retry delivered');
  await sat.schedule.runJob(alertJob);
  const cleared = (await c.call('GET', '/api/events?type=alert.cleared')).body.items;
  t.ok(cleared.some((e: { details: { subject: { id: string } | null } }) => e.details.subject?.id === `webhook ${hook.url}`));
});
