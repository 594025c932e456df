// `npm run soak -- --minutes N`: the fault trials of the test suite, run longer. Alternates
// rounds of the device-API fuzzer (a new seed each round, against an in-process satellite) and
// kill -9 crash trials of ingest (a real daemon), until the minutes are up; then prints what it
// tried and what held, and exits non-zero if anything broke. Traffic stays on 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../daemon/config/index.ts';
import { createLogger } from '../daemon/log.ts';
import { openSatellite } from '../daemon/main.ts';
import { crashTrial } from '../test/helpers/crash.ts';
import { createToken, registerDevice } from '../test/helpers/devices.ts';
import { fuzzCases, prng, runFuzz } from '../test/helpers/fuzz.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' }, seed: { type: 'string', default: String(Date.now() % 1_000_000) } } });
const minutes = Number(values.minutes);
const seed = Number(values.seed);
if (!(minutes > 0 && minutes <= 24 * 60)) {
  process.stderr.write('usage: npm run soak -- --minutes N [--seed S]   (N from 1 to 1440)\n');
  process.exit(2);
}
const deadline = Date.now() + minutes * 60_000;
const rnd = prng(seed);
const root = mkdtempSync(path.join(tmpdir(), 'outpost-soak-'));
const tally = { fuzzRounds: 0, fuzzRequests: 0, crashRounds: 0, acknowledged: 0, failures: [] as string[] };
const say = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function fuzzRound(n: number): Promise<void> {
  const dataDir = path.join(root, `fuzz-${n}`);
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const config = loadConfig({ env: {}, overrides: { dataDir, 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0', 'device.policyMode': { enabled: true } } });
  const sat = await openSatellite(config, { log: createLogger('warn', quiet), env: {} });
  try {
    const { token } = await createToken(sat.socketPath, { maxUses: 100 });
    const reg = await registerDevice(sat.listeners.device!, token, `SOAK${n}`);
    const roundSeed = Math.floor(rnd() * 2 ** 31);
    const outcome = await runFuzz(sat.listeners.device!, sat.ctx.store, fuzzCases(roundSeed, 2000, { credential: reg.body.credential, token, now: new Date(), policyMode: true }));
    tally.fuzzRounds++;
    tally.fuzzRequests += outcome.sent;
    tally.failures.push(...outcome.failures.map((f) => `fuzz seed ${roundSeed}: ${f}`));
    say(`fuzz round ${n} (seed ${roundSeed}): ${outcome.sent} bad requests, answers ${JSON.stringify(outcome.byStatus)}, ${outcome.failures.length} broke a rule`);
  } finally {
    await sat.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function crashRound(n: number): Promise<void> {
  const dataDir = path.join(root, 'crash');
  const killAfterMs = 100 + Math.floor(rnd() * 2000);
  const outcome = await crashTrial(dataDir, { devices: 8, killAfterMs });
  tally.crashRounds++;
  tally.acknowledged += outcome.acknowledged;
  tally.failures.push(...outcome.lost.map((id) => `crash round ${n}: report ${id} answered 202 was lost`));
  say(`crash round ${n}: kill -9 after ${killAfterMs} ms, ${outcome.acknowledged} reports answered 202, ${outcome.lost.length} lost`);
}

say(`soak for ${minutes} min, seed ${seed}, in ${root}`);
try {
  for (let n = 1; Date.now() < deadline; n++) {
    await fuzzRound(n);
    if (Date.now() < deadline) await crashRound(n);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.stdout.write(
  [
    '',
    'tried:',
    `  ${tally.fuzzRounds} fuzzer rounds, ${tally.fuzzRequests} bad device requests (no 5xx allowed, no refused request may change the store)`,
    `  ${tally.crashRounds} kill -9 rounds during ingest, ${tally.acknowledged} reports answered 202 before the kills`,
    'held:',
    tally.failures.length === 0 ? '  everything' : tally.failures.slice(0, 50).map((f) => `  BROKE ${f}`).join('\n'),
    '',
  ].join('\n'),
);
process.exitCode = tally.failures.length === 0 ? 0 : 1;
