// `npm run bench -- exchange [--reports N] [--small N] [--rounds N] [--devices N]`
//
// Export of N unacknowledged reports (default 1,000,000; exchange.maxReportBytes raised to
// 1 GiB so they fit one bundle) and import of the cloud response that
// acknowledges them all, each measured in a fresh process on a fresh copy of the data, medians
// of the rounds. Targets: export ≥ 100,000 reports/s, peak RSS < 256 MB and within ±20 % of the
// RSS of exporting --small (default 100,000); import < 5 s. Baseline, same run: a raw scan of
// the same queue (iterate `rpq!` in order, decode each report, no bundle). Peak RSS is reported as
// the total (VmHWM, what `ps` and the target mean), and its anonymous (RssAnon: the process's own
// memory) and file-backed (RssFile: the node binary, LevelDB's memory-mapped tables) parts.
//
// How the store is filled: one in-process satellite registers (a crafted registration response
// signed by a bench cloud key) and `--devices` devices through the domain code, then closes;
// the reports go in directly through LevelStore batches with the real key layout — per report
// `rep!<reportId>` (StoredReport), `rpq!<seq16>` (the QueuedReport) and
// `drp!<deviceId>!<seq16>` → reportId, then `meta!reports` and `meta!seq!report` — as ingest
// would have written them. Each round copies that data dir.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { request } from 'undici';
import { generateSigningKey, jwksOf, exportPrivateJwk, importPrivateKey, publicJwkOf, writeBundle } from '../../exchange/bundle/index.ts';
import type { JWK } from 'jose';
import { loadConfig } from '../../daemon/config/index.ts';
import { openSatellite, type Satellite } from '../../daemon/main.ts';
import { createDevices } from '../../daemon/domain/devices/registration.ts';
import { createTokens } from '../../daemon/domain/devices/tokens.ts';
import { keys, type BatchOp } from '../../daemon/store/index.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import type { QueuedReport, StoredReport } from '../../daemon/domain/satellite/records.ts';
import { fmt, median } from './lib.ts';

const SELF = fileURLToPath(import.meta.url);
const ACCOUNT = 'acc_bench';

