// The real command line against a real daemon process, through the control socket.
import t from 'tap';
import { statSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/tmp.ts';
import { daemonEnv, runCli, startDaemon } from '../helpers/process.ts';
import { postReport, registerDevice, report } from '../helpers/devices.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import { clockDriven } from '../helpers/exchange.ts';

t.test('token create, list, revoke and status, as text and --json', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const env = daemonEnv(dataDir);
  const d = await startDaemon(t, env);

  const created = await runCli(['token', 'create', '--va', 'Default', '--days', '10', '--uses', '2', '--description', 'lab switches', '--json'], env);
  t.equal(created.code, 0, created.stderr);
  const tok = JSON.parse(created.stdout);
  t.match(tok, { id: /^tok_/, token: /^opt_/, expiresAt: String });
  t.same(Object.keys(tok).sort(), ['expiresAt', 'id', 'token']);

  const plain = await runCli(['token', 'create', '--va', 'Default'], env);
  t.match(plain.stdout.trim(), /^opt_[A-Za-z0-9_-]{43}$/, 'text output is the secret alone');

  const list = await runCli(['token', 'list', '--json'], env);
  const items = JSON.parse(list.stdout).items;
  t.equal(items.length, 2);
  t.notOk(list.stdout.includes(tok.token), 'a listed token never shows its secret');
  t.match(items.find((i: any) => i.id === tok.id), { description: 'lab switches', maxUses: 2, uses: 0, revoked: false, virtualAccount: { path: 'Default' } });

  const reg = await registerDevice(d.device, tok.token);
  t.equal(reg.status, 201);
  t.equal((await postReport(d.device, reg.body.credential, report(new Date()))).status, 202);

  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout);
  t.match(status, {
    satellite: { id: /^sat_/, name: String },
    registration: 'unregistered',
    account: { id: null, type: 'customer' },
    lastCloudContact: null,
    daysUntilLapse: null,
    devices: { registered: 1, deregistered: 0 },
    reports: { total: 1, unacknowledged: 1 },
    listeners: { device: d.device, admin: d.admin },
  });
  const text = await runCli(['status'], env);
  t.match(text.stdout, /registration\s+unregistered/);

  const revoked = await runCli(['token', 'revoke', tok.id], env);
  t.equal(revoked.code, 0);
  t.match(revoked.stdout, new RegExp(`revoked ${tok.id}`));
  const refused = await registerDevice(d.device, tok.token);
  t.equal((refused.body as any).error.code, 'TOKEN_REVOKED');

  const missing = await runCli(['token', 'revoke', 'tok_nope', '--json'], env);
  t.equal(missing.code, 1);
  t.same(JSON.parse(missing.stdout), { error: { code: 'NOT_FOUND', message: 'No token "tok_nope".' } });
  const missingText = await runCli(['token', 'revoke', 'tok_nope'], env);
  t.equal(missingText.stderr, 'outpost: No token "tok_nope".\n', 'one clear line on failure');

  const badArgs = [
    ['token', 'create'],
    ['token', 'create', '--va', 'Default', '--days', 'ten'],
    ['token', 'create', '--va', 'Default', '--days', '400'],
    ['token', 'create', '--va', 'Nowhere'],
    ['token', 'create', '--va', 'Default', '--bogus'],
    ['token', 'frobnicate'],
    ['frobnicate'],
  ];
  for (const args of badArgs) {
    const r = await runCli([...args, '--json'], env);
    t.equal(r.code, 1, args.join(' '));
    t.match(JSON.parse(r.stdout), { error: { code: /^[A-Z_]+$/, message: String } });
  }
  t.equal(JSON.parse((await runCli(['token', 'list', '--json'], env)).stdout).items.length, 2, 'refused commands created nothing');

  // The secret appears in no log line.
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null }, 'SIGTERM stops the daemon with exit 0');
  const log = d.output.join('\n');
  t.notOk(log.includes(tok.token), 'no token secret in the log');
  t.notOk(log.includes(reg.body.credential), 'no device credential in the log');
  const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
  t.notOk(log.includes(password), 'no password in the log');
  t.match(log, /initial-admin-password/, 'the password file is named by its path');
  t.equal(statSync(path.join(dataDir, 'initial-admin-password')).mode & 0o777, 0o600);
  t.equal(statSync(path.join(dataDir, 'satellite-key.json')).mode & 0o777, 0o600);
  t.equal(statSync(dataDir).mode & 0o777, 0o700);
  t.notOk(existsSync(path.join(dataDir, 'outpost.sock')), 'the socket is removed at shutdown');
});

