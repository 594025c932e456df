// The job table (SPEC §2, §5, §7): every scheduled job with its cron, in one place. Bodies live
// one per file; the schedule (schedule.ts) runs them, never overlapping themselves.
import type { Logger } from 'pino';
import type { DomainContext } from '../domain/satellite/context.ts';
import type { Licensing } from '../domain/licenses/workspace/index.ts';
import type { Services } from '../services.ts';
import { backupJob } from './backup.ts';
import { lapseJob } from './lapse.ts';
import { checkLicenseAlerts } from './license-alerts.ts';
import { checkAlerts } from './alert-check.ts';
import type { Job } from './schedule.ts';
import { deregisterSilentDevices } from './silent-devices.ts';
import { sampleUsage } from './usage-history.ts';

export { createSchedule, type Job, type Schedule } from './schedule.ts';
export { deregisterSilentDevices, SILENT_DAYS } from './silent-devices.ts';
export { checkLicenseAlerts } from './license-alerts.ts';
export { sampleUsage } from './usage-history.ts';

/** Local time. The network sync's cron is the config's (`exchange.schedule`, default 03:17). */
export const CRON = {
  /** The lapse check, daily; also run at start-up before any listener serves. */
  lapse: '11 0 * * *',
  silentDevices: '5 4 * * *',
  /** After the devices: a deregistration changes pools. */
  licenseAlerts: '20 4 * * *',
  /** Alerts other than license alerts, compared with the stored set (SPEC §7: at least once a minute). */
  alerts: '* * * * *',
  /** After the license jobs; also run at start-up, in the background. */
  retention: '35 4 * * *',
  /** API tokens' lastUsedAt and sessions' lastSeen, kept in memory between runs, and expired sessions removed. */
  identityFlush: '* * * * *',
  /** The high-water mark of time moves on, and the wall clock is compared with monotonic time. */
  clock: '* * * * *',
  /** Today's sample of the pools for usage over time (written only when it changed). */
  usageHistory: '7 * * * *',
} as const;

/** The license workspace's daily jobs. */
export function licenseJobs(deps: { ctx: DomainContext; licensing: Licensing }): Job[] {
  const { ctx, licensing } = deps;
  return [
    { name: 'silent-devices', cron: CRON.silentDevices, run: () => deregisterSilentDevices(ctx, ctx.clock()) },
    { name: 'license-alerts', cron: CRON.licenseAlerts, run: () => checkLicenseAlerts(ctx, licensing, ctx.clock()) },
    usageHistoryJob(deps),
  ];
}

export function usageHistoryJob(deps: { ctx: DomainContext; licensing: Licensing }): Job {
  return { name: 'usage-history', cron: CRON.usageHistory, run: () => sampleUsage(deps.ctx, deps.licensing, deps.ctx.clock()) };
}

export interface JobTable {
  jobs: Job[];
  /** Run once before the listeners serve: a satellite that lapsed while it was down says so at once. */
  beforeServing: Job[];
  /** Run once in the background after start: what came due while the satellite was down. */
  afterStart: Job[];
}

export function jobTable(s: Services, log: Logger): JobTable {
  const { ctx } = s;
  const lapse: Job = { name: 'lapse', cron: CRON.lapse, run: lapseJob({ lapse: s.lapse, clock: ctx.clock, log }) };
  const retention: Job = { name: 'retention', cron: CRON.retention, run: () => s.retentionJob.run() };
  // Before the lapse check at start: a clock far from the store's high-water mark raises
  // clock-suspect first, so what the lapse does on that clock can be undone.
  const clockAtStart: Job = {
    name: 'clock-start',
    cron: CRON.clock,
    run: async () => {
      const r = await s.time.open();
      if (r?.suspect) log.error({ reason: r.suspect.reason }, 'clock-suspect: the system clock looks wrong; set it right and run "outpost time confirm" (--undo to reinstate what the time rules deregistered meanwhile)');
      return { highWater: r?.highWater ?? null, suspect: r?.suspect != null };
    },
  };
  return {
    jobs: [
      ...(ctx.config.exchange.url ? [{ name: 'sync', cron: ctx.config.exchange.schedule, run: () => s.syncJob.run() }] : []),
      lapse,
      { name: 'clock', cron: CRON.clock, run: () => s.time.tick() },
      ...licenseJobs({ ctx, licensing: s.licensing }),
      retention,
      { name: 'collector', cron: ctx.config.collector.schedule, run: () => s.collector.scheduledRound() },
      // Scheduled backups, when configured (`backup.schedule`, local time).
      ...(ctx.config.backup.schedule ? [{ name: 'backup', cron: ctx.config.backup.schedule, run: backupJob(ctx, log) }] : []),
      {
        name: 'identity-flush',
        cron: CRON.identityFlush,
        run: async () => {
          await s.apiTokens.flushLastUsed();
          await s.sessions.flush();
        },
      },
      {
        name: 'alerts',
        cron: CRON.alerts,
        run: () => checkAlerts(ctx, () => s.alertSources.filter((src) => src !== s.licensing.alertSource), ctx.clock()),
      },
      // The summary email (SPEC §10), when email is configured.
      ...(ctx.config.notify.email.smtp.host ? [{ name: 'notify-summary', cron: ctx.config.notify.summary.schedule, run: () => s.notifications.queueSummary() }] : []),
    ],
    beforeServing: [clockAtStart, lapse],
    afterStart: [retention],
  };
}
