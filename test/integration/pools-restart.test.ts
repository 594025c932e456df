// The pools after a restart, on a real LevelDB: a graceful shutdown saves their usage sums and
// the next start takes them back without reading a device; after a kill -9, or with the saved
// file deleted or altered, they are counted in the background (a log line at start and end)
// and pool reads wait for the count, so every answer is the one a count of the store gives.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { countedIn } from '../../daemon/domain/licenses/workspace/index.ts';
import { stageDevice, stageLatest } from '../../daemon/domain/devices/device-index.ts';
import { newId } from '../../daemon/domain/satellite/ids.ts';
import type { DeviceRecord, LatestUsage } from '../../daemon/domain/satellite/records.ts';
import { POOL_COUNTS_FILE } from '../../daemon/files/pool-counts-file.ts';
import { keys, prefixRange } from '../../daemon/store/index.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import { control } from '../helpers/control.ts';
import { createToken, postReport, registerDevice, report } from '../helpers/devices.ts';
import { prng } from '../helpers/fuzz.ts';
import { applyLines, ensureVa, line } from '../helpers/licenses.ts';
import { daemonEnv, startDaemon } from '../helpers/process.ts';
import { startSatellite, type TestSatellite } from '../helpers/satellite.ts';
import { tempDir } from '../helpers/tmp.ts';

const ENTS = ['network-advantage', 'dna-advantage', 'dna-essentials'];

/** `vaId/entitlement` → inUse for every pool with usage, as the API answers them. */
async function answered(socketPath: string): Promise<Record<string, number>> {
  const res = await control(socketPath, 'GET', '/api/licenses?limit=1000');
  if (res.status !== 200) throw new Error(`GET /api/licenses answered ${res.status}: ${JSON.stringify(res.body)}`);
  const out: Record<string, number> = {};
  for (const p of res.body.items) if (p.inUse !== 0) out[`${p.virtualAccount.id}/${p.entitlement}`] = p.inUse;
  return out;
}

/** The same, counted apart from the store of a stopped satellite: every registered device's latest usage in its VA. */
async function counted(dataDir: string): Promise<Record<string, number>> {
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  try {
    const devices = new Map<string, DeviceRecord>();
    for await (const [, d] of store.iterate<DeviceRecord>(prefixRange(keys.devicePrefix))) devices.set(d.id, d);
    const out: Record<string, number> = {};
    for await (const [key, l] of store.iterate<LatestUsage>(prefixRange(keys.latestUsagePrefix))) {
      const va = countedIn(devices.get(key.slice(keys.latestUsagePrefix.length)));
      if (va === null) continue;
      for (const [e, n] of Object.entries(l.usage)) out[`${va}/${e}`] = (out[`${va}/${e}`] ?? 0) + n;
    }
    for (const k of Object.keys(out)) if (out[k] === 0) delete out[k];
    return out;
  } finally {
    await store.close();
  }
}

/** `n` devices in three VAs (a tenth deregistered, a fifth never reported), through the writer as registration and ingest stage them (stageDevice, stageLatest). */
async function fleet(sat: TestSatellite, n: number, seed: number): Promise<string[]> {
  const reporting: string[] = [];
  const rnd = prng(seed);
  const vas = [sat.ctx.state.defaultVa.id, await ensureVa(sat, 'Default/Eng'), await ensureVa(sat, 'Default/Ops')];
  const now = sat.clock();
  await applyLines(sat, [line(now, { quantity: n }), line(now, { lineId: 'L-2', quantity: 50, virtualAccount: 'Default/Eng', entitlement: 'dna-advantage' })]);
  const { state, writer } = sat.ctx;
  for (let start = 0; start < n; start += 2000) {
    await writer.run(async (tx) => {
      for (let i = start; i < Math.min(start + 2000, n); i++) {
        const device: DeviceRecord = {
          id: newId('dev'),
          udi: { pid: 'C9300-24P', sn: `FOC${seed}${String(i).padStart(8, '0')}` },
          hostname: `sw-${i}.example.net`,
          vaId: vas[i % 3]!,
          state: rnd() < 0.1 ? 'deregistered' : 'registered',
          via: 'token',
          registeredAt: now.toISOString(),
          credentialId: newId('crd'),
          revoked: false,
        };
        await stageDevice(tx, state, undefined, device);
        const usage: Record<string, number> = {};
        for (const e of ENTS) if (rnd() < 0.7) usage[e] = Math.floor(rnd() * 4);
        const latest: LatestUsage | null = rnd() < 0.8 ? { reportId: randomUUID(), windowEnd: now.toISOString(), usage, lastReportAt: now.toISOString() } : null;
        if (latest) await stageLatest(tx, state, device, undefined, latest, { newer: true, before: undefined });
        if (latest && device.state === 'registered') reporting.push(device.id);
      }
    });
  }
  return reporting;
}

