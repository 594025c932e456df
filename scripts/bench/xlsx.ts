// `npm run bench -- xlsx [--devices N]`: the devices report of 100,000 devices as XLSX,
// streamed over the control socket from a satellite in its own process; its peak RSS (Linux
// /proc, sampled every 5 ms) while writing, against its idle RSS measured in the same run, and
// the CSV of the same report as a second reference.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { fillInChild, flag, mb, median, runChild, tempDataDir } from './support/fill.ts';

const rssOf = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};

async function download(socketPath: string, path: string, pid: number) {
  const agent = new Agent({ connect: { socketPath } });
  let peak = rssOf(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 5);
  const t0 = performance.now();
  try {
    const res = await request(`http://localhost${path}`, { dispatcher: agent });
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode}`);
    return { bytes, seconds: (performance.now() - t0) / 1000, peak: Math.max(peak, rssOf(pid)) };
  } finally {
    clearInterval(sampler);
    await agent.close();
  }
}

export default async function xlsx(args: string[]): Promise<void> {
  const devices = flag(args, 'devices', 100_000);
  const { dataDir, remove } = tempDataDir();
  let server: ChildProcess | null = null;
  try {
    console.log(`filling ${devices} devices (in a child process, through the writer)…`);
    console.log(`filled in ${(await fillInChild(dataDir, { devices, vas: 50, entitlements: 20 })).seconds.toFixed(1)} s`);

    const served = runChild(['serve', dataDir], ['--expose-gc']);
    server = served.child;
    const { socketPath, pid } = await served.firstLine;
    // Let the satellite settle as a running daemon does (V8 returns memory left from loading a
    // few seconds after the last allocations).
    for (const s of [1, 5, 10, 20]) {
      await new Promise((r) => setTimeout(r, 1000 * (s === 1 ? 1 : 5)));
      console.log(`  rss after ~${s} s: ${mb(rssOf(pid))}`);
    }
    const idle = rssOf(pid);
    console.log(`satellite idle with ${devices} devices: rss ${mb(idle)}`);

    for (const format of ['csv', 'xlsx'] as const) {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await download(socketPath, `/api/reports/devices?format=${format}`, pid));
      const peak = median(runs.map((r) => r.peak));
      console.log(
        `${format}: ${mb(median(runs.map((r) => r.bytes)))} in ${median(runs.map((r) => r.seconds)).toFixed(2)} s; peak rss median ${mb(peak)} ` +
          `(idle ${mb(idle)}, ratio ${(peak / idle).toFixed(2)}x, +${mb(peak - idle)})`,
      );
      if (format === 'xlsx') console.log(peak < 300 * 1048576 ? 'OK: peak RSS under 300 MB' : 'OVER BUDGET: peak RSS 300 MB or more');
    }
  } finally {
    server?.stdin?.end();
    if (server) await new Promise((r) => server!.once('exit', r));
    remove();
  }
}
