// A simulated device: registers with a token, reports usage.
import { randomUUID } from 'node:crypto';
import { http, type Answer } from './satellite.ts';
import { control } from './control.ts';
import type { DeviceRecord } from '../../daemon/domain/satellite/records.ts';
import { keys, prefixRange, type Store } from '../../daemon/store/index.ts';

export async function createToken(socketPath: string, body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const res = await control(socketPath, 'POST', '/api/tokens', { virtualAccountId: 'Default', ...body });
  if (res.status !== 201) throw new Error(`token create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function registerDevice(deviceUrl: string, token: string, sn = `SN${Math.random().toString(36).slice(2, 10).toUpperCase()}`, extra: Record<string, unknown> = {}) {
  const res = await http(`POST`, `${deviceUrl}/v1/register`, { body: { token, udi: { pid: 'C9300-24P', sn }, hostname: `sw-${sn}`, ...extra } });
  return res as Answer<{ deviceId: string; credential: string; virtualAccount: { id: string; path: string } }>;
}

export function report(now: Date, usage: Array<{ entitlement: string; count: number }> = [{ entitlement: 'network-advantage', count: 3 }], reportId = randomUUID()) {
  return {
    reportId,
    window: { start: new Date(now.getTime() - 3_600_000).toISOString(), end: now.toISOString() },
    usage,
  };
}

export function postReport(deviceUrl: string, credential: string, body: unknown) {
  return http('POST', `${deviceUrl}/v1/reports`, { body, headers: { authorization: `Bearer ${credential}` } });
}

/** Every device record in a satellite's store (the state no longer holds the fleet). */
export async function allDevices(store: Store): Promise<DeviceRecord[]> {
  const out: DeviceRecord[] = [];
  for await (const [, d] of store.iterate<DeviceRecord>(prefixRange(keys.devicePrefix))) out.push(d);
  return out;
}
