// SPEC §3 through real HTTP on loopback, against an in-process satellite on a real LevelDB.
import t from 'tap';
import { stageDevice } from '../../daemon/domain/devices/device-index.ts';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { keys } from '../../daemon/store/index.ts';
import { startSatellite, http as call, type TestSatellite } from '../helpers/satellite.ts';
import { createToken, postReport, registerDevice, report } from '../helpers/devices.ts';
import { control } from '../helpers/control.ts';

/** Writes a record as a later issue's code will (cloud import, account settings). */
async function setRecord(sat: TestSatellite, key: string, patch: (v: any) => any) {
  await sat.ctx.writer.run(async (tx) => {
    const before: any = await tx.get(key);
    const v = patch(before);
    if (key.startsWith(keys.devicePrefix)) return stageDevice(tx, sat.ctx.state, before, v);
    tx.put(key, v);
    tx.after(() => {
      if (key === keys.account) sat.ctx.state.setAccount(v);
      else if (key === keys.satellite) sat.ctx.state.setSatellite(v);
      else if (key.startsWith(keys.devicePrefix)) sat.ctx.state.putDevice(v);
    });
  });
}

t.test('register, report, status, acks, deregister: the happy path', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath, { maxUses: 5 });
  const reg = await registerDevice(sat.device, token, 'FOC1234X0AB');
  t.equal(reg.status, 201);
  t.match(reg.body, { deviceId: /^dev_/, credential: /^ey/, virtualAccount: { path: 'Default' }, policy: { reportIntervalHours: 24 } });
  const header = JSON.parse(Buffer.from(reg.body.credential.split('.')[0], 'base64url').toString());
  t.match(header, { alg: 'EdDSA', typ: 'outpost-device+jwt', kid: String });

  const body = report(sat.clock(), [{ entitlement: 'network-advantage', count: 3 }, { entitlement: 'dna-advantage', count: 1 }]);
  const first = await postReport(sat.device, reg.body.credential, body);
  t.equal(first.status, 202);
  t.same(first.body, { reportId: body.reportId, receivedAt: sat.clock().toISOString(), duplicate: false });
  const again = await postReport(sat.device, reg.body.credential, body);
  t.equal(again.status, 200, 'the same report again is a duplicate');
  t.equal(again.body.duplicate, true);
  t.equal(again.body.receivedAt, first.body.receivedAt);

  const status = await call('GET', `${sat.device}/v1/status`, { headers: { authorization: `Bearer ${reg.body.credential}` } });
  t.equal(status.status, 200);
  t.same(status.body, {
    deviceId: reg.body.deviceId,
    state: 'registered',
    virtualAccount: reg.body.virtualAccount,
    lastReportAt: first.body.receivedAt,
    entitlements: [
      { entitlement: 'dna-advantage', count: 1, poolStatus: 'insufficient' },
      { entitlement: 'network-advantage', count: 3, poolStatus: 'insufficient' },
    ],
  });

  const acks = await call('GET', `${sat.device}/v1/acks`, { headers: { authorization: `Bearer ${reg.body.credential}` } });
  t.same(acks.body, { acks: [], cursor: '' }, 'nothing is acknowledged before the exchange');

  const jwks = await call('GET', `${sat.device}/v1/keys`);
  t.equal(jwks.body.keys[0].kid, header.kid);
  t.notOk('d' in jwks.body.keys[0], 'no private part is published');

  const dereg = await call('POST', `${sat.device}/v1/deregister`, { headers: { authorization: `Bearer ${reg.body.credential}` } });
  t.equal(dereg.status, 200);
  const after = await postReport(sat.device, reg.body.credential, report(sat.clock()));
  t.equal(after.status, 403);
  t.equal(after.body.error.code, 'DEVICE_DEREGISTERED');
  const st2 = await call('GET', `${sat.device}/v1/status`, { headers: { authorization: `Bearer ${reg.body.credential}` } });
  t.equal(st2.body.error.code, 'DEVICE_DEREGISTERED');

  const again2 = await registerDevice(sat.device, token, 'FOC1234X0AB');
  t.equal(again2.status, 201, 'a deregistered UDI registers again without force');
  t.equal(again2.body.deviceId, reg.body.deviceId, 'and keeps its device id');

  const events = [];
  for await (const [, e] of sat.ctx.store.iterate<any>({ gte: keys.eventPrefix, lt: keys.eventPrefix + '~' })) events.push(e.type);
  t.same(events.filter((e) => e.startsWith('device.')), ['device.registered', 'device.deregistered', 'device.registered']);
});

