// The durable outbox (SPEC §10): every notification is a delivery record staged in the same
// writer transaction as the change that caused it, so it exists exactly when the change does.
// Senders (daemon/notify/) take pending records, send, and record the outcome through the writer.
import type { Tx } from '../../store/writer.ts';
import { keys } from '../../store/keys.ts';
import { matchesAny } from './match.ts';
import { nextAttempt } from './retry.ts';

export type Channel = 'email' | 'syslog' | 'webhook';
export const CHANNELS: readonly Channel[] = ['email', 'syslog', 'webhook'];
export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** An event as webhooks carry it and syslog formats it: the VA with its path when queued. */
export interface EventBody {
  id: string;
  type: string;
  at: string;
  actor: string;
  virtualAccount: { id: string; path: string } | null;
  details: Record<string, unknown>;
}

export type Payload =
  /** An event for syslog or one webhook. */
  | { kind: 'event'; event: EventBody }
  /** An alert email: without a target, to be fanned out to the users it concerns when sent. */
  | { kind: 'alert-email'; event: EventBody }
  /** The summary email: without a target, fanned out to every user who asked for it. */
  | { kind: 'summary-email' }
  /** `POST /api/notifications/test`. */
  | { kind: 'test'; to: string | null; by: string };

export interface Delivery {
  seq: number;
  /** The delivery id (`X-Outpost-Delivery`): the same on every attempt. */
  id: string;
  channel: Channel;
  /** webhook: its URL; email: the user id once fanned out (the address is read when sending); syslog: null. */
  target: string | null;
  payload: Payload;
  state: DeliveryState;
  attempts: number;
  queuedAt: string;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  lastError: string | null;
}

/** What config asks for: which channels are on and which events each webhook wants. */
export interface NotifyPlan {
  syslog: boolean;
  email: boolean;
  webhooks: ReadonlyArray<{ url: string; events: readonly string[] }>;
}

/** The sequence counter the writer keeps (daemon/domain/sequences.ts). */
export interface Counter {
  next(tx: Tx, name: string): number;
}

const RANK: Record<string, number> = { info: 1, warning: 2, critical: 3 };

/** Does this alert event call for an email: raised, or changed to a higher severity (SPEC §10)? */
export function wantsAlertEmail(e: { type: string; details: Record<string, unknown> }): boolean {
  if (e.type === 'alert.raised') return true;
  if (e.type !== 'alert.changed') return false;
  return (RANK[String(e.details.severity)] ?? 0) > (RANK[String(e.details.previousSeverity)] ?? 0);
}

const deliveryId = (seq: number): string => `dlv_${seq.toString(36).padStart(8, '0')}`;

/**
 * Stages deliveries in writer transactions. `onQueued` runs after the batch is durable, for the
 * senders to pick the new records up (the writer's after-commit hook).
 */
export class Outbox {
  readonly #seq: Counter;
  readonly #plan: NotifyPlan;
  readonly #onQueued: (d: Delivery) => void;

  constructor(seq: Counter, plan: NotifyPlan, onQueued: (d: Delivery) => void) {
    this.#seq = seq;
    this.#plan = plan;
    this.#onQueued = onQueued;
  }

  get plan(): NotifyPlan {
    return this.#plan;
  }

  /** Stages one delivery. */
  stage(tx: Tx, now: Date, channel: Channel, target: string | null, payload: Payload): Delivery {
    const seq = this.#seq.next(tx, 'delivery');
    const d: Delivery = {
      seq,
      id: deliveryId(seq),
      channel,
      target,
      payload,
      state: 'pending',
      attempts: 0,
      queuedAt: now.toISOString(),
      nextAttemptAt: now.toISOString(),
      lastAttemptAt: null,
      lastError: null,
    };
    tx.put(keys.delivery(seq), d);
    tx.put(keys.pendingDelivery(seq), 1);
    tx.after(() => this.#onQueued(d));
    return d;
  }

  /** Stages what an event calls for: syslog, each webhook whose patterns match it, an alert email. */
  stageEvent(tx: Tx, now: Date, event: EventBody): void {
    if (this.#plan.syslog) this.stage(tx, now, 'syslog', null, { kind: 'event', event });
    for (const w of this.#plan.webhooks) {
      if (matchesAny(w.events, event.type)) this.stage(tx, now, 'webhook', w.url, { kind: 'event', event });
    }
    if (this.#plan.email && wantsAlertEmail(event)) this.stage(tx, now, 'email', null, { kind: 'alert-email', event });
  }
}

/** The record after a successful attempt. */
export function delivered(d: Delivery, now: Date): Delivery {
  return { ...d, state: 'delivered', attempts: d.attempts + 1, lastAttemptAt: now.toISOString(), lastError: null };
}

/** The record after a failed attempt: pending with its next attempt, or failed once 24 h are up. */
export function attemptFailed(d: Delivery, now: Date, error: string, final = false): Delivery {
  const attempts = d.attempts + 1;
  const next = final ? null : nextAttempt(new Date(d.queuedAt), attempts, now);
  return {
    ...d,
    attempts,
    lastAttemptAt: now.toISOString(),
    lastError: error.slice(0, 500),
    state: next === null ? 'failed' : 'pending',
    nextAttemptAt: (next ?? now).toISOString(),
  };
}

/** Writes a delivery's new state; a finished one leaves the pending index. */
export function putDelivery(tx: Tx, d: Delivery): void {
  tx.put(keys.delivery(d.seq), d);
  if (d.state !== 'pending') tx.del(keys.pendingDelivery(d.seq));
}

/** A delivery as `GET /api/notifications/deliveries` shows it: no payload details beyond the event. */
export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    channel: d.channel,
    target: d.target,
    kind: d.payload.kind,
    eventId: d.payload.kind === 'event' || d.payload.kind === 'alert-email' ? d.payload.event.id : null,
    eventType: d.payload.kind === 'event' || d.payload.kind === 'alert-email' ? d.payload.event.type : null,
    state: d.state,
    attempts: d.attempts,
    queuedAt: d.queuedAt,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt : null,
    lastAttemptAt: d.lastAttemptAt,
    lastError: d.lastError,
  };
}
