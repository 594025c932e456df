// Daily: deregisters devices that have not reported for 365 days (SPEC §7), counting from
// their registration when they never reported. One event per device, actor `system`, and one
// devices.ndjson journal entry, so the cloud hears of it. The silent ones come from the
// last-report index in chunks: the walk reads the silent and never-reported devices, not the fleet.
import { DAY_MS } from '../domain/satellite/clock.ts';
import type { DomainContext } from '../domain/satellite/context.ts';
import { journalDeviceChange } from '../domain/devices/device-journal.ts';
import { silentDevices, stageDevice } from '../domain/devices/device-index.ts';
import { recordEvent } from '../domain/satellite/events.ts';
import type { DeviceRecord, LatestUsage } from '../domain/satellite/records.ts';
import { keys } from '../store/index.ts';

export const SILENT_DAYS = 365;

const lastHeard = (d: DeviceRecord, latest: LatestUsage | undefined): number => Date.parse(latest?.lastReportAt ?? d.registeredAt);

export async function deregisterSilentDevices(ctx: DomainContext, now: Date): Promise<{ deregistered: number }> {
  const cutoff = now.getTime() - SILENT_DAYS * DAY_MS;
  await ctx.state.deviceIndex.ready();
  let deregistered = 0;
  for await (const chunk of silentDevices(ctx.store, cutoff)) {
    deregistered += await ctx.writer.run(async (tx) => {
      let n = 0;
      for (const { id } of chunk) {
        // Checked again in the writer: a report or a re-registration may have come meanwhile.
        const d = await tx.get<DeviceRecord>(keys.device(id));
        if (!d || d.state !== 'registered') continue;
        const latest = await tx.get<LatestUsage>(keys.latestUsage(id));
        if (lastHeard(d, latest) > cutoff) continue;
        const updated: DeviceRecord = { ...d, state: 'deregistered' };
        await stageDevice(tx, ctx.state, d, updated);
        recordEvent(tx, ctx, now, {
          actor: 'system',
          type: 'device.deregistered',
          vaId: d.vaId,
          details: { deviceId: id, udi: d.udi, reason: `silent for ${SILENT_DAYS} days`, lastReportAt: latest?.lastReportAt ?? null },
        });
        journalDeviceChange(tx, ctx.seq, ctx.state, updated, now);
        n++;
      }
      return n;
    });
  }
  return { deregistered };
}
