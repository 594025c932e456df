// `npm run bench -- dashboard-devices [--devices 100000] [--pages 10]`: the devices page of the
// dashboard in Chromium against a satellite holding that many devices. Figures: the page's first
// paint (navigation start → the table rendered) and each next page (click → rendered), beside the
// bare API call for one page measured in the same run. Goals (issue 6): < 500 ms and < 200 ms.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { chromium } from 'playwright-core';
import { Agent, Pool, request } from 'undici';
import { loadConfig } from '../../daemon/config/index.ts';
import { createLogger } from '../../daemon/log.ts';
import { openSatellite } from '../../daemon/main.ts';

const CHROMIUM = process.env.OUTPOST_CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'bench password for the admin';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

export default async function main(args: string[]): Promise<void> {
  const devices = arg(args, 'devices', 100_000);
  const pages = arg(args, 'pages', 10);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'op-bench-'));
  const silent = new Writable({ write: (_c, _e, cb) => cb() });
  const config = loadConfig({ env: {}, overrides: { dataDir: path.join(dir, 'data'), 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0', 'log.level': 'warn' } });
  const sat = await openSatellite(config, { log: createLogger('warn', silent) });
  const socket = new Agent({ connect: { socketPath: sat.socketPath } });
  const api = async (method: string, p: string, body?: unknown) => {
    const r = await request(`http://localhost${p}`, { method: method as 'GET', dispatcher: socket, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return { status: r.statusCode, body: (await r.body.json().catch(() => null)) as any };
  };
  try {
    const admin = sat.listeners.admin!;
    const login = await request(`${admin}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: admin }, body: '{}' });
    await login.body.dump();
    const list = await api('GET', '/api/devices?limit=1');
    const missing = [login.statusCode === 404 ? 'POST /api/login' : null, list.status === 404 ? 'GET /api/devices' : null].filter(Boolean);
    if (missing.length) {
      console.error(`dashboard-devices: waiting for ${missing.join(', ')} — this branch cannot run the case yet.`);
      process.exitCode = 2;
      return;
    }

    // Devices through the device API, as real ones arrive.
    const token = (await api('POST', '/api/tokens', { virtualAccountId: 'Default', description: 'bench', validDays: 30 })).body.token as string;
    const pool = new Pool(sat.listeners.device!, { connections: 32 });
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = next++; i < devices; i = next++) {
          const sn = `FOC${String(i).padStart(7, '0')}`;
          const r = await pool.request({ path: '/v1/register', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, udi: { pid: 'C9300-24P', sn }, hostname: `sw-${sn.toLowerCase()}` }) });
          await r.body.dump();
          if (r.statusCode !== 201) throw new Error(`register ${sn}: ${r.statusCode}`);
        }
      }),
    );
    await pool.close();
    console.log(`seeded ${devices} devices in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Baseline: the bare API call for one page, as the dashboard makes it.
    const apiTimes: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < pages + 5; i++) {
      const s = performance.now();
      const r = await api('GET', `/api/devices?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      apiTimes.push(performance.now() - s);
      cursor = r.body.next;
    }

    const initial = (await readFile(path.join(config.dataDir, 'initial-admin-password'), 'utf8')).trim();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      await page.goto(`${admin}/`);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password', { exact: true }).fill(initial);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByLabel('Current (one-time) password').fill(initial);
      await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('New password, again').fill(PASSWORD);
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.locator('nav[aria-label="Main"]').waitFor();

      const firstPaint: number[] = [];
      for (let i = 0; i < 5; i++) {
        await page.goto(`${admin}/#/devices`);
        await page.reload(); // a full load: HTML, script, /api/me, then the page
        await page.waitForFunction(`performance.getEntriesByName('outpost:devices-rendered').length > 0`);
        firstPaint.push(await page.evaluate<number>(`performance.getEntriesByName('outpost:devices-rendered')[0].startTime`));
      }
      const nextPage: number[] = [];
      for (let i = 0; i < pages; i++) {
        nextPage.push(
          await page.evaluate<number>(`new Promise((resolve) => {
            const before = performance.getEntriesByName('outpost:devices-rendered').length;
            const start = performance.now();
            document.querySelector('button[aria-label="Next page"]').click();
            const poll = () => {
              const marks = performance.getEntriesByName('outpost:devices-rendered');
              if (marks.length > before) resolve(marks[marks.length - 1].startTime - start);
              else requestAnimationFrame(poll);
            };
            poll();
          })`),
        );
      }
      const fmt = (n: number) => `${n.toFixed(0)} ms`;
      console.log(`devices: ${devices}`);
      console.log(`API, one page of 50:        median ${fmt(median(apiTimes))}, p95 ${fmt(p95(apiTimes))}`);
      console.log(`first paint (full load):    median ${fmt(median(firstPaint))}, max ${fmt(Math.max(...firstPaint))}   goal < 500 ms`);
      console.log(`next page (click → shown):  median ${fmt(median(nextPage))}, p95 ${fmt(p95(nextPage))}   goal < 200 ms`);
    } finally {
      await browser.close();
    }
  } finally {
    await socket.close();
    await sat.close();
    await rm(dir, { recursive: true, force: true });
  }
}
