// The scale case's fleet, written through the one writer in big transactions (in a child
// process: support/child.ts `scale-fill`), then the satellite reopened once so whatever it
// rebuilds at start (indexes, pool counters) is built before anything is measured.
//
// The fleet, device i of N (so that each query of the scale case has a known answer):
//   hostname  sw-<i>.site<i % 97>.example.net   `?q=sw-4242` matches ≤ 111 devices at any N ≤ 1M
//   PID       one of 10, i % 10                 `?q=ir1101` matches 10% of the fleet
//   serial    FOC<i, 8 digits>
//   VA        50 VAs: 5 regions × 9 sites + the 5 regions themselves, i % 50; `?va=Region-0`
//             is 2%, with `nested=true` 20%
//   state     deregistered when i % 100 === 7 (1%)
//   via       policy when i % 100 === 3, collector when i % 100 === 5, else token
//   registered spread over the last 365 days; last report over the last day; every 50th device
//             never reported (no latest usage)
// Device ids are real ones (random), so id order is not fill order. Credentials are issued as
// registration issues them (issueCredential) for the devices the ingest run uses.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { issueCredential } from '../../../daemon/domain/devices/credentials.ts';
import { newId } from '../../../daemon/domain/satellite/ids.ts';
import type { DeviceRecord, LatestUsage, VirtualAccount } from '../../../daemon/domain/satellite/records.ts';
import type { Line } from '../../../daemon/domain/licenses/core/index.ts';
import { stageDevice, stageLatest } from '../../../daemon/domain/devices/device-index.ts';
import type { State } from '../../../daemon/domain/satellite/state.ts';
import { keys, type Tx } from '../../../daemon/store/index.ts';
import { open } from './fill.ts';

export const PIDS = ['C9300-24P', 'C9300-48P', 'ISR4451-X', 'C9200L-24T', 'IR1101-K9', 'C9500-40X', 'ASR1001-X', 'C8300-1N1S', 'C9130AXI-E', 'N9K-C93180'];
export const ENTITLEMENTS = Array.from({ length: 10 }, (_, e) => `entitlement-${String(e).padStart(2, '0')}`);
const REGIONS = 5;
const SITES = 9;

/** Writes one device and its latest usage with all they need in the store. */
type Stage = (tx: Tx, state: State, device: DeviceRecord, latest: LatestUsage | undefined) => Promise<void>;

/**
 * As every writer of devices does: the record, its UDI, its index entries and counters in the
 * same batch (stageDevice / stageLatest), so the daemon finds its indexes whole at start.
 */
const STAGE: Stage = async (tx, state, device, latest) => {
  await stageDevice(tx, state, undefined, device);
  if (latest) await stageLatest(tx, state, device, undefined, latest, { newer: true, before: undefined });
};

export interface ScaleSample {
  /** Devices (id, credential) drawn at random from the fleet, for ingest. */
  devices: Array<{ id: string; credential: string }>;
  vaPaths: { region: string; site: string };
}

