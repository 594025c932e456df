// The satellite's schedule: every job, when it runs and what it runs. Bodies live one per file.
import type { DomainContext } from '../domain/context.ts';
import type { Licensing } from '../domain/licensing/index.ts';
import { checkLicenseAlerts } from './license-alerts.ts';
import type { Job } from './schedule.ts';
import { deregisterSilentDevices } from './silent-devices.ts';

export { createScheduler, type Job, type Scheduler } from './schedule.ts';
export { deregisterSilentDevices, SILENT_DAYS } from './silent-devices.ts';
export { checkLicenseAlerts } from './license-alerts.ts';

/** The jobs of a satellite (local time; after the default network sync at 03:17). */
export function satelliteJobs(deps: { ctx: DomainContext; licensing: Licensing }): Job[] {
  const { ctx, licensing } = deps;
  return [
    { name: 'silent-devices', cron: '5 4 * * *', run: () => deregisterSilentDevices(ctx, ctx.clock()) },
    // After the devices: a deregistration changes pools.
    { name: 'license-alerts', cron: '20 4 * * *', run: () => checkLicenseAlerts(ctx, licensing, ctx.clock()) },
  ];
}
