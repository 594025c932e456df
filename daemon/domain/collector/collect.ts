// Storing one poll's reports in one transaction (SPEC §9 "Reports", "Devices and usage"): each
// new (UDI, report id) is kept with its payload byte-exact and queued for the cloud; a repeat
// stores nothing; other bytes under a known id are a conflict event; a UDI another path took is
// skipped; each UDI seen becomes a `via: "collector"` device of the target's VA whose usage per
// entitlement is the latest measurement per tag, mapped through the entitlement map.
import type { Tx } from '../../store/index.ts';
import { keys } from '../../store/index.ts';
import { journalDeviceChange } from '../devices/device-journal.ts';
import { stageDevice, stageLatest } from '../devices/device-index.ts';
import { recordEvent, type EventWriting } from '../satellite/events.ts';
import { newId, sha256 } from '../satellite/ids.ts';
import type { Sequences } from '../satellite/sequences.ts';
import type { State } from '../satellite/state.ts';
import type { DeviceRecord, LatestUsage } from '../satellite/records.ts';
import { entitlementFor, type EntitlementMap } from './entitlement-map.ts';
import type { RumStored, TargetRecord } from './records.ts';
import type { CollectedReport, ReportUsage, SkippedReport } from './reports.ts';

export const RUM_SEQ = 'rum';

export interface CollectEnv {
  seq: Sequences;
  /** Where events are written (and their notifications staged): the domain context. */
  events: EventWriting;
  state: State;
  entitlementMap: EntitlementMap;
}

export interface CollectOutcome {
  stored: number;
  duplicates: number;
  conflicts: number;
  /** UDIs skipped because the device API or policy mode took them first. */
  taken: Array<{ pid: string; sn: string }>;
}

// Polls run as jobs, whether scheduled or asked for: the request that started one is its own event.
const actor = (_t: TargetRecord) => 'system';

/** Stages the reports of one answer. The caller writes the target's poll result in the same transaction. */
export async function stageCollected(
  tx: Tx,
  env: CollectEnv,
  target: TargetRecord,
  reports: readonly CollectedReport[],
  skipped: readonly SkippedReport[],
  now: Date,
): Promise<CollectOutcome> {
  const out: CollectOutcome = { stored: 0, duplicates: 0, conflicts: 0, taken: [] };
  const at = now.toISOString();
  const devices = new Map<string, DeviceRecord | null>();
  const usageTouched = new Map<string, { device: DeviceRecord; tags: Record<string, ReportUsage> }>();

  for (const s of skipped) {
    recordEvent(tx, env.events, now, { actor: actor(target), type: 'collector.report_skipped', vaId: target.vaId, details: { target: target.id, index: s.index, reason: s.reason } });
  }

  for (const r of reports) {
    const udiText = `${r.udi.pid}\u0000${r.udi.sn}`;
    let device = devices.get(udiText);
    if (device === undefined) {
      device = await deviceFor(tx, env, target, r.udi, now);
      devices.set(udiText, device);
      if (device === null && !out.taken.some((u) => u.pid === r.udi.pid && u.sn === r.udi.sn)) out.taken.push(r.udi);
    }
    if (device === null) continue;
    const key = keys.rum(r.udi.pid, r.udi.sn, r.reportId);
    const digest = sha256(r.payload);
    const existing = await tx.get<RumStored>(key);
    if (existing) {
      if (existing.digest === digest) {
        out.duplicates++;
        continue;
      }
      out.conflicts++;
      if (existing.conflictDigest !== digest) {
        tx.put(key, { ...existing, conflictDigest: digest });
        recordEvent(tx, env.events, now, {
          actor: actor(target), type: 'collector.report_conflict', vaId: device.vaId,
          details: { target: target.id, udi: r.udi, reportId: r.reportId, keptDigest: existing.digest, refusedDigest: digest },
        });
      }
      continue;
    }
    const queueSeq = env.seq.next(tx, RUM_SEQ);
    const stored: RumStored = {
      udi: r.udi, reportId: r.reportId, targetId: target.id, deviceId: device.id, vaId: device.vaId, digest, report: r.report,
      collectedAt: at, usage: r.usage, queueSeq, acknowledged: false,
    };
    tx.put(key, stored);
    tx.put(keys.rumQueue(queueSeq), key);
    out.stored++;
    if (r.usage) {
      let touched = usageTouched.get(device.id);
      if (!touched) {
        touched = { device, tags: (await tx.get<Record<string, ReportUsage>>(keys.rumUsage(device.id))) ?? {} };
        usageTouched.set(device.id, touched);
      }
      const cur = touched.tags[r.usage.tag];
      if (!cur || r.usage.endTime > cur.endTime) touched.tags[r.usage.tag] = r.usage;
    }
  }

  for (const { device, tags } of usageTouched.values()) {
    tx.put(keys.rumUsage(device.id), tags);
    const previous = await tx.get<LatestUsage>(keys.latestUsage(device.id));
    const usage: Record<string, number> = {};
    let end = 0;
    let latestId = '';
    for (const u of Object.values(tags)) {
      const name = entitlementFor(env.entitlementMap, u.tag);
      // Two tags mapped to one entitlement add up: each is a license the product uses.
      usage[name] = (usage[name] ?? 0) + u.count;
      if (u.endTime >= end) {
        end = u.endTime;
        latestId = u.tag;
      }
    }
    const latest: LatestUsage = { reportId: `rum:${latestId}`, windowEnd: new Date(end * 1000).toISOString(), usage, lastReportAt: at };
    // The pools follow through the state's watchers, as for any other device's report.
    await stageLatest(tx, env.state, device, previous, latest, { newer: true, before: previous?.usage });
  }
  return out;
}

/**
 * The device for `udi` as this target sees it: created (or registered again) as a collector
 * device of the target's VA, or null when the UDI belongs to another path or another target,
 * or the cloud revoked it.
 */
async function deviceFor(tx: Tx, env: CollectEnv, target: TargetRecord, udi: { pid: string; sn: string }, now: Date): Promise<DeviceRecord | null> {
  const existingId = await tx.get<string>(keys.udi(udi.pid, udi.sn));
  const existing = existingId ? await tx.get<DeviceRecord>(keys.device(existingId)) : undefined;
  if (existing && (existing.via !== 'collector' || existing.target !== target.id)) return null;
  if (existing?.revoked) return null;
  if (existing?.state === 'registered') return existing;
  const device: DeviceRecord = existing
    ? { ...existing, state: 'registered' }
    : {
        id: newId('dev'), udi: { pid: udi.pid, sn: udi.sn }, hostname: target.host, vaId: target.vaId, state: 'registered', via: 'collector',
        registeredAt: now.toISOString(), credentialId: null, revoked: false, target: target.id,
      };
  await stageDevice(tx, env.state, existing, device);
  journalDeviceChange(tx, env.seq, env.state, device, now);
  recordEvent(tx, env.events, now, { actor: 'system', type: 'device.registered', vaId: device.vaId, details: { deviceId: device.id, udi: device.udi, via: 'collector', target: target.id } });
  return device;
}
