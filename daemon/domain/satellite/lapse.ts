// The one-year rule (SPEC §7): the registration lapses `lapse.days` after the last cloud
// contact. Before that, a `lapse-approaching` alert (info, then warning, then critical at the
// `lapse.warnDays` marks); on lapse every device is deregistered, the device API answers 503,
// and registering again restores service. Time comes from the caller.
import { keys } from '../../store/index.ts';
import { DAY_MS } from './clock.ts';
import type { Actor, DomainContext } from './context.ts';
import { journalDeviceChange } from '../devices/device-journal.ts';
import { registeredDeviceIds, stageDevice } from '../devices/device-index.ts';
import { recordEvent } from './events.ts';
import { lapseAlerts } from '../alerts/lapse-alerts.ts';
import type { DeviceRecord, SatelliteRecord } from './records.ts';

/** When the registration lapses, or null when it cannot (not registered). */
export function lapseDeadline(ctx: DomainContext): Date | null {
  const { registration, lastCloudContact } = ctx.state.satellite;
  if (registration !== 'registered' || lastCloudContact === null) return null;
  return new Date(Date.parse(lastCloudContact) + ctx.config.lapse.days * DAY_MS);
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
      await ctx.state.deviceIndex.ready();
      return ctx.writer.run(async (tx) => {
        const current = await tx.get<SatelliteRecord>(keys.satellite);
        if (!current || current.registration !== 'registered') return { lapsed: false, deregistered: 0 };
        const changed: DeviceRecord[] = [];
        // Exclusive: every earlier batch is durable, so the index in the store is every device.
        for await (const id of registeredDeviceIds(ctx.store)) {
          const d = await tx.get<DeviceRecord>(keys.device(id));
          if (!d || d.state !== 'registered') continue;
          const device: DeviceRecord = { ...d, state: 'deregistered' };
          await stageDevice(tx, ctx.state, d, device);
          journalDeviceChange(tx, ctx.seq, ctx.state, device, now);
          recordEvent(tx, ctx, now, {
            actor,
            type: 'device.deregistered',
            vaId: d.vaId,
            details: { deviceId: d.id, udi: d.udi, reason: 'lapse' },
          });
          changed.push(device);
        }
        const satellite: SatelliteRecord = { ...current, registration: 'lapsed' };
        tx.put(keys.satellite, satellite);
        recordEvent(tx, ctx, now, {
          actor,
          type: 'satellite.lapsed',
          vaId: null,
          details: { lastCloudContact: current.lastCloudContact, days: ctx.config.lapse.days, devicesDeregistered: changed.length },
        });
        tx.after(() => ctx.state.setSatellite(satellite));
        return { lapsed: true, deregistered: changed.length };
      }, { exclusive: true });
    },

    alerts: (now: Date) => lapseAlerts(ctx, now),
  };
}

export type Lapse = ReturnType<typeof createLapse>;
