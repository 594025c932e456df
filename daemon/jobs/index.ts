// The license workspace's jobs for the satellite's schedule (the exchange adds its sync and
// lapse jobs beside them in daemon/satellite.ts). Bodies live one per file.
import type { DomainContext } from '../domain/satellite/context.ts';
import type { Licensing } from '../domain/licenses/workspace/index.ts';
import { checkLicenseAlerts } from './license-alerts.ts';
import type { Job } from './schedule.ts';
import { deregisterSilentDevices } from './silent-devices.ts';

export { createSchedule, type Job, type Schedule } from './schedule.ts';
export { deregisterSilentDevices, SILENT_DAYS } from './silent-devices.ts';
export { checkLicenseAlerts } from './license-alerts.ts';

/** Daily, local time (after the default network sync at 03:17). */
export function licenseJobs(deps: { ctx: DomainContext; licensing: Licensing }): Job[] {
  const { ctx, licensing } = deps;
  return [
    { name: 'silent-devices', cron: '5 4 * * *', run: () => deregisterSilentDevices(ctx, ctx.clock()) },
    // After the devices: a deregistration changes pools.
    { name: 'license-alerts', cron: '20 4 * * *', run: () => checkLicenseAlerts(ctx, licensing, ctx.clock()) },
  ];
}
