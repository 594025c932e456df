// The daemon as a process: start-up refusals, graceful shutdown, and kill -9 losing nothing.
import t from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from '../helpers/tmp.ts';
import { daemonEnv, runCli, startDaemon } from '../helpers/process.ts';
import { createToken, postReport, registerDevice, report } from '../helpers/devices.ts';

async function serveFails(env: NodeJS.ProcessEnv, args: string[] = []) {
  const r = await runCli(['serve', ...args], env);
  return { ...r, lines: (r.stderr.trim() ? r.stderr.trim().split('\n') : []) };
}

t.test('an invalid config stops the start with one line naming the key, and writes nothing', async (t) => {
  const root = tempDir(t);
  const dataDir = path.join(root, 'data');
  const file = path.join(root, 'outpost.yaml');
  writeFileSync(file, 'lapse:\n  days: -3\n');
  const r = await serveFails(daemonEnv(dataDir), ['--config', file]);
  t.not(r.code, 0);
  t.equal(r.lines.length, 1, r.stderr);
  t.match(r.lines[0], /"lapse\.days" is invalid/);
  t.notOk(existsSync(dataDir), 'no data dir was made');

  const bad = await serveFails({ ...daemonEnv(dataDir), OUTPOST_DEVICE_LISTEN: 'everywhere' });
  t.not(bad.code, 0);
  t.match(bad.lines[0], /"device\.listen" is invalid/);
  const unknown = await serveFails(daemonEnv(dataDir), ['--bogus']);
  t.not(unknown.code, 0);
  t.notOk(existsSync(dataDir));
});

t.test('a port in use stops the start with one line, and writes nothing', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const r = await serveFails({ ...daemonEnv(dataDir), OUTPOST_ADMIN_LISTEN: `127.0.0.1:${port}` });
  t.not(r.code, 0);
  t.equal(r.lines.length, 1, r.stderr);
  t.match(r.lines[0], new RegExp(`admin\\.listen: 127\\.0\\.0\\.1:${port} is already in use`));
  t.notOk(existsSync(dataDir), 'no data dir was made');
});

t.test('a second daemon on the same data dir stops with one line and changes nothing', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const env = daemonEnv(dataDir);
  const first = await startDaemon(t, env);
  const before = readdirSync(dataDir).sort();
  const r = await serveFails(env);
  t.not(r.code, 0);
  t.equal(r.lines.length, 1, r.stderr);
  t.match(r.lines[0], /dataDir: .* is in use by another running Outpost/);
  t.same(readdirSync(dataDir).sort(), before);
  t.equal((await runCli(['status'], env)).code, 0, 'the first daemon still answers on its socket');
  first.child.kill('SIGTERM');
  t.equal((await first.exited).code, 0);
});

t.test('a control socket path over 100 bytes stops the start with a clear line', async (t) => {
  const file = path.join(tempDir(t), 'c.yaml');
  writeFileSync(file, `controlSocket: /tmp/${'x'.repeat(120)}.sock\n`);
  const long = await serveFails(daemonEnv(path.join(tempDir(t), 'd2')), ['--config', file]);
  t.not(long.code, 0);
  t.match(long.lines[0], /controlSocket: the path .* is longer than 100 bytes/);
});

t.test('SIGINT shuts down gracefully with exit 0', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const d = await startDaemon(t, daemonEnv(dataDir));
  d.child.kill('SIGINT');
  const started = Date.now();
  t.same(await d.exited, { code: 0, signal: null });
  t.ok(Date.now() - started < 10_000);
  t.match(d.output.join('\n'), /"msg":"stopped"/);
});

t.test('kill -9 during a burst of reports loses no report that was answered 202', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const env = daemonEnv(dataDir);
  let d = await startDaemon(t, env);
  const { token } = await createToken(path.join(dataDir, 'outpost.sock'), { maxUses: 100 });
  const devices = await Promise.all(Array.from({ length: 16 }, () => registerDevice(d.device, token)));
  const creds = devices.map((x) => x.body.credential);
  const acknowledged: Array<{ cred: string; body: ReturnType<typeof report> }> = [];

  for (let round = 1; round <= 3; round++) {
    let stop = false;
    const workers = creds.map(async (cred) => {
      while (!stop) {
        const body = report(new Date());
        try {
          const res = await postReport(d.device, cred, body);
          if (res.status === 202) acknowledged.push({ cred, body });
        } catch {
          return; // the connection died with the daemon
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300 + round * 100));
    d.child.kill('SIGKILL');
    stop = true;
    await d.exited;
    await Promise.all(workers);
    t.ok(acknowledged.length > 0, `round ${round}: ${acknowledged.length} reports answered 202 so far`);

    d = await startDaemon(t, env);
    let lost = 0;
    for (const a of acknowledged) {
      const res = await postReport(d.device, a.cred, a.body);
      if (!(res.status === 200 && res.body.duplicate === true)) lost++;
    }
    t.equal(lost, 0, `round ${round}: every acknowledged report is still there after kill -9`);
  }
  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout);
  t.ok(status.reports.total >= acknowledged.length, `${status.reports.total} stored ≥ ${acknowledged.length} acknowledged`);
});
