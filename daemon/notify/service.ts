// Notifications, assembled (SPEC §10): the outbox events are staged into, the senders for each
// configured channel, the summary per reader, the deliveries list and test sends. Built by
// daemon/services.ts; its `onEvent` is the DomainContext's, so every event writes its
// notifications in its own batch.
import os from 'node:os';
import type { Logger } from 'pino';
import type { FrozenConfig } from '../config/index.ts';
import { alertView, collectAlerts, type Alert, type AlertSource } from '../domain/alerts/alerts.ts';
import type { Access, Principal } from '../domain/access/roles.ts';
import { prefsOf } from '../domain/access/users.ts';
import type { Licensing } from '../domain/licenses/workspace/index.ts';
import {
  buildSummary,
  deliveryView,
  Outbox,
  type Channel,
  type Delivery,
  type EventBody,
  type Recipient,
  type Summary,
} from '../domain/notify/index.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import type { EventRecord, UserRecord } from '../domain/satellite/records.ts';
import { daysUntilLapse } from '../domain/satellite/status.ts';
import { silentDevices } from '../domain/devices/device-index.ts';
import { SILENT_AFTER_DAYS } from '../domain/notify/summary.ts';
import { OutpostError } from '../errors.ts';
import { keys } from '../store/keys.ts';
import { Dispatcher, type Drivers } from './dispatcher.ts';
import { createMailer } from './smtp.ts';
import { createSyslogSender, parseSyslogTarget } from './syslog.ts';
import { createWebhookSender, type WebhookSender } from './webhook.ts';

export type DeliveryView = ReturnType<typeof deliveryView>;

export interface Notifications {
  /** Stages what an event calls for, in the event's transaction (DomainContext.onEvent). */
  onEvent(tx: import('../store/writer.ts').Tx, event: EventRecord, now: Date): void;
  open(): Promise<void>;
  close(): Promise<void>;
  /** `notify-failing` alerts. */
  alertSource: AlertSource;
  /** The summary (SPEC §10) as `p` may see it. */
  summary(p: Principal): Promise<Summary>;
  /** Queues the summary email (the job on notify.summary.schedule); false when email is off. */
  queueSummary(): Promise<boolean>;
  /** Deliveries, newest first. */
  deliveries(limit: number, cursor: string | null): Promise<{ items: DeliveryView[]; next: string | null }>;
  /** Queues a test on `channel` (every webhook for `webhook`). */
  test(channel: Channel, to: string | null, p: Principal, actor: string): Promise<DeliveryView[]>;
  /** Deliveries still pending (the bench waits for 0). */
  pending(): number;
  /** Sends what is due now on every channel (after the clock moved; tests). */
  kickAll(): void;
}

export interface NotifyDeps {
  ctx: DomainContext;
  log: Logger;
  access: Access;
  licensing: Licensing;
  /** Every alert source but this service's own. */
  alertSources: () => readonly AlertSource[];
  /** GET /api/sync's answer. */
  syncStatus: () => Record<string, unknown>;
  count?: (channel: Channel, result: 'delivered' | 'retry' | 'failed') => void;
}

const recipient = (u: UserRecord): Recipient => ({ id: u.id, username: u.username, ...prefsOf(u) });

