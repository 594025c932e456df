// A wrong clock (issue 14, finding 4): the store keeps a high-water mark of time (written at
// start, every minute and at a confirmation). At start, a clock more than a day behind the mark
// or more than `lapse.days / 2` ahead of it raises the `clock-suspect` critical alert; while
// running, so does a wall clock that drifts more than a day from monotonic time. SPEC §7's rules
// still act on the clock, but what the lapse and the silent-device job deregistered while the
// alert stood can be undone: `confirm({ undo: true })` reinstates those devices (and the
// registration, when the lapse came in that window), found through the `device.deregistered`
// events written since the alert was raised. Sessions (SPEC §11) are measured against
// `sessionNow()`, the later of the clock and the mark, so a clock stepped back stretches none.
import { keys, type Tx } from '../../store/index.ts';
import type { Alert } from '../alerts/alerts.ts';
import { stageDevice } from '../devices/device-index.ts';
import { journalDeviceChange } from '../devices/device-journal.ts';
import { DAY_MS } from './clock.ts';
import type { Actor, DomainContext } from './context.ts';
import { recordEvent } from './events.ts';
import type { DeviceRecord, EventRecord, SatelliteRecord } from './records.ts';

export interface ClockSuspect {
  since: string;
  reason: string;
  /** The last event written before the alert stood: what came after it may be undone. */
  afterEvent: number;
}

export interface ClockRecord {
  /** The latest time the satellite has seen. */
  highWater: string;
  suspect: ClockSuspect | null;
}

export interface TimeView {
  now: string;
  highWater: string | null;
  suspect: { since: string; reason: string } | null;
}

export interface ConfirmResult {
  undo: boolean;
  /** Devices registered again (with `undo`). */
  reinstated: number;
  /** True when the registration, lapsed in the window, was restored. */
  registrationRestored: boolean;
}

/** Drift between wall clock and monotonic time that raises the alert while running. */
export const MAX_DRIFT_MS = DAY_MS;

/** The reasons the lapse rule and the silent-device job give on `device.deregistered`. */
const UNDOABLE = (e: EventRecord) => e.type === 'device.deregistered' && (e.details.reason === 'lapse' || /^silent for /.test(String(e.details.reason ?? '')));