export default async function exchange(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      reports: { type: 'string', default: '1000000' },
      small: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '3' },
      devices: { type: 'string', default: '1000' },
    },
  });
  const large = Number(values.reports);
  const small = Number(values.small);
  const rounds = Number(values.rounds);
  const devices = Number(values.devices);
  const root = await mkdtemp(path.join(os.tmpdir(), 'op-bench-exchange-'));
  try {
    const cloud = generateSigningKey();
    const cloudFile = path.join(root, 'cloud.json');
    await writeFile(cloudFile, JSON.stringify(exportPrivateJwk(cloud.privateKey)));
    await writeFile(path.join(root, 'cloud-keys.json'), JSON.stringify(await jwksOf([cloud.publicJwk])));

    console.log(`exchange: ${fmt(large)} and ${fmt(small)} unacknowledged reports from ${fmt(devices)} devices, ${rounds} rounds, each step in a fresh process`);
    const templates: Record<number, string> = {};
    for (const n of [small, large]) {
      const t0 = performance.now();
      templates[n] = path.join(root, `template-${n}`);
      await child('prepare', templates[n]!, root, String(n), String(devices));
      const { size } = await dirSize(templates[n]!);
      console.log(`filled ${fmt(n)} reports in ${fmt((performance.now() - t0) / 1000, 1)} s (database ${fmt(size / 1e6)} MB)`);
    }

    const rows: Array<{ scan: Result; exportLarge: Result; importLarge: Result; exportSmall: Result }> = [];
    for (let r = 1; r <= rounds; r++) {
      const work = async (n: number) => {
        const dir = path.join(root, `work-${r}-${n}`);
        await rm(dir, { recursive: true, force: true });
        await cp(templates[n]!, dir, { recursive: true });
        return dir;
      };
      const largeDir = await work(large);
      const scan = await child('scan', largeDir, root);
      const exportLarge = await child('export', largeDir, root);
      const importLarge = await child('import', largeDir, root, String(exportLarge.sequence));
      await rm(largeDir, { recursive: true, force: true });
      const smallDir = await work(small);
      const exportSmall = await child('export', smallDir, root);
      await rm(smallDir, { recursive: true, force: true });
      rows.push({ scan, exportLarge, importLarge, exportSmall });
      console.log(
        `round ${r}: scan ${fmt(scan.perSecond!)} reports/s | export ${fmt(exportLarge.perSecond!)} reports/s, ${fmt(exportLarge.seconds, 2)} s, ` +
          `peak RSS total ${fmt(exportLarge.rssMb)} MB, anon ${fmt(exportLarge.anonMb!)}, file ${fmt(exportLarge.fileMb!)} ` +
          `(${fmt(small)}: ${fmt(exportSmall.rssMb)}, ${fmt(exportSmall.anonMb!)}, ${fmt(exportSmall.fileMb!)}), bundle ${fmt(exportLarge.bytes! / 1e6, 1)} MB | ` +
          `import ${fmt(importLarge.seconds, 2)} s, ${fmt(importLarge.acknowledged!)} acknowledged, queue housekeeping after it ${fmt(importLarge.housekeeping!, 1)} s`,
      );
    }
    const m = (f: (x: (typeof rows)[number]) => number) => median(rows.map(f));
    const scanRate = m((x) => x.scan.perSecond!);
    const exportRate = m((x) => x.exportLarge.perSecond!);
    const rssLarge = m((x) => x.exportLarge.rssMb);
    const rssSmall = m((x) => x.exportSmall.rssMb);
    const importSeconds = m((x) => x.importLarge.seconds);
    console.log(`\nmedian raw scan (baseline):   ${fmt(scanRate)} reports/s`);
    console.log(`median export:                ${fmt(exportRate)} reports/s (${fmt(m((x) => x.exportLarge.seconds), 2)} s)   target ≥ 100,000`);
    console.log(`ratio export / raw scan:      ${fmt(exportRate / scanRate, 2)}`);
    const anonLarge = m((x) => x.exportLarge.anonMb!);
    const anonSmall = m((x) => x.exportSmall.anonMb!);
    const fileLarge = m((x) => x.exportLarge.fileMb!);
    const fileSmall = m((x) => x.exportSmall.fileMb!);
    const ratio = (a: number, b: number) => `${fmt(a / b, 2)}× (${a >= b ? '+' : ''}${fmt((a / b - 1) * 100, 1)} %)`;
    console.log(`median peak RSS of an export, ${fmt(large)} vs ${fmt(small)} reports:`);
    console.log(`  total (VmHWM):              ${fmt(rssLarge)} MB vs ${fmt(rssSmall)} MB, ${ratio(rssLarge, rssSmall)}   target < 256 MB, within ±20 %`);
    console.log(`  anonymous (RssAnon):        ${fmt(anonLarge)} MB vs ${fmt(anonSmall)} MB, ${ratio(anonLarge, anonSmall)} — the process's own memory`);
    console.log(`  file-backed (RssFile):      ${fmt(fileLarge)} MB vs ${fmt(fileSmall)} MB — the node binary and LevelDB's mmapped tables (at most 64 open)`);
    console.log(`  (RssAnon and RssFile peaks are sampled every 25 ms, each at its own moment: they need not add up to the total)`);
    console.log(`median import:                ${fmt(importSeconds, 2)} s for ${fmt(large)} acknowledgements (peak RSS ${fmt(m((x) => x.importLarge.rssMb))} MB)   target < 5 s`);
    console.log(`/v1/acks after import:        ${rows[0]!.importLarge.acksPage} acks on the first page of one device (pages hold at most 1,000)`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

interface Result {
  seconds: number;
  rssMb: number;
  anonMb?: number;
  fileMb?: number;
  /** Seconds the queue housekeeping after an import took (in the background, not in `seconds`). */
  housekeeping?: number;
  perSecond?: number;
  sequence?: number;
  bytes?: number;
  acknowledged?: number;
  acksPage?: number;
}

async function child(mode: string, dataDir: string, root: string, ...rest: string[]): Promise<Result> {
  const proc = spawn(process.execPath, ['--import', 'tsx', SELF, mode, dataDir, root, ...rest], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  const [code] = await once(proc, 'exit');
  if (code !== 0) throw new Error(`bench child ${mode} exited ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Result;
}

async function dirSize(dir: string): Promise<{ size: number }> {
  const { readdir } = await import('node:fs/promises');
  let size = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) size += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return { size };
}

// ——— child processes ———

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

/**
 * Peak RSS split in two (Linux): anonymous memory, which is the process's own, and file-backed
 * pages, which are mostly LevelDB's memory-mapped table files — the page cache seen through the
 * mapping, which grows with the data read and is reclaimable — plus the node binary.
 */
function rssSplit(): { stop(): { anonMb: number; fileMb: number } } {
  const peak = { anon: 0, file: 0 };
  const sample = () => {
    const text = readFileSync('/proc/self/status', 'utf8');
    peak.anon = Math.max(peak.anon, Number(/RssAnon:\s+(\d+)/.exec(text)?.[1] ?? 0));
    peak.file = Math.max(peak.file, Number(/RssFile:\s+(\d+)/.exec(text)?.[1] ?? 0));
  };
  sample();
  const timer = setInterval(sample, 25);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { anonMb: peak.anon / 1024, fileMb: peak.file / 1024 };
    },
  };
}

async function open(dataDir: string, root: string): Promise<Satellite> {
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      'device.listen': '127.0.0.1:0',
      'admin.listen': '127.0.0.1:0',
      'log.level': 'warn',
      'exchange.cloudKeys': path.join(root, 'cloud-keys.json'),
      // A million reports are ~300 MB of NDJSON: over the 256 MiB default, so one bundle needs more room.
      'exchange.maxReportBytes': 1024 ** 3,
    },
  });
  return openSatellite(config, { log: pino({ level: 'warn' }), env: {} });
}

async function cloudKey(root: string) {
  const { readFile } = await import('node:fs/promises');
  const privateKey = importPrivateKey(JSON.parse(await readFile(path.join(root, 'cloud.json'), 'utf8')) as JWK);
  return { privateKey, publicJwk: publicJwkOf(privateKey) };
}

async function prepare(dataDir: string, root: string, reports: number, deviceCount: number): Promise<void> {
  const sat = await open(dataDir, root);
  const { ctx, exchange } = sat;
  const request = await exchange.registrationRequest('bench-token', 'bench');
  await request.discard();
  const responseFile = path.join(root, `registration-${reports}.zip`);
  await writeBundle({
    out: responseFile,
    ...(await cloudKey(root)),
    manifest: {
      kind: 'registration-response',
      satellite: ctx.identity.id,
      account: ACCOUNT,
      sequence: 1,
      inReplyTo: 0,
      createdAt: new Date().toISOString(),
      profile: { name: 'Bench', domain: 'bench.example', type: 'customer' },
      policy: { reportIntervalHours: 24 },
    },
    files: [{ name: 'entitlements.ndjson', records: [] }],
  });
  await exchange.importStream(createReadStream(responseFile), null, 'bench');
  const token = await createTokens(ctx).create({ virtualAccountId: 'Default' }, 'bench');
  const devices = createDevices(ctx);
  const ids: string[] = [];
  let credential = '';
  for (let i = 0; i < deviceCount; i++) {
    const r = await devices.register({ token: token.token, udi: { pid: 'C9300-24P', sn: `BENCH${String(i).padStart(7, '0')}` } });
    ids.push(r.body.deviceId);
    if (i === 0) credential = r.body.credential;
  }
  await writeFile(path.join(dataDir, 'bench-device.json'), JSON.stringify({ deviceId: ids[0], credential }));
  const vaId = ctx.state.defaultVa.id;
  await sat.close();

  // The reports, straight into the store with the real key layout.
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  const now = Date.now();
  let ops: BatchOp[] = [];
  for (let seq = 1; seq <= reports; seq++) {
    const reportId = randomUUID();
    const end = new Date(now - (reports - seq) * 1000);
    const report: StoredReport = { reportId, deviceId: ids[seq % ids.length]!, receivedAt: end.toISOString(), digest: 'f'.repeat(64), seq };
    const queued: QueuedReport = {
      reportId,
      deviceId: report.deviceId,
      vaId,
      window: { start: new Date(end.getTime() - 3_600_000).toISOString(), end: end.toISOString() },
      usage: [
        { entitlement: 'network-advantage', count: (seq % 5) + 1 },
        { entitlement: 'dna-advantage', count: seq % 3 },
        { entitlement: 'essentials', count: 1 },
      ],
      receivedAt: report.receivedAt,
    };
    ops.push(
      { type: 'put', key: keys.report(reportId), value: report },
      { type: 'put', key: keys.unacked(seq), value: queued },
      { type: 'put', key: keys.deviceReport(report.deviceId, seq), value: reportId },
    );
    if (ops.length >= 30_000) {
      await store.batch(ops);
      ops = [];
    }
  }
  ops.push({ type: 'put', key: keys.reportCounts, value: { total: reports, unacknowledged: reports } }, { type: 'put', key: keys.seq('report'), value: reports });
  await store.batch(ops, { sync: true });
  await store.close();
}

/** The baseline: the same queue read raw, in order, every value decoded; no bundle. */
async function scan(dataDir: string): Promise<Result> {
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  const t0 = performance.now();
  let n = 0;
  for await (const [, q] of store.iterate<QueuedReport>({ gte: keys.unackedPrefix, lt: keys.unackedPrefix + '\uffff' })) if (q.reportId) n++;
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  return { seconds, perSecond: n / seconds, rssMb: peakRssMb() };
}

async function exportOnce(dataDir: string, root: string): Promise<Result> {
  const sat = await open(dataDir, root);
  const before = sat.ctx.state.reportCounts.unacknowledged;
  const split = rssSplit();
  const t0 = performance.now();
  const result = await sat.exchange.exportReport('bench');
  const seconds = (performance.now() - t0) / 1000;
  const { anonMb, fileMb } = split.stop();
  const { size } = await stat(result.file.path);
  await result.file.discard();
  await sat.close();
  if (result.more) throw new Error('the export did not fit exchange.maxReportBytes');
  return { seconds, perSecond: before / seconds, rssMb: peakRssMb(), anonMb, fileMb, sequence: result.sequence, bytes: size };
}

async function importOnce(dataDir: string, root: string, sequence: number): Promise<Result> {
  const sat = await open(dataDir, root);
  const file = path.join(root, `response-${process.pid}.zip`);
  await writeBundle({
    out: file,
    ...(await cloudKey(root)),
    manifest: { kind: 'cloud-response', satellite: sat.ctx.identity.id, account: ACCOUNT, sequence: 2, inReplyTo: sequence, createdAt: new Date().toISOString(), policy: { reportIntervalHours: 24 } },
    files: [{ name: 'entitlements.ndjson', records: [] }],
  });
  const { size } = await stat(file);
  const t0 = performance.now();
  const result = await sat.exchange.importStream(createReadStream(file), size, 'bench');
  const seconds = (performance.now() - t0) / 1000;
  const { credential } = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(dataDir, 'bench-device.json'), 'utf8')) as { credential: string };
  const res = await request(`${sat.listeners.device}/v1/acks`, { headers: { authorization: `Bearer ${credential}` } });
  const page = (await res.body.json()) as { acks: unknown[] };
  const t1 = performance.now();
  await sat.exchange.settled();
  const housekeeping = (performance.now() - t1) / 1000 + (t1 - t0) / 1000 - seconds;
  await sat.close();
  await rm(file, { force: true });
  return { seconds, rssMb: peakRssMb(), acknowledged: result.changes.acknowledged, acksPage: page.acks.length, housekeeping };
}

if (process.argv[1] === SELF) {
  const [mode, dataDir, root, arg, arg2] = process.argv.slice(2) as [string, string, string, string?, string?];
  let result: Result | null = null;
  if (mode === 'prepare') await prepare(dataDir, root, Number(arg), Number(arg2));
  else if (mode === 'scan') result = await scan(dataDir);
  else if (mode === 'export') result = await exportOnce(dataDir, root);
  else if (mode === 'import') result = await importOnce(dataDir, root, Number(arg));
  else throw new Error(`unknown bench child mode ${mode}`);
  process.stdout.write(JSON.stringify(result ?? { seconds: 0, rssMb: peakRssMb() }) + '\n');
}
