// SPEC §3 instants through the device API: an impossible or ill-formed instant is 400
// INVALID_REQUEST naming the field, and changes nothing.
import t from 'tap';
import { startSatellite, type TestSatellite } from '../../helpers/satellite.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { policyDevice, postUsage, signUsage } from '../../helpers/policy.ts';
import { storeDump } from '../../helpers/exchange.ts';

const BAD = [
  '2026-11-31T10:00:00.000Z',
  '2026-02-30T10:00:00.000Z',
  '2026-11-27T24:00:00.000Z',
  '2026-11-27T10:00Z',
  '2026-11-27T10:00:00.0000000Z',
  '2026-11-27 10:00:00Z',
];

async function snapshot(sat: TestSatellite) {
  return JSON.stringify(await storeDump(sat.ctx.store));
}

t.test('/v1/reports refuses impossible instants, naming the field, and stores nothing', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath);
  const reg = await registerDevice(sat.device, token, 'INST1');
  const before = await snapshot(sat);
  for (const bad of BAD) {
    for (const field of ['start', 'end'] as const) {
      const body = report(new Date(sat.clock().getTime() - 86_400_000));
      body.window[field] = bad;
      const res = await postReport(sat.device, reg.body.credential, body);
      t.equal(res.status, 400, `${field} = ${bad}`);
      t.equal(res.body.error.code, 'INVALID_REQUEST');
      t.match(res.body.error.message, `"window.${field}"`, 'the message names the field');
    }
  }
  t.equal(await snapshot(sat), before, 'nothing was written');
  const ok = report(sat.clock());
  ok.window.start = '2026-11-28T10:00:00+01:00';
  t.equal((await postReport(sat.device, reg.body.credential, ok)).status, 202, 'an offset instant is a real one');
});

t.test('/v1/usage refuses impossible instants, naming the field, and registers no device', async (t) => {
  const sat = await startSatellite(t, { config: { 'device.policyMode': { enabled: true } } });
  const dev = await policyDevice();
  const before = await snapshot(sat);
  for (const bad of BAD) {
    const body = { udi: { pid: 'C9300-24P', sn: 'INST2' }, ...report(sat.clock()) };
    body.window.end = bad;
    const res = await postUsage(sat.device, await signUsage(dev, body));
    t.equal(res.status, 400, bad);
    t.equal(res.body.error.code, 'INVALID_REQUEST');
    t.match(res.body.error.message, '"window.end"');
  }
  t.equal(await snapshot(sat), before, 'nothing was written');
  t.equal(sat.ctx.state.deviceByUdi('C9300-24P', 'INST2'), undefined);
});
