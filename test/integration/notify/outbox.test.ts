// The outbox and its senders on a real LevelDB, against real receivers: delivery, retries with
// the same delivery id, giving up after 24 h, fan-out of alert emails resolved when sent, and
// restarts (nothing lost, nothing sent twice).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { Outbox, type Delivery, type EventBody, type Recipient } from '../../../daemon/domain/notify/index.ts';
import { Sequences } from '../../../daemon/domain/satellite/sequences.ts';
import { Dispatcher, type Drivers } from '../../../daemon/notify/dispatcher.ts';
import { createMailer } from '../../../daemon/notify/smtp.ts';
import { createSyslogSender, parseSyslogTarget } from '../../../daemon/notify/syslog.ts';
import { createWebhookSender } from '../../../daemon/notify/webhook.ts';
import { Writer, keys, prefixRange } from '../../../daemon/store/index.ts';
import { LevelStore } from '../../../daemon/store/level.ts';
import { makeCertificates, startRsyslog, startSmtp, startWebhookReceiver, until } from '../../helpers/notify.ts';
import { tempDir } from '../../helpers/tmp.ts';

const log = pino({ level: 'silent' });

const ev = (n: number, over: Partial<EventBody> = {}): EventBody => ({
  id: `evt_${String(n).padStart(16, '0')}`,
  type: 'device.registered',
  at: '2026-12-06T05:00:00.000Z',
  actor: 'device:dev_1',
  virtualAccount: { id: 'va_d', path: 'Default' },
  details: { udi: { pid: 'C9300', sn: `SN${n}` } },
  ...over,
});

