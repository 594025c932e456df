// Daily: deregisters devices that have not reported for 365 days (SPEC §7), counting from
// their registration when they never reported. One event per device, actor `system`, and one
// devices.ndjson journal entry, so the cloud hears of it.
import { DAY_MS } from '../domain/satellite/clock.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import { journalDeviceChange } from '../domain/devices/device-journal.ts';
import { recordEvent } from '../domain/satellite/events.ts';
import type { DeviceRecord, LatestUsage } from '../domain/satellite/records.ts';
import { keys } from '../store/index.ts';

export const SILENT_DAYS = 365;
/** Devices deregistered per write transaction. */
const CHUNK = 500;

const lastHeard = (d: DeviceRecord, latest: LatestUsage | undefined): number => Date.parse(latest?.lastReportAt ?? d.registeredAt);

export async function deregisterSilentDevices(ctx: DomainContext, now: Date): Promise<{ deregistered: number }> {
  const cutoff = now.getTime() - SILENT_DAYS * DAY_MS;
  const silent = [...ctx.state.devices.values()]
    .filter((d) => d.state === 'registered' && lastHeard(d, ctx.state.latestOf(d.id)) <= cutoff)
    .map((d) => d.id);
  let deregistered = 0;
  for (let i = 0; i < silent.length; i += CHUNK) {
    deregistered += await ctx.writer.run(async (tx) => {
      let n = 0;
      for (const id of silent.slice(i, i + CHUNK)) {
        // Checked again in the writer: a report or a re-registration may have come meanwhile.
        const d = await tx.get<DeviceRecord>(keys.device(id));
        if (!d || d.state !== 'registered') continue;
        const latest = await tx.get<LatestUsage>(keys.latestUsage(id));
        if (lastHeard(d, latest) > cutoff) continue;
        const updated: DeviceRecord = { ...d, state: 'deregistered' };
        tx.put(keys.device(id), updated);
        recordEvent(tx, ctx, now, {
          actor: 'system',
          type: 'device.deregistered',
          vaId: d.vaId,
          details: { deviceId: id, udi: d.udi, reason: `silent for ${SILENT_DAYS} days`, lastReportAt: latest?.lastReportAt ?? null },
        });
        journalDeviceChange(tx, ctx.seq, ctx.state, updated, now);
        tx.after(() => ctx.state.putDevice(updated));
        n++;
      }
      return n;
    });
  }
  return { deregistered };
}
