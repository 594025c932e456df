// The senders (SPEC §10): one loop per channel takes the due pending deliveries of the outbox,
// sends them and records each outcome through the writer. At least once: a crash between
// sending and recording sends that delivery again, with the same delivery id. Alert and summary
// emails queued without a recipient are fanned out here, to the users who want them at the
// moment of sending (roles, levels and addresses as they are now, not when queued).
import type { Logger } from 'pino';
import {
  alertRecipients,
  admits,
  attemptFailed,
  delivered,
  formatSyslog,
  putDelivery,
  renderAlertEmail,
  renderSummaryEmail,
  renderTestEmail,
  summaryRecipients,
  type Channel,
  type Delivery,
  type EventBody,
  type Names,
  type Outbox,
  type Recipient,
  type Reads,
  type Summary,
  type SyslogOptions,
} from '../domain/notify/index.ts';
import { keys } from '../store/keys.ts';
import { prefixRange, type Store } from '../store/port.ts';
import type { Tx } from '../store/writer.ts';
import type { Mailer } from './smtp.ts';
import { smtpError } from './smtp.ts';
import type { SyslogSender } from './syslog.ts';
import { webhookError, type WebhookSender } from './webhook.ts';

export interface Drivers {
  mailer: Mailer | null;
  syslog: { sender: SyslogSender; options: SyslogOptions } | null;
  /** By URL, as config lists them. */
  webhooks: ReadonlyMap<string, WebhookSender>;
}

/** What the senders read about people and the satellite, at the moment of sending. */
export interface Audience {
  users(): Recipient[];
  user(id: string): Recipient | undefined;
  reads: Reads;
  names(): Names;
  /** The summary as this user may see it. */
  summaryFor(userId: string): Promise<Summary>;
}

export interface DispatcherDeps {
  store: Store;
  writer: { run<T>(fn: (tx: Tx) => T | Promise<T>): Promise<Awaited<T>> };
  clock: () => Date;
  log: Logger;
  outbox: Outbox;
  drivers: Drivers;
  audience: Audience;
  /** Counts each attempt's result (outpost_notifications_total). */
  count?(channel: Channel, result: 'delivered' | 'retry' | 'failed'): void;
}

/** A channel failing this long without a success raises `notify-failing` (warning). */
export const FAILING_AFTER_MS = 15 * 60_000;

const BATCH: Record<Channel, number> = { syslog: 500, webhook: 32, email: 20 };

interface Streak {
  /** First failure since the last success. */
  since: Date | null;
  /** A delivery was given up (24 h) since the last success. */
  gaveUp: boolean;
  lastError: string | null;
}

/** One outcome: the delivery's new record, and deliveries to stage with it (a fan-out). */
interface Outcome {
  next: Delivery;
  fanOut?: Array<{ target: string; payload: Delivery['payload'] }>;
}

