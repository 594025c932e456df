// Every SPEC §5 refusal through the satellite's import on the admin API: the right code and
// status, a message naming the check, and the store exactly as it was before.
import t from 'tap';
import path from 'node:path';
import { generateSigningKey } from '../../../exchange/bundle/index.ts';
import { startSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { exportBundle, FakeCloud, importBundle, socketCall, storeDump } from '../../helpers/exchange.ts';
import { CASE_MAX_BYTES, refusalCases } from '../../helpers/refusal-cases.ts';

t.test('every refusal answers 422 (413 for BUNDLE_TOO_LARGE) and changes nothing', async (t) => {
  const dir = tempDir(t);
  const cloud = new FakeCloud(dir);
  const retired = generateSigningKey();
  await cloud.trust([cloud.key, retired]);
  const sat = await startSatellite(t, { config: { 'exchange.cloudKeys': cloud.jwksPath, 'exchange.maxBundleBytes': CASE_MAX_BYTES } });
  const id = sat.ctx.identity.id;
  const createdAt = new Date(sat.clock().getTime() - 60_000).toISOString();

  await socketCall(sat.socketPath, 'POST', '/api/registration', { json: { token: 'reg-token-0123456789', offline: true } });
  const reg = await importBundle(sat.socketPath, await cloud.registrationResponse(id, { sequence: 1, createdAt, key: retired }));
  t.equal(reg.status, 200, 'a response signed by the key about to be retired applies while it is trusted');
  const dev = await registerDevice(sat.device, (await createToken(sat.socketPath)).token);
  t.equal((await postReport(sat.device, dev.body.credential, report(sat.clock()))).status, 202);
  t.equal((await exportBundle(sat.socketPath, path.join(dir, 'report-1.zip'))).sequence, 1);
  t.equal((await importBundle(sat.socketPath, await cloud.cloudResponse(id, { sequence: 3, inReplyTo: 1, createdAt }))).status, 200);
  t.equal((await postReport(sat.device, dev.body.credential, report(sat.clock()))).status, 202, 'one report waits, unacknowledged');
  await cloud.trust([cloud.key]); // rotation: the old key leaves the JWKS

  const { cases, good } = await refusalCases(dir, cloud, id, retired, createdAt);
  await sat.exchange.settled(); // the queue housekeeping after the last import
  const before = await storeDump(sat.ctx.store);
  for (const c of cases) {
    const answer = await importBundle(sat.socketPath, c.file);
    t.equal(answer.status, c.code === 'BUNDLE_TOO_LARGE' ? 413 : 422, `${c.name}: status`);
    t.equal(answer.json().error.code, c.code, `${c.name}: ${c.code}`);
    t.match(answer.json().error.message, c.message, `${c.name}: the message names the check`);
  }
  t.same(await storeDump(sat.ctx.store), before, 'the store is exactly as it was');
  t.same((await socketCall(sat.socketPath, 'GET', '/api/sync')).json().lastError, null, 'refused imports are not sync failures');

  const applied = await importBundle(sat.socketPath, good);
  t.equal(applied.status, 200, 'the untouched response the cases were made from applies');
  t.equal(applied.json().changes.acknowledged, 0, 'report 1 was acknowledged already; the waiting report was never exported');
});
