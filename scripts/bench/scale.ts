// `npm run bench -- scale [--sizes 1000,100000,1000000] [--requests 60] [--seconds 5] [--rounds 2] [--startups 3] [--keep DIR]`:
// issue 19's figures at each fleet size, side by side, with its goals and whether each is met.
// Per size: a fleet filled through the writer in a child process (support/scale-fill.ts), then
// `outpost serve` as its own process, compiled to dist/ first as an installed package runs it:
//   start-up to listening (median of --startups) against the empty store's, measured in the same run;
//   RSS at listening and 5 s later;
//   each device-list request (first page, a page 5 cursors in, each sort, each filter, `?q=`
//   matching ≤ 1,000 devices and 10% of the fleet): median and p99 of the medians/p99s of 3
//   rounds of --requests requests over the control socket, against a bare koa endpoint answering
//   a body of the same size on a unix socket in this process, in the same rounds;
//   the devices report of the whole fleet as CSV and XLSX: time and the daemon's peak RSS (VmHWM,
//   reset before each download through /proc/<pid>/clear_refs);
//   device ingest (POST /v1/reports over HTTP, real credentials) from 10,000 devices drawn at
//   random from the fleet (all of them below 10,000), against bare koa parsing the same JSON
//   (scripts/bench/bare-koa.ts) in the same rounds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { Agent, Pool, request } from 'undici';
import { buildDist, fmt, load, median, rssMb, startOutpost as startCheckout, type LoadResult, type Started } from './lib.ts';
import { percentile, runChild, socketClient, tempDataDir } from './support/fill.ts';
import { ENTITLEMENTS, type ScaleSample } from './support/scale-fill.ts';

const SAMPLE = 10_000;
/** The daemon as installed (compiled by `buildDist`), not the checkout through tsx's loader. */
const startOutpost = (dataDir: string) => startCheckout(dataDir, {}, { compiled: true });

interface Timed {
  med: number;
  p99: number;
  base: number;
  status: number;
}
interface SizeResult {
  n: number;
  fillS: number;
  settleS: number;
  startMs: number;
  rssStart: number;
  rssSettled: number;
  requests: Map<string, Timed | null>;
  reports: Map<string, { seconds: number; mb: number; peak: number; before: number } | null>;
  ingest: { rps: number; p99: number; non2xx: number; base: number; devices: number; coldRps: number; coldErrors: number } | null;
}

function peakMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
/** RSS split: the process's own memory and file-backed pages (the node binary, LevelDB's mapped tables). */
function rssParts(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return `anon ${fmt(mb('RssAnon'))} + file ${fmt(mb('RssFile'))} MB`;
}

function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not Linux or not allowed: VmHWM then counts from the start */
  }
}

async function startups(dataDir: string, times: number): Promise<{ ms: number; last: Started }> {
  const ms: number[] = [];
  let last: Started | null = null;
  for (let i = 0; i < times; i++) {
    const s = await startOutpost(dataDir);
    ms.push(s.startMs);
    if (i < times - 1) await s.stop();
    else last = s;
  }
  return { ms: median(ms), last: last! };
}

