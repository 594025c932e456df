// Both workflows end to end by command line against a real daemon: air-gapped, with the
// reference cloud's `respond` carrying files across the gap; and over the network.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';
import { daemonEnv, runCli, startDaemon } from '../helpers/process.ts';
import { http } from '../helpers/satellite.ts';
import { postReport, registerDevice, report } from '../helpers/devices.ts';
import { ACCOUNT, CLOUD_TOKEN, line, POLICY, PROFILE, startReferenceCloud } from '../helpers/exchange.ts';

const CLOUD_MAIN = fileURLToPath(new URL('../../exchange/cloud/main.ts', import.meta.url));

async function cloudRespond(config: string, input: string, output: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLOUD_MAIN, 'respond', '--config', config, '--in', input, '--out', output], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`cloud respond exited ${code}: ${err}`);
  return JSON.parse(out);
}

t.test('register by file, report, export, respond, import: the round trip by command line', async (t) => {
  const root = tempDir(t);
  const f = (name: string) => path.join(root, name);
  const cloudConfig = f('cloud.json');
  writeFileSync(cloudConfig, JSON.stringify({ dataDir: './cloud-data', accounts: [{ id: ACCOUNT, profile: PROFILE, policy: POLICY, tokens: [CLOUD_TOKEN], lines: [line('L1', 50)] }] }));
  const env = daemonEnv(f('data'), { OUTPOST_CLOUD_KEYS: path.join(root, 'cloud-data', 'cloud-keys.json') });
  const cli = async (...args: string[]) => {
    const r = await runCli(args, env);
    t.equal(r.code, 0, `outpost ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const d = await startDaemon(t, env);

  // 1. Registration by file.
  const req = await cli('register', '--token', CLOUD_TOKEN, '--offline', '--out', f('request.zip'));
  t.match(req.stdout, /^registration request written to .*request\.zip\n/);
  t.match(await cloudRespond(cloudConfig, f('request.zip'), f('registration.zip')), { kind: 'registration-response', sequence: 1 });
  const applied = await cli('import', f('registration.zip'), '--json');
  t.same(JSON.parse(applied.stdout), { kind: 'registration-response', sequence: 1, inReplyTo: 0, alreadyApplied: false, changes: { acknowledged: 0, entitlements: 1, revoked: 0 } });
  const status = JSON.parse((await cli('status', '--json')).stdout);
  t.match(status, { registration: 'registered', account: { id: ACCOUNT, ...PROFILE }, daysUntilLapse: 364 });

  // 2. Devices report.
  const token = JSON.parse((await cli('token', 'create', '--va', 'Default', '--json')).stdout).token;
  const devices = [];
  for (const sn of ['FOC1', 'FOC2', 'FOC3']) {
    const reg = await registerDevice(d.device, token, sn);
    devices.push(reg.body);
    t.equal((await postReport(d.device, reg.body.credential, report(new Date()))).status, 202);
  }

  // 3. Export, carry, respond, carry back, import.
  const exported = await cli('export', '--out', f('report-1.zip'), '--json');
  t.same(JSON.parse(exported.stdout), { file: f('report-1.zip'), sequence: 1, records: 1 + 3 + 3, more: false });
  t.match(await cloudRespond(cloudConfig, f('report-1.zip'), f('response-1.zip')), { kind: 'cloud-response', sequence: 2, inReplyTo: 1 });
  const imported = await cli('import', f('response-1.zip'));
  t.equal(imported.stdout, 'applied cloud response 2 (answering report 1)\n  3 reports acknowledged\n  1 entitlement line in the snapshot\n  0 devices revoked by the cloud\n');
  const acks = await http('GET', `${d.device}/v1/acks`, { headers: { authorization: `Bearer ${devices[2]!.credential}` } });
  t.match(acks.body, { acks: [{ reportId: String, bundleSequence: 1 }] });
  const again = await cli('import', f('response-1.zip'), '--json');
  t.equal(JSON.parse(again.stdout).alreadyApplied, true);
  t.match(JSON.parse((await cli('status', '--json')).stdout), { reports: { total: 3, unacknowledged: 0 } });

  // 4. The next export carries nothing but the VA snapshot; no network is configured.
  t.match(JSON.parse((await cli('export', '--out', f('report-2.zip'), '--json')).stdout), { sequence: 2, records: 1, more: false });
  const sync = await runCli(['sync', '--json'], env);
  t.equal(sync.code, 1);
  t.equal(JSON.parse(sync.stdout).error.code, 'EXCHANGE_NOT_CONFIGURED');
  const text = await runCli(['sync'], env);
  t.match(text.stderr, /^outpost: exchange\.url is not set: this satellite exchanges by files only/);

  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('register and sync over the network by command line', async (t) => {
  const root = tempDir(t);
  const cloud = await startReferenceCloud(t, root);
  const env = daemonEnv(path.join(root, 'data'), { OUTPOST_EXCHANGE_URL: cloud.url, OUTPOST_CLOUD_KEYS: cloud.identity.jwksPath });
  const d = await startDaemon(t, env);
  const reg = await runCli(['register', '--token', CLOUD_TOKEN, '--json'], env);
  t.equal(reg.code, 0, reg.stderr);
  t.same(JSON.parse(reg.stdout), { registration: 'registered', account: { id: ACCOUNT, ...PROFILE } });
  const text = await runCli(['register', '--token', 'not-a-token-0123456789'], env);
  t.equal(text.code, 1);
  t.match(text.stderr, /^outpost: The cloud at http:\/\/127\.0\.0\.1:\d+ answered 401 \(TOKEN_INVALID: The registration token is not valid\.\)\.\n$/);

  const token = JSON.parse((await runCli(['token', 'create', '--va', 'Default', '--json'], env)).stdout).token;
  const dev = await registerDevice(d.device, token, 'FOC9');
  t.equal((await postReport(d.device, dev.body.credential, report(new Date()))).status, 202);
  const sync = await runCli(['sync', '--json'], env);
  t.equal(sync.code, 0, sync.stderr);
  t.same(JSON.parse(sync.stdout), { sent: { sequence: 1, records: 3 }, received: { sequence: 2 }, acknowledged: 1 });
  const plain = await runCli(['sync'], env);
  t.equal(plain.stdout, 'sent report 2 (1 record), applied cloud response 3: 0 reports acknowledged\n');
  t.match(JSON.parse((await runCli(['status', '--json'], env)).stdout), { registration: 'registered', reports: { unacknowledged: 0 } });
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});