export function createNotifications(deps: NotifyDeps): Notifications {
  const { ctx, log, access } = deps;
  const { state, config } = ctx;
  const n = config.notify;

  const drivers = buildDrivers(config, log);
  let dispatcher: Dispatcher | null = null;
  const outbox = new Outbox(
    ctx.seq,
    { syslog: drivers.syslog !== null, email: drivers.mailer !== null, webhooks: n.webhooks.map((w) => ({ url: w.url, events: w.events })) },
    (d) => dispatcher?.queued(d),
  );

  const principalOf = (u: UserRecord): Principal => ({ kind: 'user', user: u });
  const reads = (userId: string, vaId: string | null): boolean => {
    const u = state.users.get(userId);
    if (!u) return false;
    return vaId === null ? access.mayAtAll(principalOf(u), 'license.read') : access.may(principalOf(u), 'license.read', vaId);
  };
  const names = () => ({ account: state.account.name, satellite: state.satellite.name });

  const summaryFor = async (p: Principal): Promise<Summary> => {
    const now = ctx.clock();
    const scope = access.scope(p, 'license.read');
    // Silent devices per VA from the last-report index: a walk over the silent ones only.
    const silentByVa = new Map<string, number>();
    const cutoff = now.getTime() - SILENT_AFTER_DAYS * 86_400_000;
    for (const vaId of state.vas.keys()) {
      if (scope !== null && !scope.has(vaId)) continue;
      let n = 0;
      for await (const chunk of silentDevices(ctx.store, cutoff, vaId)) n += chunk.length;
      if (n > 0) silentByVa.set(vaId, n);
    }
    const all: Alert[] = collectAlerts([...deps.alertSources(), self], now);
    const vas = [...state.vas.keys()].map((id) => state.vaRef(id)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return buildSummary(
      {
        now,
        satellite: { id: state.satellite.id, name: state.satellite.name },
        registration: state.satellite.registration,
        daysUntilLapse: daysUntilLapse(ctx, now),
        lastCloudContact: state.satellite.lastCloudContact,
        sync: deps.syncStatus(),
        vas,
        pools: deps.licensing.pools(now, scope).flatMap((pool) => (pool.vaId === null ? [] : [{ ...pool, vaId: pool.vaId }])),
        holdings: deps.licensing.holdings(),
        devices: [],
        silentByVa,
        alerts: all.map((a) => ({ ...alertView(state, a), vaId: a.vaId })),
      },
      scope,
    );
  };

  const self: AlertSource = (now) => dispatcher?.failing(now) ?? [];

  dispatcher = new Dispatcher({
    store: ctx.store,
    writer: ctx.writer,
    clock: ctx.clock,
    log,
    outbox,
    drivers,
    ...(deps.count ? { count: deps.count } : {}),
    audience: {
      users: () => [...state.users.values()].map(recipient),
      user: (id) => {
        const u = state.users.get(id);
        return u ? recipient(u) : undefined;
      },
      reads,
      names,
      summaryFor: (userId) => {
        const u = state.users.get(userId);
        if (!u) throw new TypeError(`no user ${userId}`);
        return summaryFor(principalOf(u));
      },
    },
  });
  const d = dispatcher;

  const bodyOf = (e: EventRecord): EventBody => ({
    id: e.id,
    type: e.type,
    at: e.at,
    actor: e.actor,
    // A VA created in this very transaction is not in memory yet: its event names the path.
    virtualAccount: e.vaId === null ? null : { id: e.vaId, path: state.vas.has(e.vaId) ? state.vaPath(e.vaId) : String(e.details.path ?? '') },
    details: e.details,
  });

  return {
    onEvent(tx, event, now) {
      outbox.stageEvent(tx, now, bodyOf(event));
    },
    open: () => d.open(),
    close: () => d.close(),
    alertSource: self,
    summary: summaryFor,
    async queueSummary() {
      if (drivers.mailer === null) return false;
      const now = ctx.clock();
      await ctx.writer.run((tx) => void outbox.stage(tx, now, 'email', null, { kind: 'summary-email' }));
      return true;
    },
    async deliveries(limit, cursor) {
      const items: DeliveryView[] = [];
      const range = { gte: keys.deliveryPrefix, lt: cursor === null ? `${keys.deliveryPrefix}\uffff` : keys.delivery(Number(cursor)), reverse: true, limit: limit + 1 };
      let last: Delivery | null = null;
      for await (const [, rec] of ctx.store.iterate<Delivery>(range)) {
        if (items.length === limit) return { items, next: String(last!.seq) };
        items.push(deliveryView(rec));
        last = rec;
      }
      return { items, next: null };
    },
    async test(channel, to, p, actor) {
      const now = ctx.clock();
      let targets: Array<string | null>;
      if (channel === 'email') {
        if (drivers.mailer === null) throw new OutpostError('NOTIFY_NOT_CONFIGURED', 'Email is not configured (notify.email.smtp.host).');
        const own = p.kind === 'user' ? prefsOf(p.user).email : null;
        if (to === null && own === null) throw new OutpostError('NOTIFY_NOT_CONFIGURED', 'Give "to", or set your own email address first.');
        targets = [null];
        to ??= own;
      } else if (channel === 'syslog') {
        if (drivers.syslog === null) throw new OutpostError('NOTIFY_NOT_CONFIGURED', 'Syslog is not configured (notify.syslog.target).');
        targets = [null];
      } else {
        if (drivers.webhooks.size === 0) throw new OutpostError('NOTIFY_NOT_CONFIGURED', 'No webhook is configured (notify.webhooks).');
        targets = [...drivers.webhooks.keys()];
      }
      const staged = await ctx.writer.run((tx) => targets.map((target) => outbox.stage(tx, now, channel, target, { kind: 'test', to: channel === 'email' ? to : null, by: actor })));
      return staged.map(deliveryView);
    },
    pending: () => d.pendingCount(),
    kickAll: () => d.kickAll(),
  };
}

/** The senders config asks for; a secret file that cannot be read stops the start with its name. */
function buildDrivers(config: FrozenConfig, log: Logger): Drivers {
  const n = config.notify;
  const smtp = n.email.smtp;
  const mailer =
    smtp.host !== null && n.email.from !== null
      ? createMailer({ host: smtp.host, port: smtp.port, security: smtp.security, username: smtp.username, passwordFile: smtp.passwordFile, caFile: smtp.caFile, from: n.email.from, timeoutSeconds: n.timeoutSeconds })
      : null;
  const syslog =
    n.syslog.target === null
      ? null
      : {
          sender: createSyslogSender(parseSyslogTarget(n.syslog.target), { caFile: n.syslog.caFile, timeoutSeconds: n.timeoutSeconds }),
          options: { facility: n.syslog.facility, appName: n.syslog.appName, enterpriseId: n.syslog.enterpriseId, hostname: os.hostname(), procId: String(process.pid) },
        };
  const webhooks = new Map<string, WebhookSender>();
  for (const w of n.webhooks) {
    webhooks.set(w.url, createWebhookSender({ url: w.url, secretFile: w.secretFile, caFile: w.caFile, allowPrivate: w.allowPrivate, timeoutSeconds: n.timeoutSeconds }));
  }
  log.info({ email: mailer !== null, syslog: n.syslog.target, webhooks: n.webhooks.length }, 'notifications configured');
  return { mailer, syslog, webhooks };
}

