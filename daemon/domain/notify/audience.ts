// Who receives what (SPEC §10): a user's alert level and summary choice, within what their roles
// let them see, resolved when a message is sent (roles or address may have changed since queued).
import { z } from 'zod';

export type AlertLevel = 'off' | 'critical' | 'warning' | 'info';
export const ALERT_LEVELS: readonly AlertLevel[] = ['off', 'critical', 'warning', 'info'];

export interface NotificationPrefs {
  alerts: AlertLevel;
  summary: boolean;
}

export const DEFAULT_PREFS: NotificationPrefs = { alerts: 'off', summary: false };

/** One address: no CR, LF or comma (one recipient, no header injection), a plausible mailbox. */
export const emailAddress = z
  .string()
  .max(254)
  .refine((s) => !/[\r\n,]/.test(s), 'one address, without CR, LF or comma')
  .pipe(z.email());

export const prefsPatch = z.strictObject({
  alerts: z.enum(['off', 'critical', 'warning', 'info']).optional(),
  summary: z.boolean().optional(),
});

/** A user as notifications need them. */
export interface Recipient {
  id: string;
  username: string;
  email: string | null;
  notifications: NotificationPrefs;
}

/** May the user read alerts and pools of `vaId` (null: the satellite as a whole)? Built from the role table. */
export type Reads = (userId: string, vaId: string | null) => boolean;

const LEVEL: Record<AlertLevel, number> = { off: 0, critical: 1, warning: 2, info: 3 };
const SEVERITY: Record<string, number> = { critical: 1, warning: 2, info: 3 };

/** Does a user's level admit an alert of `severity`? (`warning` admits warning and critical.) */
export const admits = (level: AlertLevel, severity: string): boolean =>
  LEVEL[level] > 0 && (SEVERITY[severity] ?? 99) <= LEVEL[level];

/** The users who get an email for an alert of `severity` in `vaId`. */
export function alertRecipients(users: readonly Recipient[], alert: { severity: string; vaId: string | null }, reads: Reads): Recipient[] {
  return users.filter((u) => u.email !== null && admits(u.notifications.alerts, alert.severity) && reads(u.id, alert.vaId));
}

/** The users who get the summary email. */
export const summaryRecipients = (users: readonly Recipient[]): Recipient[] =>
  users.filter((u) => u.email !== null && u.notifications.summary);
