// `npm run bench -- pools [--devices N] [--requests N]`: 100,000 devices in 50 VAs reporting 20
// entitlements; GET /api/licenses for the account (?va=all) over the control socket, against a
// bare koa endpoint answering a body of the same size on a unix socket in the same process.
// Also: start-up with those devices, every VA's pools, one page of the device list, and the
// cost the pool index adds to each report.
import { allDevices } from '../../test/helpers/devices.ts';
import http from 'node:http';
import Koa from 'koa';
import { fillInChild, flag, median, open, percentile, runChild, socketClient, tempDataDir } from './support/fill.ts';

async function latencies(get: () => Promise<{ status: number; ms: number }>, n: number): Promise<number[]> {
  for (let i = 0; i < 20; i++) await get(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get();
    if (r.status !== 200) throw new Error(`answered ${r.status}`);
    out.push(r.ms);
  }
  return out;
}

/** Median of 3 runs of each; each run's figure is its median latency. */
async function compare(label: string, n: number, subject: () => Promise<{ status: number; ms: number }>, baseline: () => Promise<{ status: number; ms: number }>) {
  const runs: Array<{ subject: number; baseline: number; p99: number }> = [];
  for (let r = 0; r < 3; r++) {
    const b = await latencies(baseline, n);
    const s = await latencies(subject, n);
    runs.push({ subject: median(s), baseline: median(b), p99: percentile(s, 99) });
  }
  const s = median(runs.map((r) => r.subject));
  const b = median(runs.map((r) => r.baseline));
  console.log(`${label}: median ${s.toFixed(2)} ms (p99 ${median(runs.map((r) => r.p99)).toFixed(2)} ms), bare koa ${b.toFixed(2)} ms, ratio ${(s / b).toFixed(2)}x`);
  return s;
}

export default async function pools(args: string[]): Promise<void> {
  const shape = { devices: flag(args, 'devices', 100_000), vas: flag(args, 'vas', 50), entitlements: flag(args, 'entitlements', 20) };
  const n = flag(args, 'requests', 200);
  const { dataDir, remove } = tempDataDir();
  try {
    console.log(`filling ${shape.devices} devices in ${shape.vas} VAs reporting ${shape.entitlements} entitlements…`);
    const filled = await fillInChild(dataDir, shape);
    console.log(`filled in ${filled.seconds.toFixed(1)} s (through the writer, not HTTP, in a child process)`);

    const opens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { child, firstLine } = runChild(['serve', dataDir]);
      opens.push((await firstLine).openMs);
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    }
    console.log(`start-up with ${shape.devices} devices: median ${median(opens).toFixed(0)} ms (no scan of reports or devices: pool sums and device counters taken back from the store and the shutdown file)`);

    const sat = await open(dataDir);
    const client = socketClient(sat.socketPath);
    const sample = await client.get('/api/licenses?va=all');
    const body = 'x'.repeat(sample.bytes);
    const bare = new Koa();
    bare.use((ctx) => {
      ctx.type = 'application/json';
      ctx.body = body;
    });
    const bareSocket = `${sat.socketPath}.bare`;
    const server = http.createServer(bare.callback());
    await new Promise<void>((r) => server.listen(bareSocket, r));
    const bareClient = socketClient(bareSocket);
    try {
      console.log(`rss with the satellite loaded: ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB; account pools body ${sample.bytes} bytes`);
      const account = await compare('GET /api/licenses?va=all', n, () => client.get('/api/licenses?va=all'), () => bareClient.get('/'));
      await compare(`GET /api/licenses (every VA, ${shape.vas * shape.entitlements} pools, limit=1000)`, n, () => client.get('/api/licenses?limit=1000'), () => bareClient.get('/'));
      await compare('GET /api/devices?sort=-lastReportAt&limit=100', Math.min(n, 100), () => client.get('/api/devices?sort=-lastReportAt&limit=100'), () => bareClient.get('/'));
      await compare('GET /api/devices?q=sw-4242&limit=100', Math.min(n, 100), () => client.get('/api/devices?q=sw-4242&limit=100'), () => bareClient.get('/'));

      // What pools add to each accepted report: the onUsage hook, with its usage replacing the old.
      const { licensing } = sat.services;
      const devices = (await allDevices(sat.ctx.store)).slice(0, 10_000);
      const usages = devices.map((_, i) => {
        const u: Record<string, number> = {};
        for (let e = 0; e < shape.entitlements; e++) u[`entitlement-${String(e).padStart(2, '0')}`] = (i * 7 + e) % 5;
        return u;
      });
      const current = devices.map((d) => sat.ctx.state.latestOf(d.id)!.usage);
      const hook: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        for (let i = 0; i < devices.length; i++) {
          const next = usages[(i + r) % usages.length]!;
          licensing.onUsage(devices[i]!, current[i], next);
          current[i] = next;
        }
        hook.push(((performance.now() - t0) * 1000) / devices.length);
      }
      const perReport = median(hook);
      console.log(`pool index per report (${shape.entitlements} entitlements): median ${perReport.toFixed(2)} µs — ${((perReport / 38.5) * 100).toFixed(1)}% of the 38.5 µs a report costs at the 26k req/s koa ceiling`);
      console.log(account < 20 ? 'OK: account pools under 20 ms' : 'OVER BUDGET: account pools took 20 ms or more');
    } finally {
      await client.close();
      await bareClient.close();
      await new Promise((r) => server.close(r));
      await sat.close();
    }
  } finally {
    remove();
  }
}
