// `npm run bench -- ingest [--seconds N] [--rounds N] [--connections N]`
// Durable report ingest against a bare koa endpoint that parses the same JSON and answers 202,
// measured in the same run, alternating, 64 connections; medians of the rounds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { registerAll, usageReport } from '../simulate-devices.ts';
import { cpuSeconds, fmt, load, median, startOutpost, type LoadResult } from './lib.ts';

export default async function ingest(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '64' } },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'op-bench-'));
  const outpost = await startOutpost(path.join(dir, 'data'));
  const bareServer = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./bare-koa.ts', import.meta.url)), 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const bareUrl = await new Promise<string>((resolve) => bareServer.stdout!.on('data', (c: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(String(c));
      if (m) resolve(m[1]!);
    }));
    const agent = new Agent({ connect: { socketPath: path.join(dir, 'data', 'outpost.sock') } });
    const res = await request('http://localhost/api/tokens', {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ virtualAccountId: 'Default', description: 'bench' }),
    });
    const { token } = (await res.body.json()) as { token: string };
    await agent.close();
    const devices = await registerAll({ url: outpost.device, token, devices: 64 });
    const entitlements = ['network-advantage', 'dna-advantage', 'essentials'];
    let n = 0;
    const requests = [
      {
        method: 'POST' as const,
        path: '/v1/reports',
        setupRequest: (req: any) => {
          const i = n++ % devices.length;
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${devices[i]!.credential}` },
            body: JSON.stringify(usageReport(i, entitlements)),
          };
        },
      },
    ];
    console.log(`ingest: ${connections} connections, ${seconds} s per run, ${rounds} rounds, 64 devices`);
    const base: LoadResult[] = [];
    const ours: LoadResult[] = [];
    const cpu: Array<{ total: number; main: number }> = [];
    for (let r = 1; r <= rounds; r++) {
      const gen0 = process.cpuUsage();
      const bare0 = cpuSeconds(bareServer.pid!);
      base.push(await load({ url: bareUrl, connections, duration: seconds, requests }));
      const bare1 = cpuSeconds(bareServer.pid!);
      const gen1 = process.cpuUsage(gen0);
      const bareCpu = (bare1.total - bare0.total) / seconds;
      const genBare = (gen1.user + gen1.system) / 1e6 / seconds;
      const gen2 = process.cpuUsage();
      const cpu0 = cpuSeconds(outpost.child.pid!);
      ours.push(await load({ url: outpost.device, connections, duration: seconds, requests }));
      const cpu1 = cpuSeconds(outpost.child.pid!);
      const gen3 = process.cpuUsage(gen2);
      const genOurs = (gen3.user + gen3.system) / 1e6 / seconds;
      cpu.push({ total: (cpu1.total - cpu0.total) / seconds, main: (cpu1.main - cpu0.main) / seconds });
      console.log(
        `round ${r}: bare koa ${fmt(base.at(-1)!.rps)} req/s (p99 ${base.at(-1)!.p99} ms; server CPU ${fmt(bareCpu * 100)}%, load generator ${fmt(genBare * 100)}%) | ingest ${fmt(ours.at(-1)!.rps)} req/s (p99 ${ours.at(-1)!.p99} ms, non-2xx ${ours.at(-1)!.non2xx}, errors ${ours.at(-1)!.errors}; ` +
          `daemon CPU ${fmt(cpu.at(-1)!.total * 100)}% of a core, main thread ${fmt(cpu.at(-1)!.main * 100)}%, load generator ${fmt(genOurs * 100)}%)`,
      );
    }
    const b = median(base.map((x) => x.rps));
    const o = median(ours.map((x) => x.rps));
    console.log(`\nmedian bare koa:      ${fmt(b)} req/s, p99 ${median(base.map((x) => x.p99))} ms`);
    console.log(`median durable ingest: ${fmt(o)} req/s, p99 ${median(ours.map((x) => x.p99))} ms, non-2xx ${ours.reduce((s, x) => s + x.non2xx, 0)}`);
    console.log(`ratio ingest / bare koa: ${fmt(o / b, 2)}  (target ≥ 0.60, p99 ≤ 20 ms, no non-2xx)`);
  } finally {
    bareServer.kill('SIGTERM');
    await once(bareServer, 'exit');
    await outpost.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
