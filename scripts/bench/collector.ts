// `npm run bench -- collector [--products N] [--reports N] [--concurrency N] [--ingest-connections N]`
//
// The pull collector (SPEC §9): N emulated products (default 1,000, each its own HTTPS port in
// this process) with `--reports` closed reports each (default 10), polled by the daemon at
// `collector.concurrency` (default 32). Baseline, same run: a bare undici client making the same
// requests (close-reports, all-reports; Basic auth, the same CA) at the same concurrency and
// discarding the answers. Device ingest runs throughout both, so its p99 while the daemon polls
// is compared with its p99 while the bare client polls the same emulators (their TLS work is in
// both). Figures: poll time and ratio, the daemon's RSS growth, ingest p99 and ratio.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { startFleet, type EmulatedProduct } from '../product-emulator.ts';
import { fmt, rssMb, startOutpost } from './lib.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default async function collector(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      products: { type: 'string', default: '1000' },
      reports: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '32' },
      'ingest-connections': { type: 'string', default: '8' },
    },
  });
  const products = Number(values.products);
  const reports = Number(values.reports);
  const concurrency = Number(values.concurrency);
  const root = await mkdtemp(path.join(os.tmpdir(), 'op-bench-collector-'));
  // A fixed product clock: close-reports closes nothing new, so both rounds read the same reports.
  const productNow = Math.floor(Date.now() / 1000);
  const fleet = await startFleet({ products, product: (i) => ({ layout: i % 2 ? 'B' : 'A', closedReports: reports, now: () => productNow }) });
  const config = path.join(root, 'outpost.yaml');
  await writeFile(config, `collector:\n  concurrency: ${concurrency}\n  timeoutSeconds: 60\n`);
  const dataDir = path.join(root, 'data');
  const daemon = await startOutpost(dataDir, { OUTPOST_CONFIG: config });
  const sock = new Agent({ connect: { socketPath: path.join(dataDir, 'outpost.sock') }, connections: 8 });
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await request(`http://localhost${p}`, { method: method as 'GET', dispatcher: sock, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${p}: ${res.statusCode} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  try {
    console.log(`collector: ${fmt(products)} emulated products × ${reports} reports, concurrency ${concurrency}; machine shared with other work`);
    const token = (await call('POST', '/api/tokens', { virtualAccountId: 'Default' })).token as string;
    const creds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await request(`${daemon.device}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, udi: { pid: 'C9300-24P', sn: `BENCH${i}` } }) });
      creds.push(((await r.body.json()) as { credential: string }).credential);
    }
    const t0 = performance.now();
    for (let i = 0; i < products; i += 50) {
      await Promise.all(fleet.products.slice(i, i + 50).map((p) =>
        call('POST', '/api/collector/targets', { address: p.url, username: p.options.username, password: p.options.password, tls: { ca: fleet.pem.cert } })));
    }
    console.log(`  targets added in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    // Baseline: the same requests by a bare client, answers discarded, while devices report.
    const ingestBase = startIngest(daemon.device, creds, Number(values['ingest-connections']));
    await sleep(1000);
    const b0 = performance.now();
    await bounded(fleet.products, concurrency, (p) => barePoll(p, fleet.pem.cert));
    const baseSeconds = (performance.now() - b0) / 1000;
    const base = await ingestBase.stop();

    // The daemon's poll of every target, while devices report.
    const rss0 = rssMb(daemon.child.pid!);
    const ingestPoll = startIngest(daemon.device, creds, Number(values['ingest-connections']));
    await sleep(1000);
    const p0 = performance.now();
    await call('POST', '/api/collector/poll', {});
    let rssPeak = rss0;
    for (;;) {
      await sleep(100);
      rssPeak = Math.max(rssPeak, rssMb(daemon.child.pid!));
      const list = (await call('GET', '/api/collector/targets?limit=1000')) as { items: Array<{ lastPoll: { ok: boolean; reports: number } | null }> };
      let done = list.items.filter((t) => t.lastPoll).length;
      // More than a page: count the rest.
      let next = (list as { next?: string | null }).next;
      while (next) {
        const page = await call('GET', `/api/collector/targets?limit=1000&cursor=${encodeURIComponent(next)}`);
        done += page.items.filter((t: { lastPoll: unknown }) => t.lastPoll).length;
        next = page.next;
      }
      if (done >= products) break;
    }
    const pollSeconds = (performance.now() - p0) / 1000;
    const ours = await ingestPoll.stop();
    const rss1 = rssMb(daemon.child.pid!);
    const firstPage = (await call('GET', '/api/collector/targets?limit=1000')) as { items: Array<{ lastPoll: { ok: boolean; reports: number } }> };
    const failed = firstPage.items.filter((t) => !t.lastPoll.ok).length;
    const collected = firstPage.items.reduce((n, t) => n + t.lastPoll.reports, 0);

    console.log(`  bare undici client: ${fmt(baseSeconds, 2)} s for ${fmt(products)} products; ingest meanwhile p99 ${fmt(base.p99)} ms (${fmt(base.rps)} reports/s)`);
    console.log(`  daemon poll:        ${fmt(pollSeconds, 2)} s (${failed} failed, ${fmt(collected)} reports stored on the first page of targets); ingest meanwhile p99 ${fmt(ours.p99)} ms (${fmt(ours.rps)} reports/s)`);
    console.log(`  poll time ratio ${fmt(pollSeconds / baseSeconds, 2)} (goal ≤ 2); daemon RSS ${fmt(rss0)} → peak ${fmt(rssPeak)} → ${fmt(rss1)} MB, growth ${fmt(rssPeak - rss0)} MB (goal < 100); ingest p99 ratio ${fmt(ours.p99 / Math.max(1, base.p99), 2)} (goal ≤ 1.5)`);
  } finally {
    await sock.close();
    await daemon.stop();
    await fleet.close();
    await rm(root, { recursive: true, force: true });
  }
}

async function barePoll(p: EmulatedProduct, ca: string): Promise<void> {
  const agent = new Agent({ connect: { ca, maxCachedSessions: 0 } });
  const auth = `Basic ${Buffer.from(`${p.options.username}:${p.options.password}`).toString('base64')}`;
  try {
    const close = await request(`${p.url}/smartlic-service/close-reports`, { method: 'POST', dispatcher: agent, headers: { authorization: auth, 'content-type': 'application/json' }, body: '{}' });
    await close.body.dump();
    const all = await request(`${p.url}/smartlic-service/all-reports`, { dispatcher: agent, headers: { authorization: auth } });
    for await (const _ of all.body) { /* discarded */ }
  } finally {
    await agent.close();
  }
}

async function bounded<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
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
