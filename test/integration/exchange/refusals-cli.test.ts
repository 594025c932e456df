// Every SPEC §5 refusal through `outpost import FILE` against a real daemon: exit 1, one clear
// line (or the error object with --json), and a store dump identical before and after.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey } from '../../../exchange/bundle/index.ts';
import { LevelStore } from '../../../daemon/store/level.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { daemonEnv, runCli, startDaemon } from '../../helpers/process.ts';
import { postReport, registerDevice, report } from '../../helpers/devices.ts';
import { FakeCloud, storeDump } from '../../helpers/exchange.ts';
import { CASE_MAX_BYTES, refusalCases } from '../../helpers/refusal-cases.ts';

async function dump(dataDir: string) {
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  try {
    return await storeDump(store);
  } finally {
    await store.close();
  }
}

t.test('outpost import refuses every bad bundle with its code and changes nothing', async (t) => {
  const root = tempDir(t);
  const dataDir = path.join(root, 'data');
  const cloud = new FakeCloud(root);
  const retired = generateSigningKey();
  await cloud.trust([cloud.key, retired]);
  const configFile = path.join(root, 'outpost.yaml');
  writeFileSync(configFile, `exchange:\n  cloudKeys: ${cloud.jwksPath}\n  maxBundleBytes: ${CASE_MAX_BYTES}\n`);
  const env = daemonEnv(dataDir);
  const cli = (...args: string[]) => runCli(args, env);
  let d = await startDaemon(t, env, ['--config', configFile]);
  const id = JSON.parse((await cli('status', '--json')).stdout).satellite.id as string;
  const createdAt = new Date(Date.now() - 60_000).toISOString();

  const req = await cli('register', '--token', 'reg-token-0123456789', '--offline', '--out', path.join(root, 'request.zip'), '--json');
  t.equal(req.code, 0, req.stderr);
  t.same(JSON.parse(req.stdout), { file: path.join(root, 'request.zip') });
  const reg = await cli('import', await cloud.registrationResponse(id, { sequence: 1, createdAt, key: retired }), '--json');
  t.equal(reg.code, 0, reg.stdout);
  const token = JSON.parse((await cli('token', 'create', '--va', 'Default', '--json')).stdout).token;
  const dev = await registerDevice(d.device, token);
  t.equal((await postReport(d.device, dev.body.credential, report(new Date()))).status, 202);
  const exp = await cli('export', '--out', path.join(root, 'report-1.zip'), '--json');
  t.same(JSON.parse(exp.stdout), { file: path.join(root, 'report-1.zip'), sequence: 1, records: 3, more: false });
  t.equal((await cli('import', await cloud.cloudResponse(id, { sequence: 3, inReplyTo: 1, createdAt }))).code, 0);
  await cloud.trust([cloud.key]);
  const { cases, good } = await refusalCases(root, cloud, id, retired, createdAt);

  d.child.kill('SIGTERM');
  await d.exited;
  const before = await dump(dataDir);
  d = await startDaemon(t, env, ['--config', configFile]);

  for (const c of cases) {
    const json = await cli('import', c.file, '--json');
    t.equal(json.code, 1, `${c.name}: exit 1`);
    const body = JSON.parse(json.stdout);
    t.equal(body.error.code, c.code, `${c.name}: ${c.code}`);
    t.match(body.error.message, c.message, `${c.name}: names the check`);
  }
  const text = await cli('import', cases[0]!.file);
  t.equal(text.code, 1);
  t.match(text.stderr, /^outpost: import of case-1\.zip refused \(BUNDLE_NOT_ZIP\): The bundle is not a zip file[^\n]*\.\n$/, 'one clear line');
  t.equal(text.stdout, '');
  const missing = await cli('import', path.join(root, 'nope.zip'));
  t.match(missing.stderr, /^outpost: cannot read .*nope\.zip \(ENOENT\)\n$/);

  d.child.kill('SIGTERM');
  await d.exited;
  t.same(await dump(dataDir), before, 'the store is exactly as it was');

  d = await startDaemon(t, env, ['--config', configFile]);
  const ok = await cli('import', good);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^applied cloud response 10 \(answering report 1\)\n  0 reports acknowledged\n  1 entitlement line in the snapshot\n  0 devices revoked by the cloud\n$/);
  const again = await cli('import', good);
  t.equal(again.stdout, 'cloud response 10 (answering report 1) was applied before; nothing changed\n');
  d.child.kill('SIGTERM');
  await d.exited;
});
