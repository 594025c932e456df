// Crash trials beyond ingest (issue 14, finding 9): a real daemon is killed with SIGKILL at a
// random moment of an export, an import, a retention prune or a store migration, started again,
// and checked: it opens, what it had answered for is there, and the interrupted work can be done
// again. Used by the fault test at CI size and by `npm run soak`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { control } from './control.ts';
import { start } from './crash.ts';
import { createToken, postReport, registerDevice, report } from './devices.ts';
import { FakeCloud, importBundle, line, socketCall } from './exchange.ts';
import { BIN, daemonEnv, runCli } from './process.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/store-0.1.0/', import.meta.url));

export interface TrialOutcome {
  /** What the trial did, for the soak's summary. */
  did: string;
  /** Rules that did not hold (empty: all held). */
  broke: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A satellite with `n` reports from 4 devices, and their ids. */
async function withReports(dataDir: string, n: number, env: Record<string, string> = {}) {
  const d = await start(dataDir, env);
  const socket = path.join(dataDir, 'outpost.sock');
  const { token } = await createToken(socket, { maxUses: 100 });
  const creds: string[] = [];
  for (let i = 0; i < 4; i++) creds.push((await registerDevice(d.device, token, `FAULT${Date.now()}${i}`)).body.credential);
  const accepted: Array<{ cred: string; body: ReturnType<typeof report> }> = [];
  await Promise.all(
    creds.map(async (cred) => {
      for (let i = 0; i < n / 4; i++) {
        const body = report(new Date(Date.now() - 60_000));
        if ((await postReport(d.device, cred, body)).status === 202) accepted.push({ cred, body });
      }
    }),
  );
  return { d, socket, accepted };
}

async function lostReports(device: string, accepted: Array<{ cred: string; body: ReturnType<typeof report> }>): Promise<string[]> {
  const lost: string[] = [];
  for (const a of accepted) {
    const res = await postReport(device, a.cred, a.body);
    if (res.status !== 200) lost.push(`report ${a.body.reportId} answered 202 is gone (${res.status})`);
  }
  return lost;
}

/** kill -9 while exports run back to back; after a restart the reports are all there and an export works. */
export async function exportCrashTrial(dataDir: string, killAfterMs: number): Promise<TrialOutcome> {
  const { d, socket, accepted } = await withReports(dataDir, 200);
  const env = daemonEnv(dataDir);
  let stop = false;
  let exports = 0;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      const r = await runCli(['export', '--out', path.join(dataDir, '..', `export-${i}.zip`), '--json'], env);
      if (r.code === 0) exports++;
    }
  })();
  await sleep(killAfterMs);
  await d.kill();
  stop = true;
  await loop;
  const again = await start(dataDir);
  const broke = await lostReports(again.device, accepted);
  const status = (await control(socket, 'GET', '/api/status')).body;
  if (status.reports?.total < accepted.length) broke.push(`status counts ${status.reports?.total} reports, ${accepted.length} were answered 202`);
  const after = await runCli(['export', '--out', path.join(dataDir, '..', 'export-after.zip'), '--json'], env);
  if (after.code !== 0) broke.push(`an export after the restart failed: ${after.stdout}${after.stderr}`);
  await again.stop();
  return { did: `export: kill -9 after ${killAfterMs} ms (${exports} exports done), ${accepted.length} reports`, broke };
}