/** A seeded generator (mulberry32): the same sample for the same N. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function scaleFill(dataDir: string, n: number, sampleFile: string, sampleSize: number): Promise<{ seconds: number; settleSeconds: number }> {
  const started = performance.now();
  const sat = await open(dataDir);
  const { state, writer, clock, identity } = sat.ctx;
  const now = clock();
  const vas: VirtualAccount[] = [];
  const paths: string[] = [];
  await writer.run((tx) => {
    for (let r = 0; r < REGIONS; r++) {
      const region: VirtualAccount = { id: newId('va'), name: `Region-${r}`, parentId: state.defaultVa.id, tags: {}, createdAt: now.toISOString() };
      vas.push(region);
      paths.push(`Default/Region-${r}`);
      for (let s = 0; s < SITES; s++) {
        vas.push({ id: newId('va'), name: `Site-${r}-${s}`, parentId: region.id, tags: {}, createdAt: now.toISOString() });
        paths.push(`Default/Region-${r}/Site-${r}-${s}`);
      }
    }
    for (const va of vas) {
      tx.put(keys.va(va.id), va);
      tx.after(() => state.putVa(va));
    }
  });
  const lines: Line[] = paths.flatMap((p, v) =>
    ENTITLEMENTS.map((entitlement, e) => ({
      lineId: `L-${v}-${e}`,
      sku: `SKU-${e}`,
      entitlement,
      description: `${entitlement} for ${p}`,
      quantity: Math.max(1, Math.round((n / vas.length) * 1.6)),
      type: e % 3 === 0 ? 'perpetual' : 'term',
      startsAt: new Date(now.getTime() - 400 * 86_400_000).toISOString(),
      endsAt: e % 3 === 0 ? null : new Date(now.getTime() + (20 + e * 30) * 86_400_000).toISOString(),
      virtualAccount: p,
    })),
  );
  await sat.services.licensing.applyEntitlementSnapshot(lines, { actor: 'cloud' });

  const rnd = random(n);
  const want = new Set<number>();
  while (want.size < Math.min(sampleSize, n)) want.add(Math.floor(rnd() * n));
  const sample: Array<{ id: string; credentialId: string }> = [];

  const CHUNK = 10_000;
  const nowMs = now.getTime();
  for (let start = 0; start < n; start += CHUNK) {
    await writer.run(async (tx) => {
      for (let i = start; i < Math.min(start + CHUNK, n); i++) {
        const m = i % 100;
        const device: DeviceRecord = {
          id: newId('dev'),
          udi: { pid: PIDS[i % PIDS.length]!, sn: `FOC${String(i).padStart(8, '0')}` },
          hostname: `sw-${i}.site${i % 97}.example.net`,
          vaId: vas[i % vas.length]!.id,
          state: m === 7 ? 'deregistered' : 'registered',
          via: m === 3 ? 'policy' : m === 5 ? 'collector' : 'token',
          registeredAt: new Date(nowMs - 86_400_000 * 2 - ((i * 7919) % (365 * 1440)) * 60_000).toISOString(),
          credentialId: newId('crd'),
          revoked: false,
          ...(m === 5 ? { target: 'bench-target' } : {}),
        };
        let latest: LatestUsage | undefined;
        if (i % 50 !== 0) {
          const usage: Record<string, number> = {};
          for (let e = 0; e < ENTITLEMENTS.length; e++) usage[ENTITLEMENTS[e]!] = (i + e) % 3;
          const at = new Date(nowMs - 3_600_000 - ((i * 104729) % 86_400) * 1000).toISOString();
          latest = { reportId: randomUUID(), windowEnd: at, usage, lastReportAt: at };
        }
        await STAGE(tx, state, device, latest);
        if (want.has(i) && device.state === 'registered') sample.push({ id: device.id, credentialId: device.credentialId! });
      }
    });
  }
  if (process.env.BENCH_DEBUG) console.error(`devices written: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const credentials = await Promise.all(sample.map(async (d) => ({ id: d.id, credential: await issueCredential(identity, d.id, d.credentialId, now) })));
  const out: ScaleSample = { devices: credentials, vaPaths: { region: 'Default/Region-0', site: 'Default/Region-0/Site-0-0' } };
  writeFileSync(sampleFile, JSON.stringify(out));
  await sat.close();
  if (process.env.BENCH_DEBUG) console.error(`closed: ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Reopen once and wait until the satellite has finished what it does in the background at
  // start (index or counter rebuilds): its CPU use stays under 5% for two seconds running.
  const settle0 = performance.now();
  const again = await open(dataDir);
  if (process.env.BENCH_DEBUG) console.error(`reopened: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  let quiet = 0;
  while (quiet < 4 && performance.now() - settle0 < 600_000) {
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 500));
    const c = process.cpuUsage(c0);
    quiet = (c.user + c.system) / 1000 < 25 ? quiet + 1 : 0;
  }
  await again.close();
  const settleSeconds = (performance.now() - settle0) / 1000;
  return { seconds: (performance.now() - started) / 1000, settleSeconds };
}
