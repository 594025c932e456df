// License fixtures for integration tests: VAs written as the VA API will write them, entitlement
// lines, a store dump for "nothing changed" checks, and simulated devices that report usage.
import { randomUUID } from 'node:crypto';
import { keys } from '../../daemon/store/index.ts';
import { newId } from '../../daemon/domain/satellite/ids.ts';
import type { VirtualAccount } from '../../daemon/domain/satellite/records.ts';
import type { Line } from '../../daemon/domain/licenses/core/index.ts';
import { createToken, postReport, registerDevice } from './devices.ts';
import type { TestSatellite } from './satellite.ts';
import { clockDriven } from './exchange.ts';

export const DAY = 86_400_000;

/** Creates the VAs of `path` that are missing (as the VA API will); answers the last one's id. */
export async function ensureVa(sat: TestSatellite, path: string): Promise<string> {
  const { state } = sat.ctx;
  let parentId: string | null = null;
  let id = '';
  const names = path.split('/');
  for (let i = 0; i < names.length; i++) {
    const existing = state.vaByPath(names.slice(0, i + 1).join('/'));
    if (existing) {
      id = existing.id;
      parentId = id;
      continue;
    }
    const va: VirtualAccount = { id: newId('va'), name: names[i]!, parentId, tags: {}, createdAt: sat.clock().toISOString() };
    await sat.ctx.writer.run((tx) => {
      tx.put(keys.va(va.id), va);
      tx.after(() => state.putVa(va));
    });
    id = va.id;
    parentId = id;
  }
  return id;
}

/** A term line of `network-advantage`: 10 licenses, started 30 days before `now`, ending in a year, landing in Default. */
export function line(now: Date, overrides: Partial<Line> = {}): Line {
  return {
    lineId: 'L-1',
    sku: 'C9300-NA-1Y',
    entitlement: 'network-advantage',
    description: 'Network Advantage, 1 year',
    quantity: 10,
    type: 'term',
    startsAt: new Date(now.getTime() - 30 * DAY).toISOString(),
    endsAt: new Date(now.getTime() + 365 * DAY).toISOString(),
    virtualAccount: 'Default',
    ...overrides,
  };
}

export function applyLines(sat: TestSatellite, lines: unknown) {
  return sat.services.licensing.applyEntitlementSnapshot(lines, { actor: 'cloud' });
}

/** Every record in the store, as JSON text by key (but what jobs write on the clock alone). */
export async function dumpStore(sat: TestSatellite): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const [k, v] of sat.ctx.store.iterate({})) if (!clockDriven(k, v)) out[k] = JSON.stringify(v);
  return out;
}

/** Registers a device into `va` (a path) and reports `usage`; answers its id and credential. */
export async function deviceWithUsage(sat: TestSatellite, va: string, usage: Record<string, number>, sn = `SN${randomUUID().slice(0, 8)}`) {
  const { token } = await createToken(sat.socketPath, { virtualAccountId: va });
  const reg = await registerDevice(sat.device, token, sn);
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${JSON.stringify(reg.body)}`);
  const now = sat.clock();
  const entries = Object.entries(usage).map(([entitlement, count]) => ({ entitlement, count }));
  const res = await postReport(sat.device, reg.body.credential, {
    reportId: randomUUID(),
    window: { start: new Date(now.getTime() - 3_600_000).toISOString(), end: now.toISOString() },
    usage: entries.length > 0 ? entries : [{ entitlement: 'none', count: 0 }],
  });
  if (res.status !== 202) throw new Error(`report answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { deviceId: reg.body.deviceId, credential: reg.body.credential, sn };
}

/** The pools of `GET /api/licenses?…` over the control socket, as `va/entitlement` → pool. */
export function byPool(items: Array<{ virtualAccount: { path: string } | null; entitlement: string }>): Record<string, any> {
  return Object.fromEntries(items.map((p) => [`${p.virtualAccount?.path ?? '*'}/${p.entitlement}`, p]));
}