t.test('a command with no daemon running says so in one line', async (t) => {
  const env = daemonEnv(path.join(tempDir(t), 'data'));
  const r = await runCli(['status'], env);
  t.equal(r.code, 1);
  t.match(r.stderr, /^outpost: Outpost is not running \(no control socket at .*outpost\.sock\)\.\n$/);
});

t.test('backup writes a consistent copy that starts as a data dir of its own', async (t) => {
  const root = tempDir(t);
  const dataDir = path.join(root, 'data');
  const env = daemonEnv(dataDir);
  const d = await startDaemon(t, env);
  const tok = JSON.parse((await runCli(['token', 'create', '--va', 'Default', '--json'], env)).stdout);
  const devs = await Promise.all(Array.from({ length: 5 }, () => registerDevice(d.device, tok.token)));
  const reports = devs.map((dv) => ({ cred: dv.body.credential, r: report(new Date()) }));
  for (const { cred, r } of reports) t.equal((await postReport(d.device, cred, r)).status, 202);

  // Reports keep arriving while the backup runs: it is taken from one snapshot.
  let busy = true;
  const during = (async () => {
    let n = 0;
    while (busy) {
      await postReport(d.device, devs[0]!.body.credential, report(new Date()));
      n++;
    }
    return n;
  })();
  const out = path.join(root, 'backup');
  const b = await runCli(['backup', '--out', out, '--json'], env);
  busy = false;
  await during;
  t.equal(b.code, 0, b.stderr);
  t.match(JSON.parse(b.stdout), { dir: out, entries: Number });
  t.equal(statSync(path.join(out, 'satellite-key.json')).mode & 0o777, 0o600);
  t.equal((await runCli(['backup', '--out', out], env)).code, 1, 'a backup is never written over a non-empty directory');

  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout);
  d.child.kill('SIGTERM');
  await d.exited;

  // Every record of the backup is in the original (the original only grew since).
  const copy = new LevelStore(path.join(out, 'db'));
  await copy.open();
  const original = new LevelStore(path.join(dataDir, 'db'));
  await original.open();
  let compared = 0;
  for await (const [k, v] of copy.iterate({})) {
    // A device's latest usage and its place in the last-report index move with each report.
    // What the minute jobs rewrite on the clock alone (the time mark, the standing alerts) too.
    if (k === 'meta!reports' || k.startsWith('meta!seq!') || k.startsWith('dlu!') || k.startsWith('dx!l!') || clockDriven(k, v)) continue;
    t.same(await original.get(k), v, k);
    compared++;
  }
  await copy.close();
  await original.close();
  t.ok(compared > 10, `${compared} records compared`);

  // The restored satellite keeps its identity and its devices' credentials.
  const renv = daemonEnv(out);
  const restored = await startDaemon(t, renv);
  const rs = JSON.parse((await runCli(['status', '--json'], renv)).stdout);
  t.equal(rs.satellite.id, status.satellite.id);
  t.equal(rs.devices.registered, 5);
  const again = await postReport(restored.device, reports[1]!.cred, reports[1]!.r);
  t.equal(again.status, 200, 'a report taken before the backup is a duplicate after restore');
  t.equal(again.body.duplicate, true);
  t.equal((await postReport(restored.device, reports[2]!.cred, report(new Date()))).status, 202, 'credentials still work');
  restored.child.kill('SIGTERM');
  t.equal((await restored.exited).code, 0);
});
