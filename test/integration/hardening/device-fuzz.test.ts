// A seeded fuzzer of the device API: a few thousand bad requests, no 5xx, and no refused
// request changes anything. OUTPOST_FUZZ_SEED and OUTPOST_FUZZ_COUNT reproduce or widen a run.
import t from 'tap';
import { startSatellite } from '../../helpers/satellite.ts';
import { createToken, registerDevice } from '../../helpers/devices.ts';
import { fuzzCases, runFuzz } from '../../helpers/fuzz.ts';

const seed = Number(process.env.OUTPOST_FUZZ_SEED ?? 20261206);
const count = Number(process.env.OUTPOST_FUZZ_COUNT ?? 2000);

t.test(`${count} bad device requests (seed ${seed}): no 5xx, and no refusal changes the store`, async (t) => {
  const sat = await startSatellite(t, { config: { 'device.policyMode': { enabled: true }, 'log.level': 'warn' } });
  const { token } = await createToken(sat.socketPath, { maxUses: 100 });
  const reg = await registerDevice(sat.device, token, 'FUZZ0');
  const cases = fuzzCases(seed, count, { credential: reg.body.credential, token, now: sat.clock(), policyMode: true });
  const outcome = await runFuzz(sat.device, sat.ctx.store, cases);
  t.same(outcome.failures.slice(0, 10), [], `failures (${outcome.failures.length}); answers by status ${JSON.stringify(outcome.byStatus)}`);
  t.equal(outcome.sent, count, 'every request was answered');
  t.ok((outcome.byStatus[400] ?? 0) > count / 3, 'most requests were refused as invalid');
  t.equal(sat.ctx.state.deviceByUdi('C9300-24P', 'FUZZ0')?.state, 'registered', 'the real device is untouched');
});

t.test('a report with an unknown field nested 4,000 deep is 400 INVALID_REQUEST on /v1/reports and /v1/usage', async (t) => {
  const { postReport, report } = await import('../../helpers/devices.ts');
  const { policyDevice, postUsage, signUsage } = await import('../../helpers/policy.ts');
  const sat = await startSatellite(t, { config: { 'device.policyMode': { enabled: true } } });
  const { token } = await createToken(sat.socketPath);
  const reg = await registerDevice(sat.device, token, 'DEEP1');
  const deep = JSON.parse('{"a":'.repeat(4000) + '1' + '}'.repeat(4000));
  const res = await postReport(sat.device, reg.body.credential, { ...report(sat.clock()), extra: deep });
  t.equal(res.status, 400);
  t.match(res.body.error, { code: 'INVALID_REQUEST', message: /deeper than 64/ });
  const ok = await postReport(sat.device, reg.body.credential, { ...report(sat.clock()), extra: JSON.parse('['.repeat(63) + ']'.repeat(63)) });
  t.equal(ok.status, 202, '64 levels (the body and 63 inside it) are taken');
  const dev = await policyDevice();
  const usage = await postUsage(sat.device, await signUsage(dev, { udi: { pid: 'C9300-24P', sn: 'DEEP2' }, ...report(sat.clock()), extra: deep }));
  t.equal(usage.status, 400);
  t.equal(usage.body.error.code, 'INVALID_REQUEST');
  t.equal(sat.ctx.state.deviceByUdi('C9300-24P', 'DEEP2'), undefined);
});
