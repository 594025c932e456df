// The summary email end to end (SPEC §10): a real satellite, a real SMTP server (smtp-server with
// STARTTLS), users in different VAs with the summary on, the summary job of the job table run;
// each user gets one message, HTML and plain text, holding their VAs only.
import t from 'tap';
import { control } from '../../helpers/control.ts';
import { applyLines, DAY, deviceWithUsage, line } from '../../helpers/licenses.ts';
import { makeCertificates, mailParts, startSmtp, until } from '../../helpers/notify.ts';
import { startSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('the summary job mails each user who asked for it the summary of their VAs, HTML and text', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const smtp = await startSmtp(t, certs);
  const sat = await startSatellite(t, {
    config: {
      'notify.email.smtp': { host: '127.0.0.1', port: smtp.port, security: 'starttls', caFile: certs.ca },
      'notify.email.from': 'outpost@example.com',
      'notify.summary.schedule': '30 6 * * 2',
      'notify.timeoutSeconds': 5,
    },
  });
  const sock = async (method: string, p: string, body?: unknown) => {
    const r = await control(sat.socketPath, method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const eng = await sock('POST', '/api/virtual-accounts', { name: 'Eng', parentId: 'Default' });
  const ops = await sock('POST', '/api/virtual-accounts', { name: 'Ops', parentId: null });

  // A device in Eng that reports once and then falls silent for 31 days.
  await deviceWithUsage(sat, 'Default/Eng', { 'network-advantage': 1 }, 'SILENT1');
  sat.clock.advanceDays(31);
  const now = sat.clock();
  const endsAt = new Date(now.getTime() + 45 * DAY).toISOString();
  await applyLines(sat, [
    line(now, { lineId: 'L-ENG', quantity: 2, virtualAccount: 'Default/Eng' }),
    line(now, { lineId: 'L-OPS', sku: 'DNA-A-3Y', entitlement: 'dna-advantage', quantity: 10, endsAt, virtualAccount: 'Ops' }),
  ]);
  await deviceWithUsage(sat, 'Default/Eng', { 'network-advantage': 4 }, 'BUSY1');

  const user = async (username: string, roles: unknown[], email: string, summary: boolean) => {
    const u = await sock('POST', '/api/users', { username, password: `${username}-password-0123`, roles });
    await sock('PATCH', `/api/users/${u.id}`, { email, notifications: { alerts: 'off', summary } });
  };
  await user('erin', [{ role: 'va-user', virtualAccountId: eng.id }], 'erin@example.com', true);
  await user('oscar', [{ role: 'viewer', virtualAccountId: ops.id }], 'oscar@example.com', true);
  await user('vera', [{ role: 'viewer' }], 'vera@example.com', true);
  await user('nora', [{ role: 'va-user', virtualAccountId: eng.id }], 'nora@example.com', false);

  const job = sat.schedule.jobs.find((j) => j.name === 'notify-summary');
  t.ok(job, 'the summary job is in the job table');
  t.equal(job!.cron, '30 6 * * 2', 'on notify.summary.schedule');
  await sat.schedule.runJob(job!);
  await until(() => smtp.mails.length >= 3 && sat.services.notifications.pending() === 0, 'three summary emails');
  await new Promise((r) => setTimeout(r, 300));
  t.same(smtp.mails.map((m) => m.to.join(',')).sort(), ['erin@example.com', 'oscar@example.com', 'vera@example.com'], 'one each to the users who asked; none to nora');

  const { state } = sat.ctx;
  const mail = (to: string) => {
    const m = smtp.mails.find((x) => x.to.includes(to))!;
    t.ok(m.secure, `${to}: over STARTTLS`);
    const parts = mailParts(m.raw);
    t.match(parts.headers['content-type'], /^multipart\/alternative/i, `${to}: text and HTML alternatives`);
    t.equal(parts.headers.subject, `[${state.account.name} / ${state.satellite.name}] Summary ${now.toISOString().slice(0, 10)}`, `${to}: the subject names the account and the satellite`);
    t.ok(parts.text && parts.html, `${to}: both parts`);
    return { text: parts.text!, html: parts.html! };
  };

  const erin = mail('erin@example.com');
  t.match(erin.text, /^== Default\/Eng ==$/m);
  t.match(erin.text, /network-advantage: purchased 2, in use 5, available -3 \(SHORT\)/);
  t.match(erin.text, /Shortages: 1\n- Default\/Eng: network-advantage -3/);
  t.match(erin.text, /Devices silent 30 days or more: 1/);
  t.match(erin.text, /warning: network-advantage is short by 3/, 'the shortage alert');
  t.notMatch(erin.text, /\bOps\b|dna-advantage|^== Default ==$/m, 'nothing of Ops, nor of Default itself');
  t.match(erin.html, /<h2[^>]*>Default\/Eng<\/h2>/);
  t.match(erin.html, /<td[^>]*>network-advantage<\/td><td[^>]*>2<\/td><td[^>]*>5<\/td><td[^>]*>-3<\/td>/);
  t.match(erin.html, /Devices silent 30 days or more: 1/);
  t.notMatch(erin.html, /\bOps\b|dna-advantage/);

  const oscar = mail('oscar@example.com');
  t.match(oscar.text, /^== Ops ==$/m);
  t.match(oscar.text, /dna-advantage: purchased 10, in use 0, available 10/);
  t.match(oscar.text, new RegExp(`Ends ${endsAt.slice(0, 10)}: DNA-A-3Y dna-advantage x10`), 'the line ending within 90 days');
  t.match(oscar.text, /Shortages: 0/);
  t.notMatch(oscar.text, /Eng|network-advantage|Devices silent/, 'nothing of Eng');
  t.match(oscar.html, /<h2[^>]*>Ops<\/h2>/);
  t.match(oscar.html, new RegExp(`${endsAt.slice(0, 10)}: DNA-A-3Y dna-advantage ×10`));
  t.notMatch(oscar.html, /Eng|network-advantage/);

  const vera = mail('vera@example.com');
  for (const va of ['Default', 'Default/Eng', 'Ops']) t.match(vera.text, new RegExp(`^== ${va.replace('/', '\\/')} ==$`, 'm'), `the account-wide viewer sees ${va}`);
  t.match(vera.html, /<h2[^>]*>Ops<\/h2>[\s\S]*/);
  t.match(vera.html, /<h2[^>]*>Default\/Eng<\/h2>/);

  // GET /api/summary answers the same content for the same reader.
  const doc = await sock('GET', '/api/summary');
  t.same(doc.virtualAccounts.map((v: { path: string }) => v.path), ['Default', 'Default/Eng', 'Ops']);
});
