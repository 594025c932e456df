// The one-year rule (SPEC §7): the registration lapses `lapse.days` after the last cloud
// contact. Before that, a `lapse-approaching` alert (info, then warning, then critical at the
// `lapse.warnDays` marks); on lapse every device is deregistered, the device API answers 503,
// and registering again restores service. Time comes from the caller.
import { keys } from '../../store/index.ts';
import { DAY_MS } from './clock.ts';
import type { Actor, DomainContext } from './context.ts';
import { journalDeviceChange } from '../devices/device-journal.ts';
import { recordEvent } from './events.ts';
import type { AlertView, Severity } from '../alerts/alerts.ts';
import type { DeviceRecord, SatelliteRecord } from './records.ts';

/** When the registration lapses, or null when it cannot (not registered). */
export function lapseDeadline(ctx: DomainContext): Date | null {
  const { registration, lastCloudContact } = ctx.state.satellite;
  if (registration !== 'registered' || lastCloudContact === null) return null;
  return new Date(Date.parse(lastCloudContact) + ctx.config.lapse.days * DAY_MS);
}

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

export function createLapse(ctx: DomainContext) {
  return {
    /**
     * Lapses the registration if its time is up: every registered device deregistered (an
     * event and a journal entry each), registration = lapsed, one `satellite.lapsed` event.
     */
    async check(now: Date, actor: Actor = 'system'): Promise<{ lapsed: boolean; deregistered: number }> {
      const deadline = lapseDeadline(ctx);
      if (!deadline || now.getTime() < deadline.getTime()) return { lapsed: false, deregistered: 0 };
      return ctx.writer.run(async (tx) => {
        const current = await tx.get<SatelliteRecord>(keys.satellite);
        if (!current || current.registration !== 'registered') return { lapsed: false, deregistered: 0 };
        const changed: DeviceRecord[] = [];
        for (const id of ctx.state.devices.keys()) {
          const d = await tx.get<DeviceRecord>(keys.device(id));
          if (!d || d.state !== 'registered') continue;
          const device: DeviceRecord = { ...d, state: 'deregistered' };
          tx.put(keys.device(id), device);
          journalDeviceChange(tx, ctx.seq, ctx.state, device, now);
          recordEvent(tx, ctx.seq, now, {
            actor,
            type: 'device.deregistered',
            vaId: d.vaId,
            details: { deviceId: d.id, udi: d.udi, reason: 'lapse' },
          });
          changed.push(device);
        }
        const satellite: SatelliteRecord = { ...current, registration: 'lapsed' };
        tx.put(keys.satellite, satellite);
        recordEvent(tx, ctx.seq, now, {
          actor,
          type: 'satellite.lapsed',
          vaId: null,
          details: { lastCloudContact: current.lastCloudContact, days: ctx.config.lapse.days, devicesDeregistered: changed.length },
        });
        tx.after(() => {
          ctx.state.setSatellite(satellite);
          for (const d of changed) ctx.state.putDevice(d);
        });
        return { lapsed: true, deregistered: changed.length };
      });
    },

    alerts: (now: Date) => lapseAlerts(ctx, now),
  };
}

export type Lapse = ReturnType<typeof createLapse>;