/** kill -9 during the import of a large cloud response; after a restart, importing it again applies it once. */
export async function importCrashTrial(dataDir: string, killAfterMs: number, lines = 3000): Promise<TrialOutcome> {
  const dir = path.join(dataDir, '..');
  mkdirSync(dir, { recursive: true });
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  const cloudEnv = { OUTPOST_CLOUD_KEYS: cloud.jwksPath };
  const { d, socket, accepted } = await withReports(dataDir, 20, cloudEnv);
  const status = (await control(socket, 'GET', '/api/status')).body;
  const satellite: string = status.satellite.id;
  const broke: string[] = [];
  if (!existsSync(path.join(dir, 'registered'))) {
    await socketCall(socket, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
    const reg = await importBundle(socket, await cloud.registrationResponse(satellite, { sequence: 1, createdAt: new Date().toISOString() }));
    if (reg.status !== 200) broke.push(`registration response answered ${reg.status}`);
  }
  const exported = await socketCall(socket, 'POST', '/api/sync/export');
  const seq = Number(exported.headers['x-outpost-sequence']);
  const response = await cloud.cloudResponse(satellite, {
    sequence: seq + 1,
    inReplyTo: seq,
    createdAt: new Date().toISOString(),
    lines: Array.from({ length: lines }, (_, i) => line(`LC${seq}-${i}`, 1 + (i % 5))),
  });
  const env = daemonEnv(dataDir, cloudEnv);
  const importing = runCli(['import', response, '--json'], env);
  await sleep(killAfterMs);
  await d.kill();
  const first = await importing;
  const again = await start(dataDir, cloudEnv);
  broke.push(...(await lostReports(again.device, accepted)));
  const second = await runCli(['import', response, '--json'], env);
  if (second.code !== 0) broke.push(`importing again after the restart failed: ${second.stdout}${second.stderr}`);
  const acc = (await control(socket, 'GET', '/api/status')).body;
  if (acc.reports?.unacknowledged !== 0) broke.push(`after the import ${acc.reports?.unacknowledged} reports are still unacknowledged`);
  const lic = (await control(socket, 'GET', '/api/licenses/lines?limit=1000')).body;
  if (!Array.isArray(lic.items) || lic.items.length === 0) broke.push(`no license lines after the import: ${JSON.stringify(lic).slice(0, 200)}`);
  await again.stop();
  return { did: `import of ${lines} lines: kill -9 after ${killAfterMs} ms (the first import ${first.code === 0 ? 'had finished' : 'was cut'})`, broke };
}

/** kill -9 while the store of release 0.1.0 is being migrated at start; the next start finishes it, nothing lost. */
export async function migrationCrashTrial(dataDir: string, killAfterMs: number): Promise<TrialOutcome> {
  cpSync(FIXTURE, dataDir, { recursive: true });
  chmodSync(dataDir, 0o700);
  const child = spawn(process.execPath, [BIN, 'serve'], { env: daemonEnv(dataDir), stdio: 'ignore' });
  const exited = once(child, 'exit');
  await sleep(killAfterMs);
  child.kill('SIGKILL');
  await exited;
  const broke: string[] = [];
  const d = await start(dataDir);
  const socket = path.join(dataDir, 'outpost.sock');
  const status = (await control(socket, 'GET', '/api/status')).body;
  if (status.devices?.registered !== 5 || status.reports?.total !== 8) broke.push(`after the migration: ${JSON.stringify({ devices: status.devices, reports: status.reports })}, wanted 5 devices and 8 reports`);
  const users = (await control(socket, 'GET', '/api/users')).body.items?.map((u: { username: string }) => u.username).sort();
  if (JSON.stringify(users) !== JSON.stringify(['admin', 'alice', 'bob'])) broke.push(`users after the migration: ${JSON.stringify(users)}`);
  await d.stop();
  return { did: `migration from 0.1.0: kill -9 after ${killAfterMs} ms`, broke };
}

/**
 * kill -9 while retention prunes at start: a store made on a clock 200 days back (acknowledged
 * reports, and unacknowledged ones after them) is served on the real clock, whose start-up
 * retention prunes the acknowledged ones; killed part way, the next start finishes the prune and
 * every unacknowledged report is still there.
 */
export async function retentionCrashTrial(dataDir: string, killAfterMs: number, acked = 800): Promise<TrialOutcome> {
  const { loadConfig } = await import('../../daemon/config/index.ts');
  const { createLogger } = await import('../../daemon/log.ts');
  const { openSatellite } = await import('../../daemon/main.ts');
  const { Writable } = await import('node:stream');
  const dir = path.join(dataDir, '..');
  mkdirSync(dir, { recursive: true });
  const cloud = new FakeCloud(dir);
  await cloud.trust();
  // Pruning waits for the export that carried a report to be older than device.maxReportAgeDays
  // + 1 and the acknowledgement older than retention.acknowledgedDays: small ones here.
  const configFile = path.join(dir, 'outpost.yaml');
  writeFileSync(configFile, `device: { maxReportAgeDays: 30 }\nretention: { acknowledgedDays: 10 }\nexchange: { cloudKeys: ${JSON.stringify(cloud.jwksPath)} }\n`);
  let offset = 40 * 86_400_000;
  const past = () => new Date(Date.now() - offset);
  const config = loadConfig({ env: {}, file: configFile, overrides: { dataDir, 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0' } });
  const sat = await openSatellite(config, { log: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })), clock: past, env: {} });
  const kept: Array<{ cred: string; body: ReturnType<typeof report> }> = [];
  const broke: string[] = [];
  try {
    await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'x', offline: true } });
    await importBundle(sat.socketPath, await cloud.registrationResponse(sat.ctx.identity.id, { sequence: 1, createdAt: past().toISOString() }));
    const { token } = await createToken(sat.socketPath, { maxUses: 10 });
    const creds: string[] = [];
    for (let i = 0; i < 4; i++) creds.push((await registerDevice(sat.listeners.device!, token, `RET${Date.now()}${i}`)).body.credential);
    await Promise.all(creds.map(async (cred) => {
      for (let i = 0; i < acked / 4; i++) await postReport(sat.listeners.device!, cred, report(new Date(past().getTime() - 60_000)));
    }));
    let seq = 0;
    for (let more = true; more; ) {
      const e = await socketCall(sat.socketPath, 'POST', '/api/sync/export');
      seq = Number(e.headers['x-outpost-sequence']);
      more = e.headers['x-outpost-more'] === 'true';
    }
    const applied = await importBundle(sat.socketPath, await cloud.cloudResponse(sat.ctx.identity.id, { sequence: 2, inReplyTo: seq, createdAt: past().toISOString() }));
    if (applied.status !== 200) broke.push(`the cloud response answered ${applied.status}`);
    offset = 60_000; // the reports kept are recent ones
    for (let i = 0; i < 20; i++) {
      const body = report(new Date(past().getTime() - 60_000));
      if ((await postReport(sat.listeners.device!, creds[i % 4]!, body)).status === 202) kept.push({ cred: creds[i % 4]!, body });
    }
  } finally {
    await sat.close();
  }
  const env = { OUTPOST_CONFIG: configFile };
  const d = await start(dataDir, env); // start-up retention runs in the background
  await sleep(killAfterMs);
  await d.kill();
  const again = await start(dataDir, env);
  const socket = path.join(dataDir, 'outpost.sock');
  let total = -1;
  for (let i = 0; i < 100; i++) {
    total = (await control(socket, 'GET', '/api/status')).body.reports?.total;
    if (total === kept.length) break;
    await sleep(200);
  }
  if (total !== kept.length) broke.push(`after the restart ${total} reports remain, wanted the ${kept.length} unacknowledged ones`);
  broke.push(...(await lostReports(again.device, kept)));
  await again.stop();
  return { did: `retention of ${acked} acknowledged reports: kill -9 after ${killAfterMs} ms`, broke };
}
