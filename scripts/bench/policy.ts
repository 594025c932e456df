// `npm run bench -- policy [--seconds N] [--rounds N]`
// Policy-mode ingest (POST /v1/usage: one Ed25519 verification per report) against token-mode
// ingest (POST /v1/reports) on the same daemon, alternating, 64 connections, medians of 3.
// Reports are signed before each run, so the load generator spends no time signing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { policyDevices, registerAll, signedUsage, usageReport } from '../simulate-devices.ts';
import { fmt, load, median, startOutpost, type LoadResult } from './lib.ts';

export default async function policy(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' } } });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'op-bench-'));
  const file = path.join(dir, 'outpost.yaml');
  writeFileSync(file, 'device:\n  policyMode: { enabled: true }\n');
  try {
    const o = await startOutpost(path.join(dir, 'data'), { OUTPOST_CONFIG: file });
    try {
      const agent = new Agent({ connect: { socketPath: path.join(dir, 'data', 'outpost.sock') } });
      const res = await request('http://localhost/api/tokens', {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ virtualAccountId: 'Default' }),
      });
      const { token } = (await res.body.json()) as { token: string };
      await agent.close();
      const entitlements = ['network-advantage', 'dna-advantage', 'essentials'];
      const tokenDevices = await registerAll({ url: o.device, token, devices: 64 });
      const signers = policyDevices(64);
      const perRun = seconds * 20_000;
      console.log(`policy: 64 connections, ${seconds} s per run, ${rounds} rounds; signing ${fmt(perRun)} reports per run beforehand`);
      let n = 0;
      const tokenRequests = [
        {
          method: 'POST' as const,
          path: '/v1/reports',
          setupRequest: (req: any) => {
            const i = n++ % 64;
            return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenDevices[i]!.credential}` }, body: JSON.stringify(usageReport(i, entitlements)) };
          },
        },
      ];
      const tokenRuns: LoadResult[] = [];
      const policyRuns: LoadResult[] = [];
      for (let r = 1; r <= rounds; r++) {
        const bodies = Array.from({ length: perRun }, (_, k) => signedUsage(signers[k % 64]!, usageReport(k % 64, entitlements)));
        let k = 0;
        const policyRequests = [
          {
            method: 'POST' as const,
            path: '/v1/usage',
            setupRequest: (req: any) => ({ ...req, headers: { 'content-type': 'application/jose' }, body: bodies[k++ % bodies.length] }),
          },
        ];
        tokenRuns.push(await load({ url: o.device, connections: 64, duration: seconds, requests: tokenRequests }));
        policyRuns.push(await load({ url: o.device, connections: 64, duration: seconds, requests: policyRequests }));
        console.log(
          `round ${r}: /v1/reports ${fmt(tokenRuns.at(-1)!.rps)} req/s (p99 ${tokenRuns.at(-1)!.p99} ms) | /v1/usage ${fmt(policyRuns.at(-1)!.rps)} req/s (p99 ${policyRuns.at(-1)!.p99} ms, non-2xx ${policyRuns.at(-1)!.non2xx})`,
        );
      }
      const a = median(tokenRuns.map((x) => x.rps));
      const b = median(policyRuns.map((x) => x.rps));
      console.log(`\nmedian /v1/reports: ${fmt(a)} req/s; median /v1/usage: ${fmt(b)} req/s`);
      console.log(`ratio policy / token ingest: ${fmt(b / a, 2)}  (aim ≥ 0.50)`);
    } finally {
      await o.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