t.test('outbox', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const secretFile = path.join(dir, 'hook.secret');
  writeFileSync(secretFile, 'a-webhook-secret-0123456789');
  const rs = await startRsyslog(t, dir);
  const hook = await startWebhookReceiver(t, certs);
  const smtp = await startSmtp(t, certs);
  let now = new Date('2026-12-06T05:00:00Z');
  const clock = () => now;
  const users = new Map<string, Recipient>([
    ['u_all', { id: 'u_all', username: 'all', email: 'all@example.com', notifications: { alerts: 'info', summary: true } }],
    ['u_crit', { id: 'u_crit', username: 'crit', email: 'crit@example.com', notifications: { alerts: 'critical', summary: false } }],
    ['u_eng', { id: 'u_eng', username: 'eng', email: 'eng@example.com', notifications: { alerts: 'info', summary: false } }],
    ['u_off', { id: 'u_off', username: 'off', email: 'off@example.com', notifications: { alerts: 'off', summary: false } }],
  ]);
  const plan = { syslog: true, email: true, webhooks: [{ url: hook.url, events: ['alert.*', 'device.*'] }] };

  /** One satellite life: store, writer, outbox, dispatcher; `start` false leaves the senders off. */
  async function life(tt: typeof t, start = true) {
    const store = new LevelStore(path.join(dir, 'db'));
    await store.open();
    const writer = new Writer(store, { queueLimit: 1000 });
    const seq = await Sequences.load(store);
    const drivers: Drivers = {
      mailer: createMailer({ host: '127.0.0.1', port: smtp.port, security: 'starttls', username: null, passwordFile: null, caFile: certs.ca, from: 'outpost@example.com', timeoutSeconds: 2 }),
      syslog: { sender: createSyslogSender(parseSyslogTarget(`tcp://127.0.0.1:${rs.tcpPort}`), { caFile: null, timeoutSeconds: 2 }), options: { facility: 'local0', appName: 'outpost', enterpriseId: 32473, hostname: 'sat-1', procId: '-' } },
      webhooks: new Map([[hook.url, createWebhookSender({ url: hook.url, secretFile, caFile: certs.ca, allowPrivate: true, timeoutSeconds: 5 })]]),
    };
    let dispatcher: Dispatcher | null = null;
    const outbox = new Outbox(seq, plan, (d) => dispatcher?.queued(d));
    dispatcher = new Dispatcher({
      store, writer, clock, log, outbox, drivers,
      audience: {
        users: () => [...users.values()],
        user: (id) => users.get(id),
        reads: (id, va) => id !== 'u_eng' || va === 'va_eng',
        names: () => ({ account: 'Acme', satellite: 'sat-1' }),
        summaryFor: () => { throw new Error('not in this test'); },
      },
    });
    if (start) await dispatcher.open();
    const stage = (events: EventBody[]) => writer.run((tx) => { for (const e of events) outbox.stageEvent(tx, now, e); });
    const records = async () => {
      const out: Delivery[] = [];
      for await (const [, d] of store.iterate<Delivery>(prefixRange(keys.deliveryPrefix))) out.push(d);
      return out;
    };
    let ended = false;
    const end = async () => {
      if (ended) return;
      ended = true;
      await dispatcher!.close();
      await writer.close();
      await store.close();
    };
    tt.teardown(end);
    return { store, writer, dispatcher, outbox, stage, records, end };
  }

  t.test('events go to syslog and the matching webhook, and are recorded delivered', async (t) => {
    const l = await life(t);
    await l.stage([ev(1), ev(2), ev(3, { type: 'user.login', virtualAccount: null })]);
    await until(() => l.dispatcher.pendingCount() === 0, 'the outbox to drain');
    const recs = await l.records();
    t.equal(recs.filter((d) => d.channel === 'syslog').length, 3);
    t.equal(recs.filter((d) => d.channel === 'webhook').length, 2, 'user.login matches no pattern');
    t.ok(recs.every((d) => d.state === 'delivered'));
    await until(() => rs.lines().length === 3, 'three syslog lines');
    t.equal(hook.requests.length, 2);
    t.same(new Set(hook.requests.map((r) => r.headers['x-outpost-delivery'])), new Set(recs.filter((d) => d.channel === 'webhook').map((d) => d.id)));
    t.equal((await l.store.iterate(prefixRange(keys.pendingDeliveryPrefix))[Symbol.asyncIterator]().next()).done, true, 'no pending index left');
    await l.end();
  });

  t.test('a failing webhook is retried later with the same delivery id, then given up after 24 h', async (t) => {
    hook.requests.length = 0;
    hook.state.mode = 'error';
    const l = await life(t);
    await l.stage([ev(10)]);
    await until(() => hook.requests.length === 1, 'the first attempt');
    const mine = (x: Delivery) => x.channel === 'webhook' && x.payload.kind === 'event' && x.payload.event.id === ev(10).id;
    await until(async () => (await l.records()).some((x) => mine(x) && x.attempts === 1), 'the failure recorded');
    let d = (await l.records()).find(mine)!;
    t.equal(d.lastError, 'HTTP 500');
    t.equal(d.nextAttemptAt, new Date(now.getTime() + 10_000).toISOString(), 'first retry after 10 s');
    now = new Date(now.getTime() + 10_000);
    l.dispatcher.kick('webhook');
    await until(() => hook.requests.length === 2, 'the retry');
    t.equal(hook.requests[1]!.headers['x-outpost-delivery'], hook.requests[0]!.headers['x-outpost-delivery'], 'same delivery id');
    await until(async () => (await l.records()).some((x) => x.id === d.id && x.attempts === 2), 'second failure recorded');
    // 16 minutes of failing: the channel's notify-failing alert is a warning.
    now = new Date(now.getTime() + 16 * 60_000);
    t.match(l.dispatcher.failing(now), [{ type: 'notify-failing', severity: 'warning', subject: { kind: 'channel', id: `webhook ${hook.url}` } }]);
    // A day later: given up, `failed`, and the alert is critical.
    now = new Date(Date.parse(d.queuedAt) + 24 * 3_600_000);
    l.dispatcher.kick('webhook');
    await until(async () => (await l.records()).some((x) => x.id === d.id && x.state === 'failed'), 'given up');
    d = (await l.records()).find((x) => x.id === d.id)!;
    t.equal(d.lastError, 'HTTP 500');
    t.match(l.dispatcher.failing(now), [{ severity: 'critical' }]);
    // A success clears it.
    hook.state.mode = 'ok';
    await l.stage([ev(11)]);
    await until(() => l.dispatcher.pendingCount() === 0, 'drained');
    t.same(l.dispatcher.failing(now), []);
    await l.end();
  });

  t.test('deliveries queued before a restart are sent after it, once', async (t) => {
    hook.requests.length = 0;
    // Counted by event id: rsyslogd may still be writing the lines of the test before.
    const mine = () => rs.lines().filter((l) => l.includes(ev(20).id) || l.includes(ev(21).id)).length;
    const a = await life(t, false);
    await a.stage([ev(20), ev(21)]);
    await a.end(); // stopped before sending: they wait in the store
    t.equal(hook.requests.length, 0);
    const b = await life(t);
    await until(() => b.dispatcher.pendingCount() === 0 && hook.requests.length === 2, 'both after the restart');
    await until(() => mine() === 2, 'syslog too');
    await b.end();
    const c = await life(t);
    await new Promise((r) => setTimeout(r, 300));
    t.equal(hook.requests.length, 2, 'a second restart sends nothing again');
    t.equal(mine(), 2);
    await c.end();
  });

  t.test('alert emails: raised or rising only, to users whose level and roles admit it, at the address they have when sent', async (t) => {
    const alert = (n: number, type: string, severity: string, va: { id: string; path: string } | null, previousSeverity?: string) =>
      ev(n, { type, actor: 'system', virtualAccount: va, details: { alert: 'insufficient', severity, entitlement: 'x', message: `Short of x (${n})`, previousSeverity } });
    const a = await life(t, false);
    await a.stage([
      alert(30, 'alert.raised', 'warning', { id: 'va_d', path: 'Default' }),
      alert(31, 'alert.changed', 'critical', { id: 'va_eng', path: 'Default/Eng' }, 'warning'),
      alert(32, 'alert.changed', 'info', { id: 'va_d', path: 'Default' }, 'warning'),
      alert(33, 'alert.cleared', 'critical', { id: 'va_d', path: 'Default' }),
    ]);
    await a.end();
    // Changed while queued: the email goes to the new address.
    users.get('u_all')!.email = 'new-all@example.com';
    smtp.mails.length = 0;
    const b = await life(t);
    await until(() => b.dispatcher.pendingCount() === 0 && smtp.mails.length === 4, 'four emails');
    const got = smtp.mails.map((m) => `${m.to[0]} ${/Short of x \((\d+)\)/.exec(m.raw)?.[1]}`).sort();
    t.same(got, ['crit@example.com 31', 'eng@example.com 31', 'new-all@example.com 30', 'new-all@example.com 31']);
    const emailRecords = (await b.records()).filter((d) => d.channel === 'email');
    t.notOk(emailRecords.some((d) => d.payload.kind === 'alert-email' && ['alert.cleared'].includes(d.payload.event.type)), 'nothing for a clearing');
    t.notOk(emailRecords.some((d) => d.payload.kind === 'alert-email' && d.payload.event.id.endsWith('32')), 'nothing for a falling severity');
    await new Promise((r) => setTimeout(r, 200));
    t.equal(smtp.mails.length, 4, 'once each');
    await b.end();
  });
});
