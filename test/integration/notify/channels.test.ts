// The three senders against real receivers: smtp-server with STARTTLS, rsyslogd, an HTTPS
// webhook receiver, and each fault the issue lists.
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { formatSyslog, renderAlertEmail, type EventBody } from '../../../daemon/domain/notify/index.ts';
import { createMailer, smtpError, type SmtpSettings } from '../../../daemon/notify/smtp.ts';
import { createSyslogSender, parseSyslogTarget } from '../../../daemon/notify/syslog.ts';
import { createWebhookSender, webhookError } from '../../../daemon/notify/webhook.ts';
import { freePort, makeCertificates, makeUntrustedCertificate, rsyslogGtls, startRsyslog, startRsyslogTls, startSmtp, startTlsSyslog, startWebhookReceiver, until } from '../../helpers/notify.ts';
import { tempDir } from '../../helpers/tmp.ts';

const nasty = 'line one\r\nBcc: victim@example.com\r\n\r\nbody "quoted" \\ back ] bracket';
const event: EventBody = {
  id: 'evt_0000000000000042',
  type: 'alert.raised',
  at: '2026-12-06T05:00:00.000Z',
  actor: 'sys"tem]\\',
  virtualAccount: { id: 'va_1', path: 'Default/Eng "]\\' },
  details: { alert: 'insufficient', severity: 'critical', entitlement: 'network-advantage', message: nasty },
};
const names = { account: 'Acme\r\nX-Evil: 1', satellite: 'sat-1' };

t.test('email', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const untrusted = await makeUntrustedCertificate(dir);
  writeFileSync(path.join(dir, 'smtp.pw'), 'password\n');
  const base = (port: number, over: Partial<SmtpSettings> = {}): SmtpSettings => ({
    host: '127.0.0.1', port, security: 'starttls', username: 'outpost', passwordFile: path.join(dir, 'smtp.pw'),
    caFile: certs.ca, from: 'outpost@example.com', timeoutSeconds: 1, ...over,
  });

  t.test('goes out over STARTTLS with the password from its file, one Subject, no injected header', async (t) => {
    const smtp = await startSmtp(t, certs);
    const mailer = createMailer(base(smtp.port));
    t.teardown(() => mailer.close());
    await mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_00000001');
    t.equal(smtp.mails.length, 1);
    const m = smtp.mails[0]!;
    t.same(m.to, ['ops@example.com']);
    t.ok(m.secure, 'upgraded with STARTTLS');
    t.equal(m.user, 'outpost', 'authenticated');
    const head = m.raw.slice(0, m.raw.indexOf('\r\n\r\n'));
    t.equal(head.match(/^Subject:/gim)?.length, 1);
    t.notMatch(head, /^Bcc:/im, 'no Bcc header from the event text');
    t.notMatch(head, /^X-Evil:/im, 'no header from the account name');
    t.match(head, /^X-Outpost-Delivery: dlv_00000001$/m);
    t.match(head, /^Message-ID: <dlv_00000001@example\.com>$/im);
    t.match(m.raw, /text\/html/);
    t.match(m.raw, /text\/plain/);
  });

  t.test('a wrong password is a failure', async (t) => {
    const smtp = await startSmtp(t, { ...certs, password: 'other' });
    const mailer = createMailer(base(smtp.port));
    await t.rejects(mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_2'));
    t.equal(smtp.mails.length, 0);
  });

  t.test('a server that refuses the recipient', async (t) => {
    const smtp = await startSmtp(t, { ...certs, mode: 'refuse' });
    const mailer = createMailer(base(smtp.port));
    const err = await mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_3').then(() => null, (e: unknown) => e);
    t.ok(err, 'rejected');
    t.match(smtpError(err), /550/);
    t.notMatch(smtpError(err), /password/);
  });

  t.test('a server that never answers times out', async (t) => {
    const smtp = await startSmtp(t, { ...certs, mode: 'hang' });
    const mailer = createMailer(base(smtp.port));
    const started = Date.now();
    await t.rejects(mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_4'));
    t.ok(Date.now() - started < 10_000, 'within the timeout, not forever');
  });

  t.test('a server that drops the connection mid-message', async (t) => {
    const smtp = await startSmtp(t, { ...certs, mode: 'drop' });
    const mailer = createMailer(base(smtp.port));
    await t.rejects(mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_5'));
    t.equal(smtp.mails.length, 0);
  });

  t.test('a server with an untrusted certificate', async (t) => {
    const smtp = await startSmtp(t, untrusted);
    const mailer = createMailer(base(smtp.port));
    const err = await mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_6').then(() => null, (e: unknown) => e);
    t.ok(err, 'rejected');
    t.match(smtpError(err), /certificate/i);
    t.equal(smtp.mails.length, 0);
  });

  t.test('implicit TLS', async (t) => {
    const smtp = await startSmtp(t, { ...certs, implicitTls: true });
    const mailer = createMailer(base(smtp.port, { security: 'tls' }));
    await mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_7');
    t.equal(smtp.mails.length, 1);
  });

  t.test('STARTTLS is required: a server without it is refused', async (t) => {
    const plain = await startSmtp(t, certs);
    // smtp-server advertises STARTTLS unless hidden; hide it to play a relay without TLS.
    const smtp = await import('smtp-server');
    const server = new smtp.SMTPServer({ hideSTARTTLS: true, authOptional: true, logger: false, onData: (s, _x, cb) => { s.resume(); s.on('end', () => cb()); } });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => server.close(() => r())));
    const port = ((server as unknown as { server: import('node:net').Server }).server.address() as import('node:net').AddressInfo).port;
    const mailer = createMailer(base(port, { username: null, passwordFile: null }));
    await t.rejects(mailer.send('ops@example.com', renderAlertEmail(names, event), 'dlv_8'));
    t.equal(plain.mails.length, 0);
  });
});

