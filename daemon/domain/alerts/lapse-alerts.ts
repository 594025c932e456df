// `lapse-approaching` (SPEC §7): info, then warning, then critical at the `lapse.warnDays`
// marks before the one-year rule lapses the registration; critical once it has lapsed.
import { DAY_MS } from '../satellite/clock.ts';
import type { DomainContext } from '../satellite/context.ts';
import { lapseDeadline } from '../satellite/lapse.ts';
import type { AlertView, Severity } from './alerts.ts';

/** The warn marks, largest first, each with its severity: info, then warning, critical last. */
export function warnLevels(warnDays: readonly number[]): Array<{ days: number; severity: Severity }> {
  const sorted = [...new Set(warnDays)].sort((a, b) => b - a);
  return sorted.map((days, i) => ({
    days,
    severity: sorted.length > 1 && i === sorted.length - 1 ? 'critical' : i === 0 ? 'info' : 'warning',
  }));
}

export function lapseAlerts(ctx: DomainContext, now: Date): AlertView[] {
  const { registration, lastCloudContact } = ctx.state.satellite;
  if (registration === 'lapsed') {
    return [
      {
        type: 'lapse-approaching',
        severity: 'critical',
        virtualAccount: null,
        entitlement: null,
        since: lastCloudContact ? new Date(Date.parse(lastCloudContact) + ctx.config.lapse.days * DAY_MS).toISOString() : now.toISOString(),
        message: 'The registration has lapsed: every device was deregistered and the device API is refused. Register with the cloud again to restore service.',
      },
    ];
  }
  const deadline = lapseDeadline(ctx);
  if (!deadline) return [];
  const leftMs = deadline.getTime() - now.getTime();
  const daysLeft = Math.max(0, Math.floor(leftMs / DAY_MS));
  // The smallest mark still ahead of the time left sets the severity.
  const level = warnLevels(ctx.config.lapse.warnDays).filter((l) => leftMs <= l.days * DAY_MS).at(-1);
  if (!level) return [];
  return [
    {
      type: 'lapse-approaching',
      severity: level.severity,
      virtualAccount: null,
      entitlement: null,
      since: new Date(deadline.getTime() - level.days * DAY_MS).toISOString(),
      message: `The registration lapses in ${daysLeft} ${daysLeft === 1 ? 'day' : 'days'} (on ${deadline.toISOString().slice(0, 10)}) unless the satellite reaches the cloud: sync, or import a cloud response.`,
    },
  ];
}
