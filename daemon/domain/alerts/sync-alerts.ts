// The exchange's alerts (SPEC §7), in the SPEC §4 alert shape: `sync-failing` while network
// syncs fail, `sync-overdue` when a registered satellite has not reached the cloud for more than
// exchange.overdueDays. Derived on every read from the bookkeeping and the clock.
import { DAY_MS } from '../satellite/clock.ts';
import type { AlertView } from './alerts.ts';
import type { DomainContext } from '../satellite/context.ts';
import type { SyncRecord } from '../exchange/book.ts';

/** A run of failures this long turns `sync-failing` from warning to critical. */
export const SYNC_FAILING_CRITICAL = 5;

export function syncAlerts(ctx: DomainContext, sync: SyncRecord, now: Date): AlertView[] {
  const alerts: AlertView[] = [];
  if (sync.failures > 0 && sync.lastError) {
    alerts.push({
      type: 'sync-failing',
      severity: sync.failures >= SYNC_FAILING_CRITICAL ? 'critical' : 'warning',
      virtualAccount: null,
      entitlement: null,
      since: sync.failingSince ?? sync.lastError.at,
      message: `Network sync with the cloud has failed ${sync.failures === 1 ? 'once' : `${sync.failures} times in a row`}: ${sync.lastError.message}`,
    });
  }
  const { registration, lastCloudContact } = ctx.state.satellite;
  if (registration === 'registered' && lastCloudContact !== null) {
    const overdueAt = Date.parse(lastCloudContact) + ctx.config.exchange.overdueDays * DAY_MS;
    if (now.getTime() > overdueAt) {
      const days = Math.floor((now.getTime() - Date.parse(lastCloudContact)) / DAY_MS);
      alerts.push({
        type: 'sync-overdue',
        severity: 'warning',
        virtualAccount: null,
        entitlement: null,
        since: new Date(overdueAt).toISOString(),
        message: `No contact with the cloud for ${days} days (last on ${lastCloudContact.slice(0, 10)}); sync, or export a report and import the cloud's response.`,
      });
    }
  }
  return alerts;
}
