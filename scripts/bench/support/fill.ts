// For the pools and xlsx cases: a satellite filled with many devices (in a child process),
// requests over the control socket, percentiles.
//
// Filling: devices are written straight through the one writer (the records registration and
// ingest would write: the device, its UDI index and its latest usage, 2,000 devices a
// transaction), and lines through `applyEntitlementSnapshot`; 100,000 registrations and
// reports over HTTP would take minutes and measure something else. The satellite is then closed
// and opened again, so what is measured runs on a satellite loaded from disk as in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { loadConfig } from '../../../daemon/config/index.ts';
import { stageDevice, stageLatest } from '../../../daemon/domain/devices/device-index.ts';
import { newId } from '../../../daemon/domain/satellite/ids.ts';
import type { DeviceRecord, LatestUsage, VirtualAccount } from '../../../daemon/domain/satellite/records.ts';
import type { Line } from '../../../daemon/domain/licenses/core/index.ts';
import { createLogger } from '../../../daemon/log.ts';
import { openSatellite, type Satellite } from '../../../daemon/main.ts';
import { keys } from '../../../daemon/store/index.ts';

export { median } from '../lib.ts';

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

export function tempDataDir(): { dataDir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'op-bench-'));
  return { dataDir: path.join(dir, 'data'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function open(dataDir: string): Promise<Satellite> {
  const config = loadConfig({ env: {}, overrides: { dataDir, 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0', 'log.level': 'silent' } });
  return openSatellite(config, { log: createLogger('silent') });
}

export interface FillShape {
  devices: number;
  vas: number;
  entitlements: number;
}

/** Fills a new satellite in `dataDir` and closes it. */
export async function fill(dataDir: string, shape: FillShape): Promise<{ seconds: number }> {
  const started = performance.now();
  const sat = await open(dataDir);
  const { state, writer, clock } = { state: sat.ctx.state, writer: sat.ctx.writer, clock: sat.ctx.clock };
  const now = clock();
  const vaIds: string[] = [];
  await writer.run((tx) => {
    for (let i = 0; i < shape.vas; i++) {
      const va: VirtualAccount = { id: newId('va'), name: `VA-${i}`, parentId: state.defaultVa.id, tags: {}, createdAt: now.toISOString() };
      vaIds.push(va.id);
      tx.put(keys.va(va.id), va);
      tx.after(() => state.putVa(va));
    }
  });
  const ents = Array.from({ length: shape.entitlements }, (_, i) => `entitlement-${String(i).padStart(2, '0')}`);
  const lines: Line[] = vaIds.flatMap((_, v) =>
    ents.map((entitlement, e) => ({
      lineId: `L-${v}-${e}`,
      sku: `SKU-${e}`,
      entitlement,
      description: `${entitlement} for VA-${v}`,
      quantity: Math.round((shape.devices / shape.vas) * 1.6),
      type: e % 3 === 0 ? 'perpetual' : 'term',
      startsAt: new Date(now.getTime() - 30 * 86_400_000).toISOString(),
      endsAt: e % 3 === 0 ? null : new Date(now.getTime() + (20 + e * 30) * 86_400_000).toISOString(),
      virtualAccount: `Default/VA-${v}`,
    })),
  );
  await sat.services.licensing.applyEntitlementSnapshot(lines, { actor: 'cloud' });

  const CHUNK = 2000;
  for (let start = 0; start < shape.devices; start += CHUNK) {
    await writer.run(async (tx) => {
      for (let i = start; i < Math.min(start + CHUNK, shape.devices); i++) {
        const device: DeviceRecord = {
          id: newId('dev'),
          udi: { pid: 'C9300-24P', sn: `FOC${String(i).padStart(8, '0')}` },
          hostname: `sw-${i}.example.net`,
          vaId: vaIds[i % vaIds.length]!,
          state: 'registered',
          via: 'token',
          registeredAt: now.toISOString(),
          credentialId: newId('crd'),
          revoked: false,
        };
        const usage: Record<string, number> = {};
        for (let e = 0; e < ents.length; e++) usage[ents[e]!] = (i + e) % 4;
        const at = new Date(now.getTime() - (i % 1440) * 60_000).toISOString();
        const latest: LatestUsage = { reportId: randomUUID(), windowEnd: at, usage, lastReportAt: at };
        // As registration then a first report stage them: records, index entries and counters
        // in the same batch, the views told once it is durable.
        await stageDevice(tx, state, undefined, device);
        await stageLatest(tx, state, device, undefined, latest, { newer: true, before: undefined });
      }
    });
  }
  await sat.close();
  return { seconds: (performance.now() - started) / 1000 };
}

/** A keep-alive client for one unix socket. */
export function socketClient(socketPath: string) {
  const agent = new Agent({ connect: { socketPath }, keepAliveTimeout: 60_000 });
  return {
    async get(p: string): Promise<{ status: number; bytes: number; ms: number }> {
      const t0 = performance.now();
      const res = await request(`http://localhost${p}`, { dispatcher: agent });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, bytes: body.length, ms: performance.now() - t0 };
    },
    close: () => agent.close(),
  };
}

export const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;

const CHILD = new URL('./child.ts', import.meta.url).pathname;

/** Runs support/child.ts in its own process; `firstLine` is the JSON line it prints. */
export function runChild(args: string[], nodeFlags: string[] = []): { child: ChildProcess; firstLine: Promise<any> } {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const firstLine = new Promise((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l)));
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  return { child, firstLine };
}

/** `fill` in a child process, so the measuring process holds nothing left over from filling. */
export async function fillInChild(dataDir: string, shape: FillShape): Promise<{ seconds: number }> {
  const { child, firstLine } = runChild(['fill', dataDir, String(shape.devices), String(shape.vas), String(shape.entitlements)]);
  const result = await firstLine;
  await new Promise((r) => child.once('exit', r));
  return result;
}
