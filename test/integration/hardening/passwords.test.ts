// Smaller findings: the initial admin password file is removed (and the log says so) once admin
// has chosen a password of their own; a password may not be one repeated character or the username.
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSatellite } from '../../helpers/satellite.ts';
import { AdminClient, initialPassword } from '../../helpers/admin.ts';
import { control } from '../../helpers/control.ts';

t.test('the initial-admin-password file goes once admin changed that password, and the log says so', async (t) => {
  const sat = await startSatellite(t);
  const file = path.join(sat.dataDir, 'initial-admin-password');
  const c = new AdminClient(sat.admin);
  const first = initialPassword(sat);
  t.equal((await c.login('admin', first)).status, 200);
  const me = (await c.call('GET', '/api/me')).body;
  const bad = await c.call('POST', `/api/users/${me.id}/password`, { currentPassword: first, newPassword: 'x'.repeat(20) });
  t.match(bad, { status: 400, body: { error: { code: 'INVALID_REQUEST', message: /newPassword.*one character repeated/ } } });
  const same = await c.call('POST', `/api/users/${me.id}/password`, { currentPassword: first, newPassword: 'ADMIN' });
  t.equal(same.status, 400);
  t.ok(existsSync(file), 'a refused change keeps the file');
  const ok = await c.call('POST', `/api/users/${me.id}/password`, { currentPassword: first, newPassword: 'a much better passphrase' });
  t.equal(ok.status, 200);
  for (let i = 0; i < 50 && existsSync(file); i++) await sleep(20);
  t.notOk(existsSync(file), 'the file is gone');
  t.ok(sat.logs.some((l) => /removed the initial admin password file/.test(l) && !l.includes('a much better passphrase') && !l.includes(first)), 'the log says so, without the password');
});

t.test('a password may not be one repeated character or the username (create and set)', async (t) => {
  const sat = await startSatellite(t);
  const create = (username: string, password: string) => control(sat.socketPath, 'POST', '/api/users', { username, password, roles: [{ role: 'viewer' }] });
  t.match(await create('alice', 'aaaaaaaaaaaaaaaa'), { status: 400, body: { error: { code: 'INVALID_REQUEST', message: /password.*one character repeated/ } } });
  t.match(await create('operator.long.name', 'Operator.Long.Name'), { status: 400, body: { error: { code: 'INVALID_REQUEST', message: /"password": must not be the username/ } } });
  const alice = await create('alice', 'correct horse battery');
  t.equal(alice.status, 201);
  t.match(await control(sat.socketPath, 'POST', `/api/users/${alice.body.id}/password`, { newPassword: '111111111111111' }), { status: 400 });
  const bob = await create('bob.the.builder', 'correct horse battery');
  t.match(await control(sat.socketPath, 'POST', `/api/users/${bob.body.id}/password`, { newPassword: 'Bob.The.Builder' }), { status: 400, body: { error: { message: /"newPassword": must not be the username/ } } });
  t.ok(existsSync(path.join(sat.dataDir, 'initial-admin-password')), 'another user\'s change keeps the initial admin\'s file');
});
