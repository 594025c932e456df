// `npm run bench -- retention [--reports N] [--devices N] [--senders N]`
//
// Pruning N acknowledged reports (default 100,000) from `--devices` devices (default 1,000)
// through the retention job, while `--senders` devices (default 8) keep posting reports: the
// prune's time, and report latency (p50, p99) before and during it. Baseline, same data: the
// same keys deleted raw, in LevelStore batches of the same size, without the writer.
//
// How the store is filled: an in-process satellite (its clock movable) registers the senders
// over HTTP and writes the other devices' records through the writer; the reports go in directly
// through LevelStore batches as ingest and an acknowledgement leave them — `rep!` and `drp!` per
// report (the `rpq!` entry is gone once acknowledged), one acknowledged range (`ackr!`) carried by
// export 1 (`exp!`), `meta!reports`, `meta!seq!report`. The satellite is then opened again, the
// clock moved 500 days on, and the job run from the job table.
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { stageDevice } from '../../daemon/domain/devices/device-index.ts';
import { loadConfig } from '../../daemon/config/index.ts';
import type { AckRange } from '../../daemon/domain/reports/acks.ts';
import type { ExportRecord } from '../../daemon/domain/exchange/book.ts';
import { newId } from '../../daemon/domain/satellite/ids.ts';
import { storedReportKeys } from '../../daemon/domain/reports/ingest.ts';
import { createTokens } from '../../daemon/domain/devices/tokens.ts';
import type { DeviceRecord, StoredReport } from '../../daemon/domain/satellite/records.ts';
import { createLogger } from '../../daemon/log.ts';
import { openSatellite, type Satellite } from '../../daemon/main.ts';
import { keys, type BatchOp } from '../../daemon/store/index.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import { fmt, median } from './lib.ts';

const DAY = 86_400_000;