t.test('syslog', async (t) => {
  const dir = tempDir(t);
  const opts = { facility: 'local0' as const, appName: 'outpost', enterpriseId: 32473, hostname: 'sat-1', procId: '-' };
  const message = formatSyslog({ ...event, vaPath: event.virtualAccount!.path }, opts);

  t.test('rsyslog receives UDP and TCP (octet-counted) messages with the structured data intact', async (t) => {
    const rs = await startRsyslog(t, dir);
    const udp = createSyslogSender(parseSyslogTarget(`udp://127.0.0.1:${rs.udpPort}`), { caFile: null, timeoutSeconds: 2 });
    const tcp = createSyslogSender(parseSyslogTarget(`tcp://127.0.0.1:${rs.tcpPort}`), { caFile: null, timeoutSeconds: 2 });
    t.teardown(() => (udp.close(), tcp.close()));
    await udp.send([message]);
    await tcp.send([message, message.replace('evt_0000000000000042', 'evt_0000000000000043')]);
    await until(() => rs.lines().length >= 3, 'three lines from rsyslog');
    const lines = rs.lines();
    for (const line of lines) {
      const [pri, app, msgid, sd, ...msg] = line.split('|');
      t.equal(pri, String(16 * 8 + 2), 'local0.crit for a critical alert');
      t.equal(app, 'outpost');
      t.equal(msgid, 'alert.raised');
      t.match(sd, /^\[outpost@32473 actor="sys\\"tem\\]\\\\" va="Default\/Eng \\"\\]\\\\" id="evt_00000000000000(42|43)"\]$/);
      t.notMatch(msg.join('|'), /[\r\n]/);
      t.match(msg.join('|'), /line one {2}Bcc/, 'CR and LF became spaces');
    }
    t.ok(lines.some((l) => l.includes('evt_0000000000000043')), 'the second framed message arrived whole');
  });

  t.test('a TCP target that is down is a failure, and the sender recovers once it is up', async (t) => {
    const port = await freePort();
    const tcp = createSyslogSender(parseSyslogTarget(`tcp://127.0.0.1:${port}`), { caFile: null, timeoutSeconds: 1 });
    t.teardown(() => tcp.close());
    await t.rejects(tcp.send([message]));
    const rs = await startRsyslog(t, tempDir(t));
    const again = createSyslogSender(parseSyslogTarget(`tcp://127.0.0.1:${rs.tcpPort}`), { caFile: null, timeoutSeconds: 1 });
    t.teardown(() => again.close());
    await again.send([message]);
    await until(() => rs.lines().length === 1, 'the message after recovery');
    await rs.stop();
    // The stream breaks when the receiver goes away: a later send fails instead of vanishing.
    let failed = false;
    for (let i = 0; i < 20 && !failed; i++) {
      failed = await again.send([message]).then(() => false, () => true);
      await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(failed, 'sending to a stopped rsyslog fails');
  });

  t.test('TLS (RFC 5425) with the CA from caFile; an untrusted certificate is refused', async (t) => {
    const certs = await makeCertificates(tempDir(t));
    const rx = await startTlsSyslog(t, certs);
    const ok = createSyslogSender(parseSyslogTarget(`tls://127.0.0.1:${rx.port}`), { caFile: certs.ca, timeoutSeconds: 2 });
    t.teardown(() => ok.close());
    await ok.send([message, message]);
    await until(() => rx.messages.length === 2, 'two TLS messages');
    t.equal(rx.messages[0], message);
    const bad = createSyslogSender(parseSyslogTarget(`tls://127.0.0.1:${rx.port}`), { caFile: null, timeoutSeconds: 2 });
    await t.rejects(bad.send([message]));
  });

  t.test('TLS to a real rsyslogd (gtls driver): the messages arrive parsed, and an untrusted server is refused', async (t) => {
    if (!rsyslogGtls()) {
      const why = 'rsyslogd has no TLS driver (lmnsd_gtls.so): install the Debian package rsyslog-gnutls';
      if (process.env.CI === 'true') return void t.fail(why);
      return void t.pass('TLS to rsyslogd', { skip: why });
    }
    const dir = tempDir(t);
    const certs = await makeCertificates(dir);
    const rs = await startRsyslogTls(t, dir, certs);
    const sender = createSyslogSender(parseSyslogTarget(`tls://127.0.0.1:${rs.port}`), { caFile: certs.ca, timeoutSeconds: 2 });
    t.teardown(() => sender.close());
    await sender.send([message, message]);
    await until(() => rs.lines().length === 2, 'two lines written by rsyslogd');
    const [pri, app, msgid, sd, msg] = rs.lines()[0]!.split('|');
    t.equal(pri, String(16 * 8 + 2), 'local0, critical: from the alert');
    t.equal(app, 'outpost');
    t.equal(msgid, 'alert.raised');
    t.match(sd, /^\[outpost@32473 actor="sys\\"tem\\]\\\\" va="Default\/Eng \\"\\]\\\\" id="evt_0000000000000042"\]$/, 'the structured data, escaped, as rsyslogd parsed it');
    t.match(msg, /Alert raised/);
    const untrusted = await makeUntrustedCertificate(tempDir(t));
    const bad = createSyslogSender(parseSyslogTarget(`tls://127.0.0.1:${rs.port}`), { caFile: untrusted.cert, timeoutSeconds: 2 });
    t.teardown(() => bad.close());
    await t.rejects(bad.send([message]), 'a server whose certificate the CA file does not vouch for is refused');
    t.equal(rs.lines().length, 2, 'and nothing arrives');
  });
});

