// `npm run bench -- startup [--reports N] [--devices N]`
// Start-up time (spawn to both listeners) and RSS of a daemon whose store holds 1,000,000 reports
// from 10,000 devices, against the same daemon on an empty data dir, in the same run; medians of 3.
// The store is filled directly through LevelStore batches with the daemon's own key layout
// (devices, UDI index, latest usage, reports, the unacknowledged queue, per-device index, counters).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { keys } from '../../daemon/store/keys.ts';
import { type BatchOp } from '../../daemon/store/index.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import type { DeviceRecord, LatestUsage, QueuedReport, StoredReport, VirtualAccount } from '../../daemon/domain/satellite/records.ts';
import { fmt, median, rssMb, startOutpost } from './lib.ts';

async function fill(dataDir: string, devices: number, reports: number): Promise<void> {
  const first = await startOutpost(dataDir); // bootstrap: identity, Default VA, initial admin
  await first.stop();
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  let va: VirtualAccount | undefined;
  for await (const [, v] of store.iterate<VirtualAccount>({ gte: keys.vaPrefix, lt: keys.vaPrefix + '~' })) va = v;
  const now = Date.now();
  const ids: string[] = [];
  let ops: BatchOp[] = [];
  const flush = async (force = false) => {
    if (ops.length >= 20_000 || force) {
      await store.batch(ops, { sync: force });
      ops = [];
    }
  };
  for (let i = 0; i < devices; i++) {
    const d: DeviceRecord = {
      id: `dev_bench${String(i).padStart(7, '0')}`,
      udi: { pid: 'C9300-24P', sn: `BENCH${String(i).padStart(7, '0')}` },
      hostname: `sw-${i}`,
      vaId: va!.id,
      state: 'registered',
      via: 'token',
      registeredAt: new Date(now - 86_400_000).toISOString(),
      credentialId: `crd_${i}`,
      revoked: false,
    };
    ids.push(d.id);
    ops.push({ type: 'put', key: keys.device(d.id), value: d }, { type: 'put', key: keys.udi(d.udi.pid, d.udi.sn), value: d.id });
    await flush();
  }
  const perDevice = Math.ceil(reports / devices);
  let seq = 0;
  for (let r = 0; r < perDevice; r++) {
    for (let i = 0; i < devices && seq < reports; i++) {
      seq++;
      const end = new Date(now - (perDevice - r) * 3_600_000).toISOString();
      const rep: StoredReport = { reportId: randomUUID(), deviceId: ids[i]!, receivedAt: end, digest: 'bench', seq };
      const queued: QueuedReport = {
        reportId: rep.reportId,
        deviceId: rep.deviceId,
        vaId: va!.id,
        window: { start: new Date(Date.parse(end) - 3_600_000).toISOString(), end },
        usage: [{ entitlement: 'network-advantage', count: 2 }, { entitlement: 'dna-advantage', count: 1 }],
        receivedAt: end,
      };
      ops.push(
        { type: 'put', key: keys.report(rep.reportId), value: rep },
        { type: 'put', key: keys.unacked(seq), value: queued },
        { type: 'put', key: keys.deviceReport(rep.deviceId, seq), value: rep.reportId },
      );
      if (r === perDevice - 1) {
        const latest: LatestUsage = { reportId: rep.reportId, windowEnd: end, usage: { 'network-advantage': 2, 'dna-advantage': 1 }, lastReportAt: end };
        ops.push({ type: 'put', key: keys.latestUsage(ids[i]!), value: latest });
      }
      await flush();
    }
  }
  ops.push({ type: 'put', key: keys.seq('report'), value: seq }, { type: 'put', key: keys.reportCounts, value: { total: seq, unacknowledged: seq } });
  await flush(true);
  await store.close();
}

async function measure(dataDir: string) {
  const s = await startOutpost(dataDir);
  await new Promise((r) => setTimeout(r, 1000));
  const rss = rssMb(s.child.pid!);
  await s.stop();
  return { ms: s.startMs, rss };
}

export default async function startup(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { reports: { type: 'string', default: '1000000' }, devices: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' } } });
  const reports = Number(values.reports);
  const devices = Number(values.devices);
  const root = mkdtempSync(path.join(os.tmpdir(), 'op-bench-'));
  try {
    const full = path.join(root, 'full');
    const empty = path.join(root, 'empty');
    const t0 = performance.now();
    await fill(full, devices, reports);
    console.log(`filled ${fmt(reports)} reports from ${fmt(devices)} devices in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    await startOutpost(empty).then((s) => s.stop());
    // "full" starts after a graceful shutdown, which saved the report id filter; "cold" starts
    // without it (as the first start after a crash), so the filter is filled by a scan of the
    // store in the background — measured 1 s after listening, while or just after it runs.
    const bloom = path.join(full, 'report-ids.bloom');
    await startOutpost(full).then((s) => s.stop());
    const e: Array<{ ms: number; rss: number }> = [];
    const f: Array<{ ms: number; rss: number }> = [];
    const c: Array<{ ms: number; rss: number }> = [];
    for (let r = 1; r <= Number(values.rounds); r++) {
      e.push(await measure(empty));
      f.push(await measure(full));
      rmSync(bloom, { force: true });
      c.push(await measure(full));
      console.log(
        `round ${r}: empty ${fmt(e.at(-1)!.ms)} ms, ${fmt(e.at(-1)!.rss)} MB | full ${fmt(f.at(-1)!.ms)} ms, ${fmt(f.at(-1)!.rss)} MB | ` +
          `cold ${fmt(c.at(-1)!.ms)} ms, ${fmt(c.at(-1)!.rss)} MB`,
      );
    }
    const em = median(e.map((x) => x.ms));
    const fm = median(f.map((x) => x.ms));
    console.log(`\nmedian start-up to listening: empty ${fmt(em)} ms, with ${fmt(reports)} reports ${fmt(fm)} ms (ratio ${fmt(fm / em, 2)}; target < 2000 ms); cold ${fmt(median(c.map((x) => x.ms)))} ms`);
    console.log(`median RSS after start: empty ${fmt(median(e.map((x) => x.rss)))} MB, full ${fmt(median(f.map((x) => x.rss)))} MB (target < 200 MB)`);
    console.log(`  cold (no saved report id filter, as after a crash): ${fmt(median(c.map((x) => x.rss)))} MB — the background scan leaves up to 64 LevelDB tables mapped`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