const logged = (lines: string[], msg: string) => lines.some((l) => l.includes(`"msg":"${msg}`));
/** The line may reach the pipe just after the answer that waited for what it reports: up to 10 s. */
async function loggedSoon(lines: string[], msg: string): Promise<boolean> {
  for (let i = 0; i < 200 && !logged(lines, msg); i++) await new Promise((r) => setTimeout(r, 50));
  return logged(lines, msg);
}

t.test('a graceful restart takes the saved sums back; a deleted or altered file is counted again while reads wait', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const file = path.join(dataDir, POOL_COUNTS_FILE);
  const sat = await startSatellite(t, { dataDir });
  const [a, b] = await fleet(sat, 20_000, 3);
  // A move and a deregistration through the API, after the fleet.
  t.equal((await control(sat.socketPath, 'POST', `/api/devices/${a}/move`, { virtualAccount: 'Default/Ops' })).status, 200, 'a device moves');
  t.equal((await control(sat.socketPath, 'DELETE', `/api/devices/${b}`)).status, 200, 'a device is deregistered');
  const before = await answered(sat.socketPath);
  t.ok(Object.keys(before).length >= 6, 'pools with usage in three VAs');
  await sat.close();

  t.same(await counted(dataDir), before, 'the pools answered what a count of the store gives');
  t.ok(existsSync(file), 'a graceful shutdown saved the sums');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.ok(statSync(file).size < 4096, `a few bytes per pool (${statSync(file).size} bytes for 20,000 devices)`);

  const again = await startSatellite(t, { dataDir });
  t.ok(logged(again.logs, 'pool counts ready (saved at the last shutdown)'), 'taken back');
  t.notOk(logged(again.logs, 'counting the pools'), 'nothing counted');
  t.notOk(existsSync(file), 'the file is deleted at start: a crash from here on leaves none');
  t.same(await answered(again.socketPath), before, 'the same pools');
  await again.close();

  // Altered: one count changed (the digest no longer matches).
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  saved.counts[0][2] += 1;
  writeFileSync(file, JSON.stringify(saved), { mode: 0o600 });
  const altered = await startDaemon(t, daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' }));
  const socket = path.join(dataDir, 'outpost.sock');
  const early = !logged(altered.output, 'pools counted');
  const during = await answered(socket);
  t.ok(logged(altered.output, 'counting the pools in the background (the saved counts do not match the store)'), 'a log line at start');
  t.ok(await loggedSoon(altered.output, 'pools counted'), 'and at the end');
  t.same(during, before, early ? 'a read sent while the count ran waited for it and answered the right pools' : 'answers the right pools');
  t.comment(`read sent ${early ? 'during' : 'after'} the count; ${altered.output.find((l) => l.includes('"msg":"pools counted"'))}`);
  altered.child.kill('SIGTERM');
  await altered.exited;

  // Deleted.
  rmSync(file);
  const deleted = await startDaemon(t, daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' }));
  const earlyToo = !logged(deleted.output, 'pools counted');
  const status = await answered(socket);
  t.ok(logged(deleted.output, 'counting the pools in the background (no counts saved'), 'a log line at start');
  t.same(status, before, earlyToo ? 'a read sent while the count ran waited for it' : 'the right pools');
  t.ok(early || earlyToo, 'at least one read was sent while a count of 20,000 devices ran');
  deleted.child.kill('SIGTERM');
  await deleted.exited;
  t.ok(existsSync(file), 'counted sums are saved at shutdown like restored ones');
});

t.test('kill -9 during ingest and moves: the next start counts the pools again and they equal the store', async (t) => {
  const rnd = prng(Number(process.env.OUTPOST_FAULT_SEED ?? 19));
  const dataDir = path.join(tempDir(t), 'data');
  const socket = path.join(dataDir, 'outpost.sock');
  const env = daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' });
  let d = await startDaemon(t, env);
  const eng = await control(socket, 'POST', '/api/virtual-accounts', { name: 'Eng', parentId: 'Default' });
  t.equal(eng.status, 201);
  const creds: string[] = [];
  const ids: string[] = [];
  for (const va of ['Default', 'Default/Eng']) {
    const { token } = await createToken(socket, { maxUses: 100, virtualAccountId: va });
    for (let i = 0; i < 3; i++) {
      const reg = await registerDevice(d.device, token, `KILL${va.length}${i}${Date.now()}`);
      creds.push(reg.body.credential);
      ids.push(reg.body.deviceId);
    }
  }
  let dead = false;
  let accepted = 0;
  let moved = 0;
  // Devices move between the two VAs (and one is deregistered) while the others report.
  const mover = async () => {
    for (let i = 0; !dead; i++) {
      const id = ids[i % ids.length]!;
      try {
        const res = i === 7 ? await control(socket, 'DELETE', `/api/devices/${id}`) : await control(socket, 'POST', `/api/devices/${id}/move`, { virtualAccount: i % 2 ? 'Default/Eng' : 'Default' });
        if (res.status === 200) moved++;
      } catch {
        return; // killed
      }
    }
  };
  const worker = async (cred: string, i: number) => {
    let minute = 0;
    while (!dead) {
      // Each report is newer than the last (a later window end): it replaces the device's usage.
      const body = report(new Date(Date.now() - 3_600_000 + minute++ * 1000 + i), ENTS.map((entitlement) => ({ entitlement, count: Math.floor(rnd() * 5) })));
      try {
        if ((await postReport(d.device, cred, body)).status === 202) accepted++;
      } catch {
        return; // killed
      }
    }
  };
  const workers = [...creds.map(worker), mover()];
  await new Promise((r) => setTimeout(r, 300 + Math.floor(rnd() * 700)));
  d.child.kill('SIGKILL');
  dead = true;
  await d.exited;
  await Promise.all(workers);
  t.ok(accepted > 0 && moved > 0, `${accepted} reports answered 202 and ${moved} devices moved before the kill`);
  t.notOk(existsSync(path.join(dataDir, POOL_COUNTS_FILE)), 'a killed daemon saved nothing');

  d = await startDaemon(t, env);
  const after = await answered(socket);
  t.ok(logged(d.output, 'counting the pools in the background (no counts saved: first start or unclean shutdown)'), 'counted again, with a log line');
  t.ok(await loggedSoon(d.output, 'pools counted'), 'and one at the end');
  d.child.kill('SIGTERM');
  await d.exited;
  t.same(after, await counted(dataDir), 'the pools after the kill equal a count of the store');
  t.ok(Object.keys(after).length > 0);

  d = await startDaemon(t, env);
  t.ok(logged(d.output, 'pool counts ready (saved at the last shutdown)'));
  t.same(await answered(socket), after, 'and a graceful restart after it keeps them');
  d.child.kill('SIGTERM');
  await d.exited;
});
