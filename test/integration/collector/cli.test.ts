// The collector through the real command line and a real daemon process: targets in bulk from a
// CSV, a poll, the RUM file, and a backup that carries the secrets key so the restored satellite
// still polls (and one without the key refuses to start, with one line).
import t from 'tap';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.ts';
import { daemonEnv, runCli, startDaemon } from '../../helpers/process.ts';
import { startFleet } from '../../../scripts/product-emulator.ts';
import { parseRumUsageXml } from '../../../daemon/domain/collector/xml.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function polled(env: NodeJS.ProcessEnv, n: number): Promise<any[]> {
  for (let i = 0; i < 100; i++) {
    const items = JSON.parse((await runCli(['target', 'list', '--json'], env)).stdout).items as any[];
    if (items.length >= n && items.every((x) => x.lastPoll)) return items;
    await sleep(200);
  }
  throw new Error('the polls did not finish');
}

t.test('target import, collect, rum export, backup and restore', async (t) => {
  const dir = tempDir(t);
  const fleet = await startFleet({ products: 3, product: () => ({ closedReports: 2 }) });
  t.teardown(() => fleet.close());
  const ca = path.join(dir, 'ca.pem');
  await writeFile(ca, fleet.pem.cert);
  const [p0, p1, p2] = fleet.products;
  const csv = [
    'address,username,password,va,ca',
    `${p0!.url},collector,${p0!.options.password},Default,${ca}`,
    `"${p1!.url}",collector,"${p1!.options.password}",,${ca}`,
    `http://${new URL(p2!.url).host},collector,x,,`,
  ].join('\n');
  await writeFile(path.join(dir, 'targets.csv'), csv);
  const dataDir = path.join(dir, 'data');
  const env = daemonEnv(dataDir);
  const d = await startDaemon(t, env);

  // Each line is added on its own: the refused one is listed, the others are in.
  const imported = await runCli(['target', 'import', path.join(dir, 'targets.csv'), '--json'], env);
  t.equal(imported.code, 0, imported.stderr);
  const result = JSON.parse(imported.stdout);
  t.equal(result.added.length, 2);
  t.match(result.refused, [{ line: 4, code: 'INVALID_REQUEST', message: /https:\/\// }]);
  const pw = path.join(dir, 'pw');
  await writeFile(pw, `${p2!.options.password}\n`);
  const added = await runCli(['target', 'add', p2!.url, '--username', 'collector', '--password-file', pw, '--pin', fleet.pem.sha256, '--insecure'], env);
  t.equal(added.code, 0, added.stderr);
  t.match(added.stdout, /warning: TLS verification is off; only the certificate pin is checked/);
  t.ok((await readFile(path.join(dataDir, 'secrets.key'))).length === 32, 'the key file exists');

  const collect = await runCli(['collect'], env);
  t.match(collect.stdout, /3 poll\(s\) started/);
  const items = await polled(env, 3);
  // Two closed before, and the open ones close-reports closed (the products' clock runs).
  const total = fleet.products.reduce((n, p) => n + p.closedIds.length, 0);
  t.ok(items.every((x) => x.lastPoll.ok && x.lastPoll.reports >= 2), JSON.stringify(items.map((x) => x.lastPoll)));
  t.equal(items.reduce((n, x) => n + x.lastPoll.reports, 0), total);
  const text = (await runCli(['target', 'list'], env)).stdout;
  t.match(text, /reports \d+/);
  t.notOk(text.includes(p0!.options.password));

  const xmlFile = path.join(dir, 'usage.xml');
  const exported = await runCli(['rum', 'export', '--out', xmlFile, '--json'], env);
  t.match(JSON.parse(exported.stdout), { export: 1, reports: total });
  t.equal(parseRumUsageXml(await readFile(xmlFile, 'utf8')).length, total);
  const ack = path.join(dir, 'ack.xml');
  await writeFile(ack, '<smartLicense><smartLicenseRumAck><data>x</data></smartLicenseRumAck></smartLicense>');
  const acked = await runCli(['rum', 'import-ack', ack, '--json'], env);
  t.match(JSON.parse(acked.stdout), { export: 1, documents: 1, queued: 3, acknowledged: total });

  const backupDir = path.join(dir, 'restored');
  t.equal((await runCli(['backup', '--out', backupDir], env)).code, 0);
  t.same(await readFile(path.join(backupDir, 'secrets.key')), await readFile(path.join(dataDir, 'secrets.key')), 'the backup carries the key');
  d.child.kill('SIGTERM');
  await d.exited;

  // The restored satellite polls with the passwords it decrypts with the key it was given.
  const env2 = daemonEnv(backupDir);
  const d2 = await startDaemon(t, env2);
  const id = items[0].id;
  t.equal((await runCli(['collect', '--target', id], env2)).code, 0);
  for (let i = 0; i < 100; i++) {
    const it = JSON.parse((await runCli(['target', 'list', '--json'], env2)).stdout).items.find((x: any) => x.id === id);
    if (it.lastPoll.at !== items[0].lastPoll.at) {
      t.match(it.lastPoll, { ok: true, error: null }, 'polled after the restore');
      break;
    }
    await sleep(200);
  }
  d2.child.kill('SIGTERM');
  await d2.exited;

  // Without the key the start stops, with one line.
  await rm(path.join(backupDir, 'secrets.key'));
  const env3 = daemonEnv(backupDir);
  await t.rejects(startDaemon(t, env3), /collector\.secretsKeyFile: .*secrets\.key is missing, but 3 collector target\(s\)/);
});

t.test('kill -9 in the middle of a poll: nothing half-stored, nothing counted twice', async (t) => {
  const dir = tempDir(t);
  const fleet = await startFleet({ products: 1, product: () => ({ closedReports: 3 }) });
  t.teardown(() => fleet.close());
  const p = fleet.products[0]!;
  const dataDir = path.join(dir, 'data');
  const env = daemonEnv(dataDir);
  const d = await startDaemon(t, env);
  const pw = path.join(dir, 'pw');
  await writeFile(pw, p.options.password);
  t.equal((await runCli(['target', 'add', p.url, '--username', 'collector', '--password-file', pw, '--pin', fleet.pem.sha256, '--insecure'], env)).code, 0);
  // The answer never ends: the poll is in flight when the daemon dies.
  p.faults = { dripMs: 50 };
  await runCli(['collect'], env);
  for (let i = 0; i < 50 && !p.requests.some((r) => r.path.endsWith('/all-reports')); i++) await sleep(100);
  d.child.kill('SIGKILL');
  await d.exited;
  p.faults = {};
  const d2 = await startDaemon(t, env);
  const before = JSON.parse((await runCli(['target', 'list', '--json'], env)).stdout).items[0];
  t.equal(before.lastPoll, null, 'the interrupted poll left nothing');
  t.equal(before.reportsCollected, 0);
  await runCli(['collect'], env);
  const items = await polled(env, 1);
  const n = p.closedIds.length;
  t.match(items[0].lastPoll, { ok: true, reports: n });
  await runCli(['collect'], env);
  for (let i = 0; i < 100; i++) {
    const it = JSON.parse((await runCli(['target', 'list', '--json'], env)).stdout).items[0];
    if (it.lastPoll.at !== items[0].lastPoll.at) {
      t.equal(it.reportsCollected, p.closedIds.length, 'each report counted once');
      break;
    }
    await sleep(200);
  }
  const devices = JSON.parse((await runCli(['status', '--json'], env)).stdout).devices;
  t.same(devices, { registered: 1, deregistered: 0 });
  d2.child.kill('SIGTERM');
  await d2.exited;
});