export function createTimeMark(ctx: DomainContext, deps: { monotonic: () => number }) {
  let record: ClockRecord | null = null;
  /** Wall and monotonic time together at the last check: drift is measured from here. */
  let base: { wall: number; mono: number } | null = null;

  /**
   * The mark and the monotonic time it was set at: between writes the mark moves on with the
   * time that really passes, so a clock set back neither stops sessions from ageing nor stretches them.
   */
  let anchor: { at: number; mono: number } | null = null;
  const mark = () => (anchor ? anchor.at + (deps.monotonic() - anchor.mono) : 0);
  const keep = (next: ClockRecord) => {
    if (record?.highWater !== next.highWater) anchor = { at: Date.parse(next.highWater), mono: deps.monotonic() };
    record = next;
  };

  const write = (update: (tx: Tx, current: ClockRecord | null) => ClockRecord | null) =>
    ctx.writer.run(async (tx) => {
      const current = (await tx.get<ClockRecord>(keys.clockMark)) ?? null;
      const next = update(tx, current);
      if (next) {
        tx.put(keys.clockMark, next);
        tx.after(() => keep(next));
      }
      return next;
    });

  const suspectEvent = (tx: Tx, now: Date, suspect: ClockSuspect) =>
    recordEvent(tx, ctx, now, { actor: 'system', type: 'clock.suspect', vaId: null, details: { reason: suspect.reason, since: suspect.since } });

  return {
    /** The later of the clock and the high-water mark (moved on by the time passed since it was written), in ms (sessions, SPEC §11). */
    sessionNow(): number {
      return Math.max(ctx.clock().getTime(), mark());
    },

    /** At start, before the lapse check: loads the mark, compares the clock with it, moves it on. */
    async open(): Promise<ClockRecord | null> {
      const now = ctx.clock();
      base = { wall: now.getTime(), mono: deps.monotonic() };
      return write((tx, current) => {
        const t = now.getTime();
        if (!current) return { highWater: now.toISOString(), suspect: null };
        const hw = Date.parse(current.highWater);
        let suspect = current.suspect;
        if (!suspect) {
          const days = (ms: number) => Math.floor(ms / DAY_MS);
          const reason =
            t < hw - DAY_MS
              ? `the clock is ${days(hw - t)} days behind the latest time the satellite has seen (${current.highWater})`
              : t > hw + (ctx.config.lapse.days / 2) * DAY_MS
                ? `the clock is ${days(t - hw)} days ahead of the latest time the satellite has seen (${current.highWater}); more than lapse.days / 2`
                : null;
          if (reason) {
            suspect = { since: now.toISOString(), reason, afterEvent: ctx.seq.current('event') };
            suspectEvent(tx, now, suspect);
          }
        }
        return { highWater: new Date(Math.max(hw, t)).toISOString(), suspect };
      });
    },

    /** Every minute: a wall clock drifting more than a day from monotonic time raises the alert; the mark moves on. */
    async tick(): Promise<{ driftMs: number; suspect: boolean }> {
      const now = ctx.clock();
      const mono = deps.monotonic();
      const driftMs = base ? now.getTime() - base.wall - (mono - base.mono) : 0;
      base = { wall: now.getTime(), mono };
      const drifted = Math.abs(driftMs) > MAX_DRIFT_MS;
      const next = await write((tx, current) => {
        const hw = current ? Date.parse(current.highWater) : 0;
        let suspect = current?.suspect ?? null;
        if (drifted && !suspect) {
          const days = Math.floor(Math.abs(driftMs) / DAY_MS);
          suspect = {
            since: now.toISOString(),
            reason: `the wall clock moved ${days} days ${driftMs > 0 ? 'ahead' : 'back'} against the time that passed`,
            afterEvent: ctx.seq.current('event'),
          };
          suspectEvent(tx, now, suspect);
        } else if (current && now.getTime() <= hw) return null; // nothing to write
        return { highWater: new Date(Math.max(hw, now.getTime())).toISOString(), suspect };
      });
      return { driftMs, suspect: (next ?? record)?.suspect != null };
    },

    view(): TimeView {
      return {
        now: ctx.clock().toISOString(),
        highWater: record?.highWater ?? null,
        suspect: record?.suspect ? { since: record.suspect.since, reason: record.suspect.reason } : null,
      };
    },

    alerts(): Alert[] {
      const s = record?.suspect;
      if (!s) return [];
      return [
        {
          type: 'clock-suspect',
          severity: 'critical',
          vaId: null,
          entitlement: null,
          subject: null,
          since: s.since,
          message: `The system clock looks wrong: ${s.reason}. Set it right, then confirm it (outpost time confirm); add --undo to reinstate the devices the lapse or the silent-device rule deregistered since.`,
        },
      ];
    },

    /**
     * The admin says the clock is right now: the alert clears and the mark is set to the clock.
     * With `undo`, the devices the lapse rule or the silent-device job deregistered while the
     * alert stood are registered again (an event and a journal entry each), and a lapse in that
     * window is undone. One writer transaction, alone in its batch.
     */
    async confirm(opts: { undo: boolean; actor: Actor }): Promise<ConfirmResult> {
      const now = ctx.clock();
      // Device changes stage their index entries; a rebuild at start must be done first (as the lapse waits).
      if (opts.undo) await ctx.state.deviceIndex.ready();
      return ctx.writer.run(
        async (tx) => {
          const current = (await tx.get<ClockRecord>(keys.clockMark)) ?? null;
          const suspect = current?.suspect ?? null;
          const result: ConfirmResult = { undo: opts.undo, reinstated: 0, registrationRestored: false };
          const reinstated: DeviceRecord[] = [];
          let satellite: SatelliteRecord | null = null;
          if (opts.undo && suspect) {
            // Exclusive: every earlier batch is durable, so the store holds every event of the window.
            const ids = new Set<string>();
            let lapsed = false;
            for await (const [, e] of ctx.store.iterate<EventRecord>({ gt: keys.event(suspect.afterEvent), lt: keys.eventPrefix + '\uffff' })) {
              if (UNDOABLE(e) && typeof e.details.deviceId === 'string') ids.add(e.details.deviceId);
              if (e.type === 'satellite.lapsed') lapsed = true;
            }
            const sat = await tx.get<SatelliteRecord>(keys.satellite);
            // A lapse in the window, or one still under way (its event comes when its devices are done).
            if ((lapsed || sat?.lapsing) && sat && sat.registration === 'lapsed') {
              const { lapsing: _, ...rest } = sat;
              satellite = { ...rest, registration: 'registered' };
              tx.put(keys.satellite, satellite);
              recordEvent(tx, ctx, now, { actor: opts.actor, type: 'satellite.reinstated', vaId: null, details: { reason: 'the lapse came while the clock was suspect', lastCloudContact: sat.lastCloudContact } });
              result.registrationRestored = true;
            }
            for (const id of ids) {
              const d = await tx.get<DeviceRecord>(keys.device(id));
              if (!d || d.state !== 'deregistered' || d.revoked) continue;
              const device: DeviceRecord = { ...d, state: 'registered' };
              // The device, its indexes and counters; State follows once the batch is durable.
              await stageDevice(tx, ctx.state, d, device);
              journalDeviceChange(tx, ctx.seq, ctx.state, device, now);
              recordEvent(tx, ctx, now, { actor: opts.actor, type: 'device.reinstated', vaId: d.vaId, details: { deviceId: id, udi: d.udi, reason: 'deregistered while the clock was suspect' } });
              reinstated.push(device);
            }
            result.reinstated = reinstated.length;
          }
          const next: ClockRecord = { highWater: now.toISOString(), suspect: null };
          tx.put(keys.clockMark, next);
          recordEvent(tx, ctx, now, {
            actor: opts.actor,
            type: 'clock.confirmed',
            vaId: null,
            details: { undo: opts.undo, suspectSince: suspect?.since ?? null, reason: suspect?.reason ?? null, reinstated: result.reinstated, registrationRestored: result.registrationRestored },
          });
          tx.after(() => {
            keep(next);
            base = { wall: now.getTime(), mono: deps.monotonic() };
            if (satellite) ctx.state.setSatellite(satellite);
          });
          return result;
        },
        { exclusive: true },
      );
    },
  };
}

export type TimeMark = ReturnType<typeof createTimeMark>;
