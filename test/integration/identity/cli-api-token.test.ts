// `outpost api-token create --user …|list|revoke` against a real daemon process, and the token it
// prints used with curl's request shape (Authorization: Bearer) on the admin listener.
import path from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { daemonEnv, runCli, startDaemon } from '../../helpers/process.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('api-token create, list, revoke, as text and --json', async (t) => {
  const env = daemonEnv(path.join(tempDir(t), 'data'));
  const d = await startDaemon(t, env);

  const created = await runCli(['api-token', 'create', '--user', 'admin', '--name', 'monitoring', '--roles', 'viewer,sa-user', '--days', '30', '--json'], env);
  t.equal(created.code, 0, created.stderr);
  const tok = JSON.parse(created.stdout);
  t.match(tok, { id: /^atk_/, token: /^oat_/, expiresAt: String });

  const pools = await request(`${d.admin}/api/licenses?va=all`, { headers: { authorization: `Bearer ${tok.token}` } });
  t.equal(pools.statusCode, 200, await pools.body.text());
  const csv = await request(`${d.admin}/api/reports/devices?format=csv`, { headers: { authorization: `Bearer ${tok.token}` } });
  t.equal(csv.statusCode, 200);
  t.match(await csv.body.text(), /,/);

  const list = await runCli(['api-token', 'list'], env);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, new RegExp(`${tok.id}  admin  viewer,sa-user  expires .*  monitoring`));
  t.notMatch(list.stdout, /oat_/, 'the secret is never listed');

  const refused = await runCli(['api-token', 'create', '--user', 'nobody', '--name', 'x', '--roles', 'viewer', '--days', '1'], env);
  t.not(refused.code, 0);
  t.match(refused.stderr, /NOT_FOUND|nobody/);
  const bad = await runCli(['api-token', 'create', '--user', 'admin', '--name', 'x', '--roles', 'viewer', '--days', '400'], env);
  t.not(bad.code, 0);
  t.match(bad.stderr, /INVALID_REQUEST|expiresInDays/);

  const revoked = await runCli(['api-token', 'revoke', tok.id], env);
  t.equal(revoked.code, 0, revoked.stderr);
  const after = await request(`${d.admin}/api/licenses?va=all`, { headers: { authorization: `Bearer ${tok.token}` } });
  t.equal(after.statusCode, 401);
  await after.body.dump();
});