export default async function retention(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      reports: { type: 'string', default: '100000' },
      devices: { type: 'string', default: '1000' },
      senders: { type: 'string', default: '8' },
    },
  });
  const reports = Number(values.reports);
  const devices = Number(values.devices);
  const senders = Number(values.senders);
  const root = await mkdtemp(path.join(os.tmpdir(), 'op-bench-retention-'));
  try {
    let now = Date.now();
    const clock = () => new Date(now);
    const template = path.join(root, 'template');
    const t0 = performance.now();
    const { credentials, reportKeys } = await prepare(template, clock, reports, devices, senders);
    console.log(`retention: ${fmt(reports)} acknowledged reports from ${fmt(devices)} devices; ${senders} devices reporting meanwhile (filled in ${fmt((performance.now() - t0) / 1000, 1)} s)`);

    // Baseline: the same keys deleted raw, on a copy of the data.
    const rawDir = path.join(root, 'raw');
    await cp(template, rawDir, { recursive: true });
    const store = new LevelStore(path.join(rawDir, 'db'));
    await store.open();
    const r0 = performance.now();
    for (let i = 0; i < reportKeys.length; i += 3000) await store.batch(reportKeys.slice(i, i + 3000).map((key) => ({ type: 'del', key })), { sync: true });
    const rawSeconds = (performance.now() - r0) / 1000;
    await store.close();

    const sat = await open(template, clock);
    const agent = new Agent({ keepAliveTimeout: 60_000, connections: senders });
    let stop = false;
    const latencies: number[] = [];
    const send = async (credential: string) => {
      while (!stop) {
        const end = clock();
        const body = JSON.stringify({
          reportId: randomUUID(),
          window: { start: new Date(end.getTime() - 3_600_000).toISOString(), end: end.toISOString() },
          usage: [{ entitlement: 'network-advantage', count: 3 }],
        });
        const s = performance.now();
        const res = await request(`${sat.listeners.device}/v1/reports`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
          body,
        });
        await res.body.dump();
        if (res.statusCode !== 202) throw new Error(`a report answered ${res.statusCode}`);
        latencies.push(performance.now() - s);
      }
    };
    const measure = async (during: () => Promise<void>) => {
      latencies.length = 0;
      stop = false;
      const loops = credentials.map(send);
      await during();
      stop = true;
      await Promise.all(loops);
      return { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
    };

    const before = await measure(() => new Promise((r) => setTimeout(r, 3000)));
    now += 500 * DAY;
    const job = sat.schedule.jobs.find((j) => j.name === 'retention')!;
    let seconds = 0;
    const during = await measure(async () => {
      const s = performance.now();
      await job.run();
      seconds = (performance.now() - s) / 1000;
    });
    const left = sat.ctx.state.reportCounts;
    await agent.close();
    await sat.close();
    if (left.total !== before.n + during.n) throw new Error(`expected ${before.n + during.n} reports left, the count says ${left.total}`);

    console.log(`prune: ${fmt(seconds, 2)} s (${fmt(reports / seconds)} reports/s); raw deletes of the same keys: ${fmt(rawSeconds, 2)} s; ratio ${fmt(seconds / rawSeconds, 1)}`);
    console.log(`reports meanwhile: before ${fmt(before.n)} in 3 s, p50 ${fmt(before.p50, 1)} ms, p99 ${fmt(before.p99, 1)} ms; during the prune ${fmt(during.n)}, p50 ${fmt(during.p50, 1)} ms, p99 ${fmt(during.p99, 1)} ms`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return p === 50 ? median(s) : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

function open(dataDir: string, clock: () => Date): Promise<Satellite> {
  const config = loadConfig({ env: {}, overrides: { dataDir, 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0', 'log.level': 'silent' } });
  return openSatellite(config, { log: createLogger('silent'), clock });
}

async function prepare(dataDir: string, clock: () => Date, reports: number, devices: number, senders: number) {
  const sat = await open(dataDir, clock);
  const created = clock().toISOString();
  // The senders register over HTTP (they need credentials); the others are written as records.
  const { token } = await createTokens(sat.ctx).create({ virtualAccountId: 'Default' }, 'bench');
  const credentials: string[] = [];
  for (let i = 0; i < senders; i++) {
    const res = await request(`${sat.listeners.device}/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, udi: { pid: 'C9300-24P', sn: `SEND${String(i).padStart(6, '0')}` } }),
    });
    credentials.push(((await res.body.json()) as { credential: string }).credential);
  }
  const ids: string[] = [];
  for (let start = 0; start < devices; start += 2000) {
    await sat.ctx.writer.run(async (tx) => {
      for (let i = start; i < Math.min(start + 2000, devices); i++) {
        const device: DeviceRecord = {
          id: newId('dev'),
          udi: { pid: 'C9300-24P', sn: `FOC${String(i).padStart(8, '0')}` },
          hostname: null,
          vaId: sat.ctx.state.defaultVa.id,
          state: 'registered',
          via: 'token',
          registeredAt: created,
          credentialId: newId('crd'),
          revoked: false,
        };
        ids.push(device.id);
        await stageDevice(tx, sat.ctx.state, undefined, device);
      }
    });
  }
  await sat.close();

  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  const reportKeys: string[] = [];
  let ops: BatchOp[] = [];
  for (let seq = 1; seq <= reports; seq++) {
    const reportId = randomUUID();
    const deviceId = ids[seq % ids.length]!;
    const stored: StoredReport = { reportId, deviceId, receivedAt: created, digest: 'f'.repeat(64), seq };
    ops.push({ type: 'put', key: keys.report(reportId), value: stored }, { type: 'put', key: keys.deviceReport(deviceId, seq), value: reportId });
    reportKeys.push(...storedReportKeys({ reportId, deviceId, seq }));
    if (ops.length >= 30_000) {
      await store.batch(ops);
      ops = [];
    }
  }
  const exported: ExportRecord = {
    sequence: 1,
    createdAt: created,
    bounds: { usageFrom: 0, usage: reports, devices: 0 },
    carried: { usage: reports, devices: null, transfers: null, reservations: null },
    records: { 'usage.ndjson': reports },
    more: false,
  };
  const range: AckRange = { from: 0, upTo: reports, count: reports, bundleSequence: 1, acknowledgedAt: created };
  ops.push(
    { type: 'put', key: keys.exported(1), value: exported },
    { type: 'put', key: keys.seq('export'), value: 1 },
    { type: 'put', key: keys.ackRange(reports), value: range },
    { type: 'put', key: keys.reportCounts, value: { total: reports, unacknowledged: 0 } },
    { type: 'put', key: keys.seq('report'), value: reports },
  );
  await store.batch(ops, { sync: true });
  await store.close();
  return { credentials, reportKeys };
}
