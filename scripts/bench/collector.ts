// `npm run bench -- collector [--products N] [--reports N] [--concurrency N] [--ingest-connections N] [--runs N]`
//
// The pull collector (SPEC §9): N emulated products (default 1,000, each its own HTTPS port) with
// `--reports` closed reports each (default 10), polled by the daemon at `collector.concurrency`
// (default 32). Baseline, same run: a bare undici client making the same requests (close-reports,
// all-reports; Basic auth, the same CA, a fresh connection per product) at the same concurrency and
// discarding the answers. Device ingest runs throughout both, so its p99 while the daemon polls
// is compared with its p99 while the bare client polls the same emulators (their TLS work is in
// both). Each part runs in a process of its own, so none competes with another on an event loop:
// the emulators (scripts/product-emulator.ts, their clock frozen so every poll reads the same
// reports), the bare client (support/bare-poll.ts), the daemon, and this process, which runs the
// ingest load and watches. `--runs` repeats baseline and poll on a fresh daemon each time and
// prints the medians. Figures: poll time and ratio, the daemon's RSS growth, ingest p99 and ratio.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { cpuSeconds, fmt, median, rssMb, startOutpost } from './lib.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EMULATOR = fileURLToPath(new URL('../product-emulator.ts', import.meta.url));
const BARE = fileURLToPath(new URL('./support/bare-poll.ts', import.meta.url));

interface Run {
  baseSeconds: number;
  pollSeconds: number;
  rssGrowth: number;
  baseP99: number;
  pollP99: number;
  baseRps: number;
  pollRps: number;
  failed: number;
  stored: number;
  /** The daemon's CPU seconds (main thread, all threads) during the bare client's poll and during its own. */
  baseCpu: { main: number; total: number };
  pollCpu: { main: number; total: number };
  /** The writer's mean time to write and sync a batch, during each. */
  baseBatchMs: number;
  pollBatchMs: number;
}

export default async function collector(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      products: { type: 'string', default: '1000' },
      reports: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '32' },
      'ingest-connections': { type: 'string', default: '8' },
      runs: { type: 'string', default: '1' },
    },
  });
  const products = Number(values.products);
  const reports = Number(values.reports);
  const concurrency = Number(values.concurrency);
  const root = await mkdtemp(path.join(os.tmpdir(), 'op-bench-collector-'));
  const caFile = path.join(root, 'ca.pem');
  const csvFile = path.join(root, 'targets.csv');
  const emulator = await startEmulators(products, reports, caFile);
  await writeFile(csvFile, emulator.csv);
  console.log(`collector: ${fmt(products)} emulated products × ${reports} reports (their own process), concurrency ${concurrency}; machine shared with other work`);
  const runs: Run[] = [];
  try {
    for (let i = 1; i <= Number(values.runs); i++) {
      const r = await once1(root, i, { products, concurrency, csvFile, caFile, csv: emulator.csv, ingestConnections: Number(values['ingest-connections']) });
      runs.push(r);
      console.log(`  run ${i}: bare client ${fmt(r.baseSeconds, 2)} s, ingest p99 ${fmt(r.baseP99)} ms (${fmt(r.baseRps)} reports/s); daemon poll ${fmt(r.pollSeconds, 2)} s (${r.failed} failed, ${fmt(r.stored)} reports stored), ingest p99 ${fmt(r.pollP99)} ms (${fmt(r.pollRps)} reports/s); RSS growth ${fmt(r.rssGrowth)} MB`);
      console.log(`         poll time ratio ${fmt(r.pollSeconds / r.baseSeconds, 2)}, ingest p99 ratio ${fmt(r.pollP99 / Math.max(1, r.baseP99), 2)}; daemon CPU main thread ${fmt(r.baseCpu.main, 1)} s (${fmt(100 * r.baseCpu.main / r.baseSeconds)} %) → ${fmt(r.pollCpu.main, 1)} s (${fmt(100 * r.pollCpu.main / r.pollSeconds)} %), all threads ${fmt(r.baseCpu.total, 1)} → ${fmt(r.pollCpu.total, 1)} s; synced batch mean ${fmt(r.baseBatchMs, 1)} → ${fmt(r.pollBatchMs, 1)} ms`);
    }
    const m = (f: (r: Run) => number) => median(runs.map(f));
    console.log(`  median of ${runs.length}: poll time ratio ${fmt(m((r) => r.pollSeconds / r.baseSeconds), 2)} (goal ≤ 2; ${fmt(m((r) => r.pollSeconds), 2)} s against ${fmt(m((r) => r.baseSeconds), 2)} s); daemon RSS growth ${fmt(m((r) => r.rssGrowth))} MB (goal < 100); ingest p99 ratio ${fmt(m((r) => r.pollP99 / Math.max(1, r.baseP99)), 2)} (goal ≤ 1.5; ${fmt(m((r) => r.pollP99))} ms against ${fmt(m((r) => r.baseP99))} ms)`);
  } finally {
    emulator.child.kill('SIGTERM');
    await once(emulator.child, 'exit');
    await rm(root, { recursive: true, force: true });
  }
}