t.test('webhooks', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const secretFile = path.join(dir, 'hook.secret');
  const secret = 'a-webhook-secret-0123456789';
  writeFileSync(secretFile, `${secret}\n`);
  const body = JSON.stringify({ ...event });
  const sender = (url: string, allowPrivate = true) => {
    const s = createWebhookSender({ url, secretFile, caFile: certs.ca, allowPrivate, timeoutSeconds: 1 });
    t.teardown(() => s.close());
    return s;
  };

  t.test('a 2xx delivers, signed, with the event type and delivery id', async (t) => {
    const rx = await startWebhookReceiver(t, certs);
    await sender(rx.url).send(body, 'alert.raised', 'dlv_00000009');
    t.equal(rx.requests.length, 1);
    const r = rx.requests[0]!;
    t.equal(r.body, body);
    t.equal(r.headers['x-outpost-event'], 'alert.raised');
    t.equal(r.headers['x-outpost-delivery'], 'dlv_00000009');
    t.equal(r.headers['x-outpost-signature'], `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
    t.notMatch(JSON.stringify(r), secret, 'the secret itself never travels');
  });

  t.test('500, a hang and a redirect are failures; the redirect is not followed', async (t) => {
    const rx = await startWebhookReceiver(t, { ...certs, mode: 'error' });
    const s = sender(rx.url);
    t.match(webhookError(await s.send(body, 'alert.raised', 'dlv_a').catch((e: unknown) => e)), /HTTP 500/);
    rx.state.mode = 'redirect';
    t.match(webhookError(await s.send(body, 'alert.raised', 'dlv_a').catch((e: unknown) => e)), /HTTP 307/);
    rx.state.mode = 'hang';
    const started = Date.now();
    t.match(webhookError(await s.send(body, 'alert.raised', 'dlv_a').catch((e: unknown) => e)), /timed out/);
    t.ok(Date.now() - started < 5000);
    t.equal(rx.requests.length, 3, 'one request each, nothing followed');
  });

  t.test('a private address is refused unless allowPrivate, checked where it connects', async (t) => {
    const rx = await startWebhookReceiver(t, certs);
    for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
      const url = rx.url.replace('127.0.0.1', host);
      const err = await sender(url, false).send(body, 'alert.raised', 'dlv_p').catch((e: unknown) => e);
      t.match(webhookError(err), host === 'localhost' ? /private address|ECONNREFUSED/ : /private address/, host);
    }
    t.equal(rx.requests.length, 0, 'nothing reached the receiver');
  });

  t.test('an untrusted certificate is a failure', async (t) => {
    const untrusted = await makeUntrustedCertificate(dir);
    const rx = await startWebhookReceiver(t, untrusted);
    await t.rejects(sender(rx.url).send(body, 'alert.raised', 'dlv_u'));
    t.equal(rx.requests.length, 0);
  });
});
