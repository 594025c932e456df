// `outpost user add|list|passwd`: the real command line against a real daemon process.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/tmp.ts';
import { daemonEnv, runCli, startDaemon } from '../helpers/process.ts';
import { AdminClient } from '../helpers/admin.ts';

t.test('user add, list and passwd, with passwords from stdin or a file', async (t) => {
  const dir = tempDir(t);
  const env = daemonEnv(path.join(dir, 'data'));
  const d = await startDaemon(t, env);

  const added = await runCli(['user', 'add', 'alice', '--role', 'va-user', '--va', 'Default'], env, 'alice first password\nignored second line\n');
  t.equal(added.code, 0, added.stderr);
  t.match(added.stdout, /^added alice \(usr_[^)]+\) as va-user@Default; the password must be changed at first login\n$/);

  const file = path.join(dir, 'pw');
  writeFileSync(file, 'bob file password\n', { mode: 0o600 });
  const bob = await runCli(['user', 'add', 'bob', '--role', 'viewer', '--password-file', file, '--json'], env);
  t.equal(bob.code, 0, bob.stderr);
  t.match(JSON.parse(bob.stdout), { id: /^usr_/, username: 'bob', roles: [{ role: 'viewer', virtualAccount: null }], mustChangePassword: true });

  const list = JSON.parse((await runCli(['user', 'list', '--json'], env)).stdout);
  t.same(list.items.map((u: any) => u.username), ['admin', 'alice', 'bob']);
  t.notMatch(JSON.stringify(list), /scrypt/);
  const text = await runCli(['user', 'list'], env);
  t.match(text.stdout, /^alice {2}va-user@Default {2}\(must change password\)$/m);

  const web = new AdminClient(d.admin);
  t.match(await web.login('alice', 'alice first password'), { status: 200, body: { mustChangePassword: true } });
  const passwd = await runCli(['user', 'passwd', 'ALICE'], env, 'alice second password\n');
  t.equal(passwd.code, 0, passwd.stderr);
  t.match(passwd.stdout, /set the password of alice/);
  t.equal((await web.call('GET', '/api/me')).status, 401, 'her sessions ended');
  t.equal((await new AdminClient(d.admin).login('alice', 'alice first password')).status, 401);
  t.match(await new AdminClient(d.admin).login('alice', 'alice second password'), { status: 200, body: { mustChangePassword: true } });

  const refusals: Array<[string[], string | undefined, string]> = [
    [['user', 'add', 'carol', '--role', 'viewer'], 'short\n', 'INVALID_REQUEST'],
    [['user', 'add', 'Alice', '--role', 'viewer'], 'a long enough password\n', 'NAME_TAKEN'],
    [['user', 'add', 'carol'], 'a long enough password\n', 'INVALID_REQUEST'],
    [['user', 'add', 'carol', '--role', 'root'], 'a long enough password\n', 'INVALID_REQUEST'],
    [['user', 'add', 'carol', '--role', 'va-user', '--va', 'Nowhere'], 'a long enough password\n', 'NOT_FOUND'],
    [['user', 'add', 'carol', '--role', 'viewer'], '', 'INVALID_REQUEST'],
    [['user', 'add', 'carol', '--role', 'viewer', '--password-file', path.join(dir, 'missing')], undefined, 'INVALID_REQUEST'],
    [['user', 'passwd', 'nobody'], 'a long enough password\n', 'NOT_FOUND'],
    [['user', 'passwd'], undefined, 'INVALID_REQUEST'],
    [['user', 'frobnicate'], undefined, 'INVALID_REQUEST'],
  ];
  for (const [args, input, code] of refusals) {
    const r = await runCli([...args, '--json'], env, input);
    t.equal(r.code, 1, args.join(' '));
    t.match(JSON.parse(r.stdout), { error: { code, message: String } }, args.join(' '));
  }
  const short = await runCli(['user', 'add', 'carol', '--role', 'viewer'], env, 'short\n');
  t.match(short.stderr, /^outpost: the password must be at least 12 characters\.\n$/, 'one clear line');
  t.equal(JSON.parse((await runCli(['user', 'list', '--json'], env)).stdout).items.length, 3, 'refused commands added nobody');

  d.child.kill('SIGTERM');
  await d.exited;
  const log = d.output.join('\n');
  for (const secret of ['alice first password', 'alice second password', 'bob file password']) t.notOk(log.includes(secret), 'no password in the log');
});
