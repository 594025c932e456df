// The one-year rule (SPEC §7): the registration lapses `lapse.days` after the last cloud
// contact. Before that, a `lapse-approaching` alert (info, then warning, then critical at the
// `lapse.warnDays` marks); on lapse every device is deregistered, the device API answers 503,
// and registering again restores service. Time comes from the caller.
import { keys } from '../../store/index.ts';
import { DAY_MS } from './clock.ts';
import type { Actor, DomainContext } from './context.ts';
import { journalDeviceChange } from '../devices/device-journal.ts';
import { registeredDeviceIds, stageDevice, type RegisteredCursor } from '../devices/device-index.ts';
import { recordEvent } from './events.ts';
import { lapseAlerts } from '../alerts/lapse-alerts.ts';
import type { DeviceRecord, SatelliteRecord } from './records.ts';

/** When the registration lapses, or null when it cannot (not registered). */
export function lapseDeadline(ctx: DomainContext): Date | null {
  const { registration, lastCloudContact } = ctx.state.satellite;
  if (registration !== 'registered' || lastCloudContact === null) return null;
  return new Date(Date.parse(lastCloudContact) + ctx.config.lapse.days * DAY_MS);
}


/** Devices deregistered per transaction: a lapse of a million devices never stages them at once. */
const CHUNK = 1000;

export function createLapse(ctx: DomainContext) {
  /**
   * Deregisters the registered devices of a lapsed registration, CHUNK per transaction (an event
   * and a journal entry each), then ends the lapse with the `satellite.lapsed` event. The
   * satellite record says a lapse is under way (`lapsing`, with the count so far), so a crash
   * part-way is finished by the next check. Stops when the registration is no longer lapsed.
   */
  async function sweep(now: Date, actor: Actor): Promise<{ lapsed: boolean; deregistered: number }> {
    let cursor: RegisteredCursor | null = null;
    for (;;) {
      const step = await ctx.writer.run(
        async (tx) => {
          const current = await tx.get<SatelliteRecord>(keys.satellite);
          if (!current || current.registration !== 'lapsed' || !current.lapsing) return { done: true, lapsed: false, deregistered: 0 };
          let n = 0;
          let full = false;
          // Exclusive: every earlier batch is durable, so the index in the store is every device.
          for await (const at of registeredDeviceIds(ctx.store, cursor)) {
            if (n === CHUNK) {
              full = true;
              break;
            }
            cursor = at;
            const d = await tx.get<DeviceRecord>(keys.device(at.id));
            if (!d || d.state !== 'registered') continue;
            const device: DeviceRecord = { ...d, state: 'deregistered' };
            await stageDevice(tx, ctx.state, d, device);
            journalDeviceChange(tx, ctx.seq, ctx.state, device, now);
            recordEvent(tx, ctx, now, { actor, type: 'device.deregistered', vaId: d.vaId, details: { deviceId: d.id, udi: d.udi, reason: 'lapse' } });
            n++;
          }
          const deregistered = current.lapsing.deregistered + n;
          const { lapsing: _, ...rest } = current;
          const satellite: SatelliteRecord = full ? { ...current, lapsing: { ...current.lapsing, deregistered } } : rest;
          tx.put(keys.satellite, satellite);
          if (!full) {
            recordEvent(tx, ctx, now, {
              actor,
              type: 'satellite.lapsed',
              vaId: null,
              details: { lastCloudContact: current.lastCloudContact, days: ctx.config.lapse.days, devicesDeregistered: deregistered },
            });
          }
          tx.after(() => ctx.state.setSatellite(satellite));
          return { done: !full, lapsed: true, deregistered };
        },
        { exclusive: true },
      );
      if (step.done) return { lapsed: step.lapsed, deregistered: step.deregistered };
    }
  }

  return {
    /**
     * Lapses the registration if its time is up: registration = lapsed at once (the device API
     * answers 503 from then), then every registered device deregistered in chunks (`sweep`), one
     * `satellite.lapsed` event last. Also finishes a lapse a crash interrupted.
     */
    async check(now: Date, actor: Actor = 'system'): Promise<{ lapsed: boolean; deregistered: number }> {
      const satellite = ctx.state.satellite;
      if (satellite.registration === 'lapsed' && satellite.lapsing) {
        await ctx.state.deviceIndex.ready();
        return sweep(now, actor);
      }
      const deadline = lapseDeadline(ctx);
      if (!deadline || now.getTime() < deadline.getTime()) return { lapsed: false, deregistered: 0 };
      await ctx.state.deviceIndex.ready();
      const started = await ctx.writer.run(
        async (tx) => {
          const current = await tx.get<SatelliteRecord>(keys.satellite);
          if (!current || current.registration !== 'registered') return false;
          const next: SatelliteRecord = { ...current, registration: 'lapsed', lapsing: { since: now.toISOString(), deregistered: 0 } };
          tx.put(keys.satellite, next);
          tx.after(() => ctx.state.setSatellite(next));
          return true;
        },
        { exclusive: true },
      );
      if (!started) return { lapsed: false, deregistered: 0 };
      return sweep(now, actor);
    },

    alerts: (now: Date) => lapseAlerts(ctx, now),
  };
}

export type Lapse = ReturnType<typeof createLapse>;