/** The product emulator's CLI in a child process; resolves with the CSV it prints once every product listens. */
async function startEmulators(products: number, reports: number, caFile: string): Promise<{ child: ChildProcess; csv: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', EMULATOR, '--products', String(products), '--reports', String(reports), '--frozen-clock', '--cert-out', caFile], {
    env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  await new Promise<void>((resolve, reject) => {
    // The header and one line per product; the two pipes arrive in no particular order.
    const check = () => out.split('\n').filter((l) => l.startsWith('https://')).length >= products && resolve();
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code}): ${err}`)));
  });
  return { child, csv: out };
}

async function once1(root: string, n: number, o: { products: number; concurrency: number; csvFile: string; caFile: string; csv: string; ingestConnections: number }): Promise<Run> {
  const dir = path.join(root, `run${n}`);
  const config = path.join(root, `outpost-${n}.yaml`);
  await writeFile(config, `collector:\n  concurrency: ${o.concurrency}\n  timeoutSeconds: 60\n`);
  const dataDir = path.join(dir, 'data');
  const daemon = await startOutpost(dataDir, { OUTPOST_CONFIG: config });
  const sock = new Agent({ connect: { socketPath: path.join(dataDir, 'outpost.sock') }, connections: 8 });
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await request(`http://localhost${p}`, { method: method as 'GET', dispatcher: sock, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${p}: ${res.statusCode} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  // Polls finished so far, from /metrics: cheap to read, unlike a page of 1,000 targets every tick.
  const metricsText = async () => (await request(`${daemon.admin}/metrics`)).body.text();
  const pollsDone = async () => {
    let sum = 0;
    for (const m of (await metricsText()).matchAll(/^outpost_collector_polls_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
    return sum;
  };
  /** The writer's synced batches so far: how many, and their seconds in all. */
  const batches = async () => {
    const text = await metricsText();
    return { n: Number(/^outpost_write_batch_seconds_count (\S+)$/m.exec(text)?.[1] ?? 0), s: Number(/^outpost_write_batch_seconds_sum (\S+)$/m.exec(text)?.[1] ?? 0) };
  };
  const meanMs = (a: { n: number; s: number }, b: { n: number; s: number }) => (b.n > a.n ? (1000 * (b.s - a.s)) / (b.n - a.n) : 0);
  try {
    const token = (await call('POST', '/api/tokens', { virtualAccountId: 'Default' })).token as string;
    const creds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await request(`${daemon.device}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, udi: { pid: 'C9300-24P', sn: `BENCH${i}` } }) });
      creds.push(((await r.body.json()) as { credential: string }).credential);
    }
    const pem = await readFile(o.caFile, 'utf8');
    const rows = o.csv.trim().split('\n').filter((l) => l.startsWith('https://')).map((l) => l.split(','));
    if (rows.length !== o.products) throw new Error(`the emulator listed ${rows.length} products, not ${o.products}`);
    for (let i = 0; i < rows.length; i += 50) {
      await Promise.all(rows.slice(i, i + 50).map(([address, username, password]) =>
        call('POST', '/api/collector/targets', { address, username, password, tls: { ca: pem } })));
    }

    // Baseline: the same requests by a bare client in its own process, answers discarded, while devices report.
    const ingestBase = startIngest(daemon.device, creds, o.ingestConnections);
    await sleep(1000);
    const cpuB0 = cpuSeconds(daemon.child.pid!);
    const wB0 = await batches();
    const bare = spawn(process.execPath, ['--import', 'tsx', BARE, o.csvFile, o.caFile, String(o.concurrency)], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'inherit'] });
    let bareOut = '';
    bare.stdout!.on('data', (c) => (bareOut += c));
    await once(bare, 'exit');
    const cpuB1 = cpuSeconds(daemon.child.pid!);
    const wB1 = await batches();
    const base = await ingestBase.stop();
    const { seconds: baseSeconds } = JSON.parse(bareOut) as { seconds: number; failed: number };

    // The daemon's poll of every target, while devices report.
    const rss0 = rssMb(daemon.child.pid!);
    const ingestPoll = startIngest(daemon.device, creds, o.ingestConnections);
    await sleep(1000);
    const before = await pollsDone();
    const cpuP0 = cpuSeconds(daemon.child.pid!);
    const wP0 = await batches();
    const p0 = performance.now();
    await call('POST', '/api/collector/poll', {});
    let rssPeak = rss0;
    let last = { done: 0, at: performance.now() };
    // RSS every 50 ms (read from /proc, no work for the daemon); /metrics every 250 ms (it has a cost for the daemon).
    for (let done = 0, tick = 0; done < o.products; tick++) {
      if (tick % 5 === 4) done = (await pollsDone()) - before;
      if (done > last.done) last = { done, at: performance.now() };
      else if (performance.now() - last.at > 120_000) throw new Error(`no poll finished for 2 minutes (${done} of ${o.products} done)`);
      rssPeak = Math.max(rssPeak, rssMb(daemon.child.pid!));
      await sleep(50);
    }
    const pollSeconds = (performance.now() - p0) / 1000;
    const cpuP1 = cpuSeconds(daemon.child.pid!);
    const wP1 = await batches();
    rssPeak = Math.max(rssPeak, rssMb(daemon.child.pid!));
    const ours = await ingestPoll.stop();
    let failed = 0;
    let stored = 0;
    let cursor: string | null = null;
    do {
      const page = (await call('GET', `/api/collector/targets?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as { items: Array<{ lastPoll: { ok: boolean; reports: number } }>; next?: string | null };
      failed += page.items.filter((t) => !t.lastPoll.ok).length;
      stored += page.items.reduce((s, t) => s + t.lastPoll.reports, 0);
      cursor = page.next ?? null;
    } while (cursor);
    return { baseSeconds, pollSeconds, rssGrowth: rssPeak - rss0, baseP99: base.p99, pollP99: ours.p99, baseRps: base.rps, pollRps: ours.rps, failed, stored,
      baseBatchMs: meanMs(wB0, wB1), pollBatchMs: meanMs(wP0, wP1),
      baseCpu: { main: cpuB1.main - cpuB0.main, total: cpuB1.total - cpuB0.total }, pollCpu: { main: cpuP1.main - cpuP0.main, total: cpuP1.total - cpuP0.total } };
  } finally {
    await sock.close();
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Device ingest at a steady `connections`, until stopped: its p99 and rate. */
function startIngest(deviceUrl: string, creds: string[], connections: number) {
  let n = 0;
  const now = () => new Date().toISOString();
  let resolveDone!: (r: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve) => (resolveDone = resolve));
  const instance = autocannon({
    url: deviceUrl,
    connections,
    duration: 3600,
    requests: [{
      method: 'POST',
      path: '/v1/reports',
      setupRequest: (req: any) => {
        const i = n++ % creds.length;
        return {
          ...req,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${creds[i]}` },
          body: JSON.stringify({ reportId: randomUUID(), window: { start: new Date(Date.now() - 3_600_000).toISOString(), end: now() }, usage: [{ entitlement: 'network-advantage', count: 1 }] }),
        };
      },
    }],
  }, (_err, result) => resolveDone(result));
  return {
    async stop() {
      instance.stop();
      const r = await done;
      return { p99: r.latency.p99, rps: r.requests.average };
    },
  };
}