export default async function scale(args: string[]): Promise<void> {
  const opt = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  const sizes = opt('sizes', '1000,100000,1000000').split(',').map(Number);
  // The goals compare with the same figures at 1,000 devices: that size is always measured, first.
  if (sizes[0] !== 1000) {
    sizes.splice(0, sizes.length, 1000, ...sizes.filter((n) => n !== 1000));
    console.log('1,000 devices is measured first as well: the goals compare with its figures');
  }
  const perRound = Number(opt('requests', '60'));
  const seconds = Number(opt('seconds', '5'));
  const rounds = Number(opt('rounds', '2'));
  const starts = Number(opt('startups', '3'));
  const keep = args.includes('--keep') ? path.resolve(opt('keep', '')) : null;

  // The bare koa endpoints: GET answering n bytes on a unix socket here; POST /v1/reports in its own process.
  const bare = new Koa();
  bare.use((ctx) => {
    const n = Number(ctx.path.slice(1)) || 0;
    ctx.type = 'application/json';
    ctx.body = 'x'.repeat(n);
  });
  const { dataDir: bareDir, remove: removeBare } = tempDataDir();
  mkdirSync(bareDir, { recursive: true });
  const bareSocket = path.join(bareDir, 'bare.sock');
  const bareServer = http.createServer(bare.callback());
  await new Promise<void>((r) => bareServer.listen(bareSocket, r));
  const bareGet = socketClient(bareSocket);
  const barePost = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./bare-koa.ts', import.meta.url)), 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const barePostUrl = await new Promise<string>((resolve) =>
    barePost.stdout!.on('data', (c: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(String(c));
      if (m) resolve(m[1]!);
    }),
  );

  // The daemon as installed (compiled JS), not the checkout through tsx's loader.
  console.log(`measuring the compiled daemon (dist/, as an installed package runs it): built in ${fmt(buildDist(), 1)} s`);
  const results: SizeResult[] = [];
  let emptyStart = 0;
  try {
    {
      const { dataDir, remove } = tempDataDir();
      const s = await startups(dataDir, starts);
      emptyStart = s.ms;
      await s.last.stop();
      remove();
      console.log(`empty store: start-up to listening, median of ${starts}: ${fmt(emptyStart)} ms`);
    }
    for (const n of sizes) results.push(await measure(n));
  } finally {
    await bareGet.close();
    await new Promise((r) => bareServer.close(r));
    removeBare();
    barePost.kill('SIGTERM');
    await once(barePost, 'exit');
  }
  print(results, emptyStart);

  async function measure(n: number): Promise<SizeResult> {
    // --keep DIR: each size's filled store is kept in DIR/<n>/ and used again by the next run
    // (what one run changes — reports, restarts — the next one starts from).
    const kept = keep === null ? null : path.join(keep, String(n));
    const { dataDir, remove } = kept === null ? tempDataDir() : { dataDir: path.join(kept, 'data'), remove: () => {} };
    const sampleFile = `${path.dirname(dataDir)}/sample.json`;
    const filledFile = `${path.dirname(dataDir)}/filled.json`;
    let server: Started | null = null;
    try {
      let filled: { seconds: number; settleSeconds: number };
      if (kept !== null && existsSync(filledFile)) {
        filled = JSON.parse(readFileSync(filledFile, 'utf8')) as typeof filled;
        console.log(`\n== ${fmt(n)} devices: the store kept in ${kept} (filled in ${filled.seconds.toFixed(1)} s by an earlier run)`);
      } else {
        console.log(`\n== ${fmt(n)} devices: filling (through the writer, in a child process)…`);
        if (kept !== null) {
          rmSync(kept, { recursive: true, force: true });
          mkdirSync(kept, { recursive: true });
        }
        const { child, firstLine } = runChild(['scale-fill', dataDir, String(n), sampleFile, String(SAMPLE)]);
        filled = (await firstLine) as { seconds: number; settleSeconds: number };
        await new Promise((r) => child.once('exit', r));
        if (kept !== null) writeFileSync(filledFile, JSON.stringify(filled));
        console.log(`filled in ${filled.seconds.toFixed(1)} s (of which ${filled.settleSeconds.toFixed(1)} s reopening until the satellite was idle)`);
      }
      const sample = JSON.parse(readFileSync(sampleFile, 'utf8')) as ScaleSample;

      // The fill does not save what a graceful shutdown saves (the `?q=` column, the pool sums):
      // one start first, until both are ready, then stopped as an admin would stop it.
      const prime = await startOutpost(dataDir);
      const primed = await prime.waitFor('device search ready', 900_000);
      await prime.waitFor('pool counts ready', 0) ?? await prime.waitFor('pools counted', 900_000);
      await prime.stop();
      console.log(`first start after the fill: ${primed ? `${JSON.parse(primed).msg} in ${fmt(JSON.parse(primed).ms)} ms` : 'device search not ready in 15 min'}`);

      const s = await startups(dataDir, starts);
      server = s.last;
      const pid = server.child.pid!;
      const rssStart = rssMb(pid);
      const listening = performance.now();
      const searchLine = await server.waitFor('device search ready', 5000);
      await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (performance.now() - listening))));
      const rssSettled = rssMb(pid);
      const settledParts = rssParts(pid);
      console.log(`start-up to listening: median ${fmt(s.ms)} ms (empty store ${fmt(emptyStart)} ms); rss ${fmt(rssStart)} MB at listening, ${fmt(rssSettled)} MB 5 s later (${settledParts})`);
      console.log(`  ${searchLine ? `${JSON.parse(searchLine).msg}, ${fmt(JSON.parse(searchLine).ms)} ms after start-up` : 'device search not ready 5 s after listening'}`);

      const client = socketClient(path.join(dataDir, 'outpost.sock'));
      const requests = new Map<string, Timed | null>();
      try {
        // A page 5 cursors in (the default order).
        let cursor = '';
        const agent = new Agent({ connect: { socketPath: path.join(dataDir, 'outpost.sock') } });
        for (let p = 0; p < 5; p++) {
          const res = await request(`http://localhost/api/devices?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { dispatcher: agent });
          cursor = ((await res.body.json()) as { next: string | null }).next ?? '';
        }
        await agent.close();
        const va = encodeURIComponent(sample.vaPaths.site);
        const region = encodeURIComponent(sample.vaPaths.region);
        const cases: Array<[string, string]> = [
          ['first page', '/api/devices?limit=100'],
          ['page 6 (cursor)', `/api/devices?limit=100&cursor=${encodeURIComponent(cursor)}`],
          ['sort=-lastReportAt', '/api/devices?limit=100&sort=-lastReportAt'],
          ['sort=hostname', '/api/devices?limit=100&sort=hostname'],
          ['sort=registeredAt', '/api/devices?limit=100&sort=registeredAt'],
          ['va (2%)', `/api/devices?limit=100&va=${va}`],
          ['va+nested (20%)', `/api/devices?limit=100&va=${region}&nested=true`],
          ['state=deregistered (1%)', '/api/devices?limit=100&state=deregistered'],
          ['via=policy (1%)', '/api/devices?limit=100&via=policy'],
          ['q ≤1,000 (sw-4242)', '/api/devices?limit=100&q=sw-4242'],
          ['q 10% (ir1101)', '/api/devices?limit=100&q=ir1101'],
        ];
        for (const [label, p] of cases) {
          const t = await timed(client, p);
          requests.set(label, t);
          console.log(t ? `  ${label.padEnd(24)} median ${fmt(t.med, 2)} ms p99 ${fmt(t.p99, 2)} | bare koa ${fmt(t.base, 2)} ms | ratio ${fmt(t.med / t.base, 1)}x` : `  ${label.padEnd(24)} n/a (answered 400: not supported on this branch)`);
        }
      } finally {
        await client.close();
      }

      const reports: SizeResult['reports'] = new Map();
      for (const format of ['csv', 'xlsx']) {
        const r = await download(path.join(dataDir, 'outpost.sock'), `/api/reports/devices?format=${format}`, pid);
        reports.set(format, r);
        console.log(`  devices report ${format}: ${fmt(r.mb, 1)} MB in ${fmt(r.seconds, 1)} s, daemon peak rss ${fmt(r.peak)} MB (${fmt(r.before)} MB before: +${fmt(r.peak - r.before)})`);
      }

      const ingest = await ingestRun(server.device, sample);
      console.log(
        `  ingest from ${fmt(ingest.devices)} devices: ${fmt(ingest.rps)} req/s p99 ${ingest.p99} ms non-2xx ${ingest.non2xx} | bare koa ${fmt(ingest.base)} req/s | ratio ${fmt(ingest.rps / ingest.base, 2)} (first report of each device: ${fmt(ingest.coldRps)} req/s, non-2xx ${ingest.coldErrors})`,
      );
      return { n, fillS: filled.seconds, settleS: filled.settleSeconds, startMs: s.ms, rssStart, rssSettled, requests, reports, ingest };
    } finally {
      await server?.stop();
      remove();
    }
  }

  async function timed(client: ReturnType<typeof socketClient>, p: string): Promise<Timed | null> {
    const first = await client.get(p);
    if (first.status === 400 && p.includes('via=')) return null;
    if (first.status !== 200) throw new Error(`${p} answered ${first.status}`);
    const size = `/${first.bytes}`;
    const meds: number[] = [];
    const p99s: number[] = [];
    const bases: number[] = [];
    for (let r = 0; r < 3; r++) {
      const b: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < 5; i++) await client.get(p), await bareGet.get(size); // warm-up
      for (let i = 0; i < perRound; i++) b.push((await bareGet.get(size)).ms);
      for (let i = 0; i < perRound; i++) {
        const x = await client.get(p);
        if (x.status !== 200) throw new Error(`${p} answered ${x.status}`);
        s.push(x.ms);
      }
      meds.push(median(s));
      p99s.push(percentile(s, 99));
      bases.push(median(b));
    }
    return { med: median(meds), p99: median(p99s), base: median(bases), status: 200 };
  }

  async function download(socketPath: string, p: string, pid: number) {
    const agent = new Agent({ connect: { socketPath } });
    const before = rssMb(pid);
    resetPeak(pid);
    let sampled = rssMb(pid);
    const sampler = setInterval(() => (sampled = Math.max(sampled, rssMb(pid))), 5);
    const t0 = performance.now();
    try {
      const res = await request(`http://localhost${p}`, { dispatcher: agent, bodyTimeout: 0, headersTimeout: 0 });
      let bytes = 0;
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
      if (res.statusCode !== 200) throw new Error(`${p} answered ${res.statusCode}`);
      return { seconds: (performance.now() - t0) / 1000, mb: bytes / 1048576, peak: Math.max(sampled, peakMb(pid)), before };
    } finally {
      clearInterval(sampler);
      await agent.close();
    }
  }

  async function ingestRun(url: string, sample: ScaleSample) {
    let k = 0;
    const now = () => new Date();
    const requests = [
      {
        method: 'POST' as const,
        path: '/v1/reports',
        setupRequest: (req: any) => {
          const d = sample.devices[k++ % sample.devices.length]!;
          const end = now();
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${d.credential}` },
            body: JSON.stringify({
              reportId: crypto.randomUUID(),
              window: { start: new Date(end.getTime() - 3_600_000).toISOString(), end: end.toISOString() },
              usage: ENTITLEMENTS.slice(0, 3).map((entitlement, e) => ({ entitlement, count: ((k + e) % 5) + 1 })),
            }),
          };
        },
      },
    ];
    // First one report from each sampled device, timed: a device's first request after the
    // start verifies its credential (Ed25519) and reads its record from the store. The rounds
    // after it are the steady state of these devices (credentials and records in the bounded caches).
    const pool = new Pool(url, { connections: 64 });
    const first = performance.now();
    let next = 0;
    let coldErrors = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = next++; i < sample.devices.length; i = next++) {
          const req = requests[0]!.setupRequest({}) as { headers: Record<string, string>; body: string };
          const res = await pool.request({ method: 'POST', path: '/v1/reports', headers: req.headers, body: req.body });
          await res.body.dump();
          if (res.statusCode >= 300) coldErrors++;
        }
      }),
    );
    const coldRps = sample.devices.length / ((performance.now() - first) / 1000);
    await pool.close();
    const ours: LoadResult[] = [];
    const base: LoadResult[] = [];
    for (let r = 0; r < rounds; r++) {
      base.push(await load({ url: barePostUrl, connections: 64, duration: seconds, requests }));
      ours.push(await load({ url, connections: 64, duration: seconds, requests }));
    }
    return {
      rps: median(ours.map((x) => x.rps)),
      p99: median(ours.map((x) => x.p99)),
      non2xx: ours.reduce((s, x) => s + x.non2xx + x.errors, 0),
      base: median(base.map((x) => x.rps)),
      devices: sample.devices.length,
      coldRps,
      coldErrors,
    };
  }
}

function print(results: SizeResult[], emptyStart: number): void {
  if (results.length === 0) return;
  const small = results[0]!;
  const big = results.at(-1)!;
  const col = (s: string) => s.padStart(16);
  const rows: string[] = [];
  const head = `${'figure'.padEnd(36)}${results.map((r) => col(`${fmt(r.n)} dev`)).join('')}  goal (at ${fmt(big.n)}; issue 19)`;
  const line = (label: string, cells: string[], goal: string, met: boolean | null) =>
    rows.push(`${label.padEnd(36)}${cells.map(col).join('')}  ${goal}${met === null ? '' : met ? '  MET' : '  NOT MET'}`);
  line('fill (s)', results.map((r) => fmt(r.fillS, 1)), '', null);
  line('start-up (ms)', results.map((r) => fmt(r.startMs)), `≤ 1.5× empty (${fmt(emptyStart)} ms) = ${fmt(emptyStart * 1.5)}`, big.startMs <= emptyStart * 1.5);
  line('rss after start (MB)', results.map((r) => `${fmt(r.rssStart)}/${fmt(r.rssSettled)}`), '< 300 MB (at listening/+5 s)', Math.max(big.rssStart, big.rssSettled) < 300);
  for (const label of small.requests.keys()) {
    const cells = results.map((r) => {
      const t = r.requests.get(label);
      return t ? `${fmt(t.med, 2)}/${fmt(t.p99, 1)}` : 'n/a';
    });
    const a = small.requests.get(label);
    const b = big.requests.get(label);
    const tenPct = label.startsWith('q 10%');
    const goal = tenPct ? 'p99 < 50 ms' : a ? `median ≤ ${fmt(2 * a.med + 1, 2)}, p99 < 10 ms` : 'median ≤ 2×(at 1,000)+1, p99 < 10';
    const met = !a || !b ? null : tenPct ? b.p99 < 50 : b.med <= 2 * a.med + 1 && b.p99 < 10;
    line(`${label} (ms med/p99)`, cells, goal, met);
  }
  const bare = results.map((r) => fmt(median([...r.requests.values()].filter((t): t is Timed => t !== null).map((t) => t.base)), 2));
  line('bare koa GET (ms median)', bare, 'baseline, same rounds', null);
  line('ingest (req/s)', results.map((r) => (r.ingest ? fmt(r.ingest.rps) : 'n/a')), `≥ 0.9 × at ${fmt(small.n)} = ${fmt(0.9 * (small.ingest?.rps ?? 0))}`, !!big.ingest && !!small.ingest && big.ingest.rps >= 0.9 * small.ingest.rps);
  line('ingest, first report each (req/s)', results.map((r) => (r.ingest ? fmt(r.ingest.coldRps) : 'n/a')), 'credential verified, record read from the store', null);
  line('ingest p99 (ms) / non-2xx', results.map((r) => (r.ingest ? `${r.ingest.p99}/${r.ingest.non2xx}` : 'n/a')), '', null);
  line('bare koa POST (req/s)', results.map((r) => (r.ingest ? fmt(r.ingest.base) : 'n/a')), 'baseline, same rounds', null);
  for (const f of ['csv', 'xlsx']) {
    line(`devices ${f} (s/peak MB/growth)`, results.map((r) => {
      const x = r.reports.get(f);
      return x ? `${fmt(x.seconds, 1)}/${fmt(x.peak)}/+${fmt(x.peak - x.before)}` : 'n/a';
    }), f === 'xlsx' ? 'peak rss < 350 MB' : '', f === 'xlsx' ? (big.reports.get('xlsx')?.peak ?? Infinity) < 350 : null);
  }
  console.log(`\n${head}\n${rows.join('\n')}`);
  console.log('(a shared machine: 2 cores, other work running; figures are medians of rounds as described at the top of scripts/bench/scale.ts)');
}