t.test('registration refusals, each with its status and code', async (t) => {
  const sat = await startSatellite(t);
  const one = await createToken(sat.socketPath, { maxUses: 1 });
  const reg = (body: unknown) => call('POST', `${sat.device}/v1/register`, { body });
  const udi = { pid: 'C9300-24P', sn: 'SN1' };

  t.match(await reg({ token: 'opt_nope', udi }), { status: 401, body: { error: { code: 'TOKEN_INVALID' } } });
  t.match(await reg([1, 2]), { status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
  t.match(await reg({ udi }), { status: 400, body: { error: { code: 'INVALID_REQUEST', message: /token/ } } });
  t.match(await reg({ token: one.token }), { status: 400, body: { error: { message: /"udi"/ } } });
  t.match(await reg({ token: one.token, udi: { pid: 'X', sn: 7 } }), { status: 400, body: { error: { message: /"udi\.sn"/ } } });
  t.match(await reg({ token: one.token, udi: { pid: '', sn: 'A' } }), { status: 400, body: { error: { message: /"udi\.pid"/ } } });
  t.match(await reg({ token: one.token, udi: { pid: 'A'.repeat(65), sn: 'A' } }), { status: 400, body: { error: { message: /"udi\.pid"/ } } });
  t.match(await reg({ token: one.token, udi, hostname: 5 }), { status: 400, body: { error: { message: /"hostname"/ } } });
  t.match(await call('POST', `${sat.device}/v1/register`, { raw: '{"token":', type: 'application/json' }), { status: 400, body: { error: { message: /not valid JSON/ } } });
  t.match(await call('POST', `${sat.device}/v1/register`, { raw: 'token=x', type: 'application/x-www-form-urlencoded' }), { status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });

  const ok = await reg({ token: one.token, udi, firmwareSays: 'unknown fields are ignored' });
  t.equal(ok.status, 201, 'unknown fields in a device body are ignored');
  t.equal(ok.body.virtualAccount.path, 'Default');
  t.match(await reg({ token: one.token, udi: { pid: 'X', sn: 'OTHER' } }), { status: 409, body: { error: { code: 'TOKEN_EXHAUSTED' } } });

  const multi = await createToken(sat.socketPath);
  t.match(await reg({ token: multi.token, udi }), { status: 409, body: { error: { code: 'DEVICE_REGISTERED' } } });
  const forced = await reg({ token: multi.token, udi, force: true });
  t.equal(forced.status, 200, 'force re-registers a registered UDI');
  t.equal(forced.body.deviceId, ok.body.deviceId, 'with the same device id');
  t.not(forced.body.credential, ok.body.credential);
  const old = await postReport(sat.device, ok.body.credential, report(sat.clock()));
  t.match(old, { status: 401, body: { error: { code: 'CREDENTIAL_INVALID' } } }, 'the old credential stops working');
  t.equal((await postReport(sat.device, forced.body.credential, report(sat.clock()))).status, 202);

  const revoked = await createToken(sat.socketPath);
  await control(sat.socketPath, 'DELETE', `/api/tokens/${revoked.id}`);
  t.match(await reg({ token: revoked.token, udi: { pid: 'X', sn: 'R' } }), { status: 409, body: { error: { code: 'TOKEN_REVOKED' } } });

  const expiring = await createToken(sat.socketPath, { validDays: 1 });
  sat.clock.advanceDays(1);
  t.match(await reg({ token: expiring.token, udi: { pid: 'X', sn: 'E' } }), { status: 410, body: { error: { code: 'TOKEN_EXPIRED' } } });
  const fresh = await createToken(sat.socketPath);

  await setRecord(sat, keys.device(ok.body.deviceId), (d) => ({ ...d, state: 'deregistered', revoked: true }));
  t.match(await reg({ token: fresh.token, udi }), { status: 403, body: { error: { code: 'DEVICE_REVOKED' } } });

  await setRecord(sat, keys.account, (a) => ({ ...a, type: 'partner-holding' }));
  t.match(await reg({ token: fresh.token, udi: { pid: 'X', sn: 'P' } }), { status: 403, body: { error: { code: 'ACCOUNT_CANNOT_CONSUME' } } });
  await setRecord(sat, keys.account, (a) => ({ ...a, type: 'customer' }));

  const live = await reg({ token: fresh.token, udi: { pid: 'X', sn: 'LIVE' } });
  await setRecord(sat, keys.satellite, (s) => ({ ...s, registration: 'lapsed' }));
  t.match(await reg({ token: fresh.token, udi: { pid: 'X', sn: 'L' } }), { status: 503, body: { error: { code: 'SATELLITE_DEREGISTERED' } } });
  t.match(await postReport(sat.device, live.body.credential, report(sat.clock())), { status: 503, body: { error: { code: 'SATELLITE_DEREGISTERED' } } });

  const tokens = await control(sat.socketPath, 'GET', '/api/tokens');
  t.equal(tokens.body.items.find((x: any) => x.id === fresh.id).uses, 1, 'refused registrations use nothing');
});

t.test('report refusals, each with its status and code', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath);
  const { body: dev } = await registerDevice(sat.device, token);
  const post = (body: unknown) => postReport(sat.device, dev.credential, body);
  const now = sat.clock();
  const base = report(now);
  const bad = async (body: unknown, field: RegExp, code = 'INVALID_REQUEST', status = 400) => {
    const res = await post(body);
    t.equal(res.status, status, JSON.stringify(body).slice(0, 120));
    t.equal(res.body.error.code, code);
    t.match(res.body.error.message, field);
  };
  await bad({ ...base, reportId: 'not-a-uuid' }, /"reportId"/);
  await bad({ ...base, reportId: undefined }, /"reportId"/);
  await bad({ ...base, window: { start: base.window.end, end: base.window.start } }, /"window"/);
  await bad({ ...base, window: { start: 'yesterday', end: base.window.end } }, /"window\.start"/);
  await bad({ ...base, window: { start: base.window.start, end: new Date(now.getTime() + 6 * 60_000).toISOString() } }, /"window\.end"/);
  await bad({ ...base, usage: [] }, /"usage"/);
  await bad({ ...base, usage: Array.from({ length: 501 }, (_, i) => ({ entitlement: `e${i}`, count: 1 })) }, /"usage"/);
  await bad({ ...base, usage: [{ entitlement: 'a', count: -1 }] }, /"usage\.0\.count"/);
  await bad({ ...base, usage: [{ entitlement: 'a', count: 1.5 }] }, /"usage\.0\.count"/);
  await bad({ ...base, usage: [{ entitlement: 'a', count: 1_000_001 }] }, /"usage\.0\.count"/);
  await bad({ ...base, usage: [{ entitlement: 'a', count: '3' }] }, /"usage\.0\.count"/);
  await bad({ ...base, usage: [{ entitlement: 'a', count: 1 }, { entitlement: 'a', count: 2 }] }, /"usage"/);
  await bad('just a string', /object/i);
  const old = new Date(now.getTime() - 401 * 86_400_000);
  await bad(report(old), /400 days/, 'REPORT_TOO_OLD');
  t.equal((await post(report(new Date(now.getTime() - 399 * 86_400_000)))).status, 202, 'a report 399 days old is taken');
  t.equal((await post({ ...report(now), newFirmwareField: { x: 1 } })).status, 202, 'unknown fields are ignored');

  // Conflicts: the same id with another body, or from another device.
  t.equal((await post(base)).status, 202);
  await bad({ ...base, usage: [{ entitlement: 'network-advantage', count: 4 }] }, /different report/, 'REPORT_CONFLICT', 409);
  const { body: other } = await registerDevice(sat.device, token);
  const fromOther = await postReport(sat.device, other.credential, base);
  t.equal(fromOther.status, 409, 'the same id from another device conflicts');

  // Credentials.
  const noAuth = await call('POST', `${sat.device}/v1/reports`, { body: base });
  t.match(noAuth, { status: 401, body: { error: { code: 'CREDENTIAL_INVALID' } } });
  const forged = dev.credential.slice(0, -4) + (dev.credential.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  t.match(await postReport(sat.device, forged, report(now)), { status: 401, body: { error: { code: 'CREDENTIAL_INVALID' } } });
  const [h, p] = dev.credential.split('.');
  const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'outpost-device+jwt' })).toString('base64url')}.${p}.`;
  t.match(await postReport(sat.device, noneAlg, report(now)), { status: 401 }, 'alg none is refused');
  t.ok(h);

  // Order of precedence: 415, 413, 401, 400.
  const big = 'x'.repeat(70 * 1024);
  t.match(await call('POST', `${sat.device}/v1/reports`, { raw: big, type: 'text/plain' }), { status: 415 });
  t.match(await call('POST', `${sat.device}/v1/reports`, { raw: big }), { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  t.match(await call('POST', `${sat.device}/v1/reports`, { raw: '{bad json' }), { status: 401 });
  t.match(await post('{bad json'), { status: 400 });
});

t.test('a body over 64 KiB is refused without buffering it whole, even when chunked', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath);
  const { body: dev } = await registerDevice(sat.device, token);
  const url = new URL(`${sat.device}/v1/reports`);
  let sent = 0;
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${dev.credential}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', () => resolve(-1));
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const pump = (): void => {
      while (sent < 10 * 1024 * 1024) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
    setTimeout(() => reject(new Error('no answer')), 10_000).unref();
  });
  t.equal(status, 413);
  t.ok(sent < 10 * 1024 * 1024, `the answer came before the 10 MiB body was sent (${sent} bytes written)`);
});

t.test('when the write queue is full, reports answer 429 BUSY with Retry-After and nothing is lost', async (t) => {
  const sat = await startSatellite(t, { config: { 'device.queueLimit': 1 } });
  const { token } = await createToken(sat.socketPath);
  const devs = await Promise.all(Array.from({ length: 8 }, () => registerDevice(sat.device, token)));
  const sent = devs.flatMap(({ body }) => Array.from({ length: 16 }, () => ({ cred: body.credential, report: report(sat.clock()) })));
  const answers = await Promise.all(sent.map((s) => postReport(sat.device, s.cred, s.report)));
  const busy = answers.filter((a) => a.status === 429);
  t.ok(busy.length > 0, `${busy.length} of ${answers.length} were refused BUSY`);
  t.equal(busy[0]!.headers['retry-after'], '1');
  t.equal(busy[0]!.body.error.code, 'BUSY');
  for (const [i, a] of answers.entries()) {
    const stored = await sat.ctx.store.get(keys.report(sent[i]!.report.reportId));
    if (a.status === 202) t.ok(stored, 'every 202 is stored');
    else t.equal(stored, undefined, 'a refused report is not stored');
  }
});

t.test('healthz on both listeners, metrics on the admin listener', async (t) => {
  const sat = await startSatellite(t);
  t.same((await call('GET', `${sat.device}/healthz`)).body, { status: 'ok' });
  t.same((await call('GET', `${sat.admin}/healthz`)).body, { status: 'ok' });
  const { token } = await createToken(sat.socketPath);
  const { body: dev } = await registerDevice(sat.device, token);
  const r = report(sat.clock());
  await postReport(sat.device, dev.credential, r);
  await postReport(sat.device, dev.credential, r);
  await call('POST', `${sat.device}/v1/register`, { body: { token: 'nope', udi: { pid: 'a', sn: 'b' } } });
  const m = await call('GET', `${sat.admin}/metrics`);
  t.equal(m.status, 200);
  t.match(m.headers['content-type'], /text\/plain/);
  t.match(m.body, /outpost_reports_accepted_total 1\n/);
  t.match(m.body, /outpost_reports_duplicate_total 1\n/);
  t.match(m.body, /outpost_refusals_total\{code="TOKEN_INVALID"\} 1\n/);
  t.match(m.body, /outpost_devices\{state="registered"\} 1\n/);
  t.match(m.body, /outpost_write_batch_size_count \d+/);
  t.match(m.body, /outpost_write_batch_seconds_bucket/);
  t.match(m.body, /outpost_write_queue_depth 0/);
  t.match(await call('GET', `${sat.admin}/api/tokens`), { status: 401 }, 'the admin API needs a session');
  t.match(await call('GET', `${sat.device}/nowhere`), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
});

t.test('a credential is verified once, then recognised from a cache', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath);
  const { body: dev } = await registerDevice(sat.device, token);
  for (let i = 0; i < 3; i++) t.equal((await postReport(sat.device, dev.credential, report(sat.clock(), undefined, randomUUID()))).status, 202);
  const forced = await call('POST', `${sat.device}/v1/register`, { body: { token, udi: { pid: 'C9300-24P', sn: (await sat.ctx.state.device(dev.deviceId))!.udi.sn }, force: true } });
  t.equal(forced.status, 200);
  t.equal((await postReport(sat.device, dev.credential, report(sat.clock()))).status, 401, 'a cached credential is dropped when replaced');
});

t.test('after a restart, once the report id filter is filled, old reports are still duplicates and new ones accepted', async (t) => {
  const first = await startSatellite(t);
  const { token } = await createToken(first.socketPath);
  const reg = await registerDevice(first.device, token);
  const now = first.clock();
  const old = Array.from({ length: 20 }, (_, i) => report(new Date(now.getTime() - i * 60_000)));
  for (const body of old) t.equal((await postReport(first.device, reg.body.credential, body)).status, 202);
  await first.close();

  // A graceful shutdown saved the filter: the next start has it at once, without a scan.
  const again = await startSatellite(t, { dataDir: first.dataDir });
  t.ok(again.reportIds.ready, 'ready as the satellite starts');
  t.ok(again.logs.some((l) => l.includes('report id filter ready (saved at the last shutdown)')));
  for (const body of old) {
    const res = await postReport(again.device, reg.body.credential, body);
    t.equal(res.status, 200);
    t.equal(res.body.duplicate, true);
  }
  const conflicting = { ...old[0]!, usage: [{ entitlement: 'network-advantage', count: 99 }] };
  t.equal((await postReport(again.device, reg.body.credential, conflicting)).body.error.code, 'REPORT_CONFLICT');
  const fresh = report(now);
  t.equal((await postReport(again.device, reg.body.credential, fresh)).status, 202);
  t.equal((await postReport(again.device, reg.body.credential, fresh)).status, 200, 'and a report accepted since is a duplicate at once');
  await again.close();

  // As after a crash: no saved filter, so it is filled by a scan of the store in the background.
  rmSync(path.join(first.dataDir, 'report-ids.bloom'));
  const third = await startSatellite(t, { dataDir: first.dataDir });
  while (!third.reportIds.ready) await new Promise((r) => setTimeout(r, 5));
  t.ok(third.logs.some((l) => /"reports":21,.*report id filter ready/.test(l)), 'the scan read every stored id');
  for (const body of [...old, fresh]) t.equal((await postReport(third.device, reg.body.credential, body)).status, 200);
  t.equal((await postReport(third.device, reg.body.credential, report(now))).status, 202);
});