export class Dispatcher {
  readonly #d: DispatcherDeps;
  readonly #pending: Record<Channel, Map<number, Delivery>> = { email: new Map(), syslog: new Map(), webhook: new Map() };
  readonly #running: Record<Channel, Promise<void> | null> = { email: null, syslog: null, webhook: null };
  readonly #again: Record<Channel, boolean> = { email: false, syslog: false, webhook: false };
  readonly #timers: Record<Channel, NodeJS.Timeout | null> = { email: null, syslog: null, webhook: null };
  readonly #streaks = new Map<string, Streak>();
  #open = false;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
  }

  /** Loads the pending deliveries (those a restart or kill left) and starts sending. */
  async open(): Promise<void> {
    for await (const [key] of this.#d.store.iterate(prefixRange(keys.pendingDeliveryPrefix, { values: false }))) {
      const seq = Number(key.slice(keys.pendingDeliveryPrefix.length));
      const d = await this.#d.store.get<Delivery>(keys.delivery(seq));
      if (d && d.state === 'pending') this.#pending[d.channel].set(d.seq, d);
    }
    this.#open = true;
    for (const c of Object.keys(this.#pending) as Channel[]) this.kick(c);
  }

  /** The outbox's after-commit hook: a delivery was queued. */
  queued(d: Delivery): void {
    this.#pending[d.channel].set(d.seq, d);
    if (this.#open) this.kick(d.channel);
  }

  /** Sends what is due on `channel` now (after the clock moved, or a receiver came back). */
  kick(channel: Channel): void {
    if (!this.#open) return;
    if (this.#running[channel]) {
      this.#again[channel] = true;
      return;
    }
    const t = this.#timers[channel];
    if (t) clearTimeout(t);
    this.#timers[channel] = null;
    this.#running[channel] = this.#drain(channel)
      .catch((err: unknown) => this.#d.log.error({ err, channel }, 'notify: sender failed'))
      .finally(() => {
        this.#running[channel] = null;
        if (this.#again[channel]) {
          this.#again[channel] = false;
          this.kick(channel);
        }
      });
  }

  kickAll(): void {
    for (const c of Object.keys(this.#pending) as Channel[]) this.kick(c);
  }

  /** Deliveries not yet delivered or failed, per channel. */
  pendingCount(): number {
    return this.#pending.email.size + this.#pending.syslog.size + this.#pending.webhook.size;
  }

  /** Stops the loops (what is in flight finishes and is recorded) and closes the drivers. */
  async close(): Promise<void> {
    this.#open = false;
    for (const c of Object.keys(this.#timers) as Channel[]) {
      const t = this.#timers[c];
      if (t) clearTimeout(t);
    }
    await Promise.all(Object.values(this.#running));
    this.#d.drivers.mailer?.close();
    this.#d.drivers.syslog?.sender.close();
    await Promise.all([...this.#d.drivers.webhooks.values()].map((w) => w.close()));
  }

  /** `notify-failing` alerts (SPEC §10): channels failing for 15 minutes, or that gave a delivery up. */
  failing(now: Date): Array<{ type: 'notify-failing'; severity: 'warning' | 'critical'; vaId: null; entitlement: null; since: string; message: string; subject: { kind: 'channel'; id: string } }> {
    const out = [];
    for (const [id, s] of this.#streaks) {
      if (s.since === null) continue;
      if (!s.gaveUp && now.getTime() - s.since.getTime() < FAILING_AFTER_MS) continue;
      out.push({
        type: 'notify-failing' as const,
        severity: s.gaveUp ? ('critical' as const) : ('warning' as const),
        vaId: null,
        entitlement: null,
        since: s.since.toISOString(),
        message: s.gaveUp
          ? `Notifications by ${id} failed for 24 hours and some were given up: ${s.lastError ?? ''}`
          : `Notifications by ${id} have been failing since ${s.since.toISOString()}: ${s.lastError ?? ''}`,
        subject: { kind: 'channel' as const, id },
      });
    }
    return out;
  }

  async #drain(channel: Channel): Promise<void> {
    while (this.#open) {
      const now = this.#d.clock();
      const due = this.#due(channel, now.getTime());
      if (due.length === 0) {
        this.#sleep(channel, now);
        return;
      }
      const outcomes = await this.#send(channel, due, now);
      await this.#d.writer.run((tx) => {
        for (const o of outcomes) {
          putDelivery(tx, o.next);
          for (const f of o.fanOut ?? []) this.#d.outbox.stage(tx, now, 'email', f.target, f.payload);
        }
      });
      for (const o of outcomes) {
        const d = o.next;
        if (d.state === 'pending') this.#pending[channel].set(d.seq, d);
        else this.#pending[channel].delete(d.seq);
        this.#d.count?.(channel, d.state === 'delivered' ? 'delivered' : d.state === 'failed' ? 'failed' : 'retry');
        if (d.state === 'failed') this.#d.log.warn({ channel, delivery: d.id, error: d.lastError }, 'notify: delivery given up after 24 h');
      }
    }
  }

  /**
   * The first deliveries due at `now`, oldest first, up to a batch. The map holds them in queue
   * order (loaded in key order, then added as each batch commits; a retry keeps its place), so
   * this walks only as far as a batch and the waiting retries before it: no sort of a backlog
   * of thousands for every batch of 32 sent.
   */
  #due(channel: Channel, now: number): Delivery[] {
    const out: Delivery[] = [];
    for (const d of this.#pending[channel].values()) {
      if (Date.parse(d.nextAttemptAt) <= now) out.push(d);
      if (out.length === BATCH[channel]) break;
    }
    return out;
  }

  /** Wakes the loop when the earliest pending delivery falls due. */
  #sleep(channel: Channel, now: Date): void {
    let earliest = Infinity;
    for (const d of this.#pending[channel].values()) earliest = Math.min(earliest, Date.parse(d.nextAttemptAt));
    if (earliest === Infinity || !this.#open) return;
    const wait = Math.min(Math.max(earliest - now.getTime(), 50), 3_600_000);
    this.#timers[channel] = setTimeout(() => {
      this.#timers[channel] = null;
      this.kick(channel);
    }, wait);
  }

  #streak(id: string): Streak {
    let s = this.#streaks.get(id);
    if (!s) this.#streaks.set(id, (s = { since: null, gaveUp: false, lastError: null }));
    return s;
  }

  #succeeded(id: string): void {
    this.#streaks.delete(id);
  }

  #failed(id: string, now: Date, error: string, gaveUp: boolean): void {
    const s = this.#streak(id);
    s.since ??= now;
    s.lastError = error;
    if (gaveUp) s.gaveUp = true;
  }

  #fail(streakId: string, d: Delivery, now: Date, error: string, final = false): Outcome {
    const next = attemptFailed(d, now, error, final);
    this.#failed(streakId, now, error, next.state === 'failed');
    return { next };
  }

  async #send(channel: Channel, due: Delivery[], now: Date): Promise<Outcome[]> {
    if (channel === 'syslog') return this.#sendSyslog(due, now);
    const out: Outcome[] = [];
    if (channel === 'webhook') {
      // A few at a time: one slow receiver does not hold the others for long.
      for (let i = 0; i < due.length; i += 4) out.push(...(await Promise.all(due.slice(i, i + 4).map((d) => this.#sendWebhook(d, now)))));
      return out;
    }
    for (const d of due) out.push(await this.#sendEmail(d, now));
    return out;
  }

  async #sendSyslog(due: Delivery[], now: Date): Promise<Outcome[]> {
    const driver = this.#d.drivers.syslog;
    if (!driver) return due.map((d) => this.#fail('syslog', d, now, 'syslog is no longer configured', true));
    const messages = due.map((d) => formatSyslog(eventText(eventOf(d)), driver.options));
    try {
      await driver.sender.send(messages);
      this.#succeeded('syslog');
      return due.map((d) => ({ next: delivered(d, now) }));
    } catch (err) {
      const e = `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message ?? String(err)}`.trim().slice(0, 300);
      return due.map((d) => this.#fail('syslog', d, now, e));
    }
  }

  async #sendWebhook(d: Delivery, now: Date): Promise<Outcome> {
    const id = `webhook ${d.target ?? ''}`;
    const sender = d.target === null ? undefined : this.#d.drivers.webhooks.get(d.target);
    if (!sender) return this.#fail(id, d, now, 'this webhook is no longer configured', true);
    const event = eventOf(d);
    const body = JSON.stringify({ id: event.id, type: event.type, at: event.at, actor: event.actor, virtualAccount: event.virtualAccount, details: event.details });
    try {
      await sender.send(body, event.type, d.id);
      this.#succeeded(id);
      return { next: delivered(d, now) };
    } catch (err) {
      return this.#fail(id, d, now, webhookError(err));
    }
  }

  async #sendEmail(d: Delivery, now: Date): Promise<Outcome> {
    const mailer = this.#d.drivers.mailer;
    if (!mailer) return this.#fail('email', d, now, 'email is not configured', true);
    const a = this.#d.audience;
    const p = d.payload;
    if (d.target === null && p.kind === 'alert-email') {
      const vaId = p.event.virtualAccount?.id ?? null;
      const to = alertRecipients(a.users(), { severity: String(p.event.details.severity), vaId }, a.reads);
      return { next: delivered(d, now), fanOut: to.map((u) => ({ target: u.id, payload: p })) };
    }
    if (d.target === null && p.kind === 'summary-email') {
      return { next: delivered(d, now), fanOut: summaryRecipients(a.users()).map((u) => ({ target: u.id, payload: p })) };
    }
    let address: string;
    let mail;
    if (p.kind === 'test') {
      address = p.to ?? (d.target ? (a.user(d.target)?.email ?? '') : '');
      if (address === '') return this.#fail('email', d, now, 'no address to send the test to', true);
      mail = renderTestEmail(a.names(), p.by);
    } else {
      const user = d.target === null ? undefined : a.user(d.target);
      // Resolved now: a user deleted, without an address, or who may no longer see it gets nothing.
      if (!user || user.email === null) return { next: { ...delivered(d, now), lastError: 'skipped: the user has no address now' } };
      if (p.kind === 'alert-email') {
        const vaId = p.event.virtualAccount?.id ?? null;
        if (!admits(user.notifications.alerts, String(p.event.details.severity)) || !a.reads(user.id, vaId)) {
          return { next: { ...delivered(d, now), lastError: 'skipped: the user no longer receives this alert' } };
        }
        mail = renderAlertEmail(a.names(), p.event);
      } else if (p.kind === 'summary-email') {
        if (!user.notifications.summary) return { next: { ...delivered(d, now), lastError: 'skipped: the user turned the summary off' } };
        mail = renderSummaryEmail(a.names(), await a.summaryFor(user.id));
      } else {
        return this.#fail('email', d, now, `not an email: ${p.kind}`, true);
      }
      address = user.email;
    }
    try {
      await mailer.send(address, mail, d.id);
      this.#succeeded('email');
      return { next: delivered(d, now) };
    } catch (err) {
      return this.#fail('email', d, now, smtpError(err));
    }
  }
}

/** The event a syslog or webhook delivery carries (a test makes one up). */
function eventOf(d: Delivery): EventBody {
  const p = d.payload;
  if (p.kind === 'event' || p.kind === 'alert-email') return p.event;
  return { id: d.id, type: 'notify.test', at: d.queuedAt, actor: p.kind === 'test' ? p.by : 'system', virtualAccount: null, details: {} };
}

const eventText = (e: EventBody) => ({ ...e, vaPath: e.virtualAccount?.path ?? null });
