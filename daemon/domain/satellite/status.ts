// The satellite's status as `outpost status` and the dashboard show it.
import { DAY_MS } from './clock.ts';
import type { DomainContext } from './context.ts';

export interface Listeners {
  device: string | null;
  admin: string | null;
}

/**
 * Whole days left before the registration lapses (rounded down, 0 once lapsed, never more than
 * lapse.days: a clock stepped back behind the last contact stretches nothing); null before
 * registration.
 */
export function daysUntilLapse(ctx: DomainContext, now: Date): number | null {
  const last = ctx.state.satellite.lastCloudContact;
  if (ctx.state.satellite.registration === 'unregistered' || last === null) return null;
  if (ctx.state.satellite.registration === 'lapsed') return 0;
  const left = Date.parse(last) + ctx.config.lapse.days * DAY_MS - now.getTime();
  return Math.min(ctx.config.lapse.days, Math.max(0, Math.floor(left / DAY_MS)));
}

export function createStatus(ctx: DomainContext, listeners: Listeners) {
  return () => {
    const { satellite, account } = ctx.state;
    return {
      satellite: { id: satellite.id, name: satellite.name },
      registration: satellite.registration,
      account: { id: satellite.cloudAccountId, name: account.name, domain: account.domain, type: account.type },
      lastCloudContact: satellite.lastCloudContact,
      daysUntilLapse: daysUntilLapse(ctx, ctx.clock()),
      devices: ctx.state.countDevices(),
      reports: { ...ctx.state.reportCounts },
      listeners: { ...listeners },
    };
  };
}

export type StatusReader = ReturnType<typeof createStatus>;
