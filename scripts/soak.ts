// `npm run soak -- --minutes N`: the fault trials of the test suite, run longer. Each round runs
// the device-API fuzzer (a new seed each round, against an in-process satellite), a kill -9 crash
// trial of ingest (a real daemon), a kill -9 trial of one of export, import, retention and
// migration in turn, a clock jump, and (as root: it mounts a tmpfs) a full disk, until the
// minutes are up; then prints what it tried and what held, and exits non-zero if anything broke.
// Traffic stays on 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../daemon/config/index.ts';
import { createLogger } from '../daemon/log.ts';
import { openSatellite } from '../daemon/main.ts';
import { crashTrial } from '../test/helpers/crash.ts';
import { clockJumpTrial } from '../test/helpers/clock-trial.ts';
import { cannotMount, diskFullTrial } from '../test/helpers/disk-full.ts';
import { exportCrashTrial, importCrashTrial, migrationCrashTrial, retentionCrashTrial, type TrialOutcome } from '../test/helpers/fault-trials.ts';
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
const tally = { fuzzRounds: 0, fuzzRequests: 0, crashRounds: 0, acknowledged: 0, failures: [] as string[], trials: new Map<string, number>() };
const noDisk = cannotMount();
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

/** One named trial: counted, said, and what broke kept. */
async function trial(kind: string, n: number, run: () => Promise<TrialOutcome>): Promise<void> {
  let o: TrialOutcome;
  try {
    o = await run();
  } catch (err) {
    o = { did: `${kind} trial threw`, broke: [String((err as Error).stack ?? err)] };
  }
  tally.trials.set(kind, (tally.trials.get(kind) ?? 0) + 1);
  tally.failures.push(...o.broke.map((b) => `${kind} round ${n}: ${b}`));
  say(`${kind} round ${n}: ${o.did}; ${o.broke.length === 0 ? 'held' : `${o.broke.length} broke`}`);
}

const faults: Array<[string, (dir: string) => Promise<TrialOutcome>]> = [
  ['export crash', (dir) => exportCrashTrial(path.join(dir, 'data'), 1000 + Math.floor(rnd() * 4000))],
  ['import crash', (dir) => importCrashTrial(path.join(dir, 'data'), 100 + Math.floor(rnd() * 1500))],
  ['retention crash', (dir) => retentionCrashTrial(path.join(dir, 'data'), 300 + Math.floor(rnd() * 2000))],
  ['migration crash', (dir) => migrationCrashTrial(path.join(dir, 'data'), 300 + Math.floor(rnd() * 1500))],
];

async function faultRounds(n: number): Promise<void> {
  const dir = path.join(root, `fault-${n}`);
  const [kind, run] = faults[(n - 1) % faults.length]!;
  await trial(kind, n, () => run(dir));
  const jump = Math.round((rnd() * 900 - 100) * 10) / 10; // days, from 100 back to 800 ahead
  await trial('clock jump', n, () => clockJumpTrial(path.join(dir, 'clock'), jump));
  if (!noDisk) {
    const teardowns: Array<() => void> = [];
    await trial('full disk', n, async () => {
      try {
        const o = await diskFullTrial({ teardown: (fn: () => void) => void teardowns.push(fn) } as never, path.join(dir, 'disk'));
        const broke = [
          ...o.lost,
          ...o.lostAfterRestart.map((l) => `after restart: ${l}`),
          ...(o.whileFull[500] ? [`${o.whileFull[500]} answers of 500 while full`] : []),
          ...(o.recoveryMs === null ? ['no recovery without a restart'] : []),
          ...(o.healthWhileFull.status !== 503 ? ['/healthz did not answer 503 while full'] : []),
        ];
        return { did: `full disk: ${o.acknowledged} reports answered 202, ${o.whileFull[503] ?? 0} answered 503 while full, recovered in ${o.recoveryMs} ms`, broke };
      } finally {
        for (const fn of teardowns.reverse()) fn();
      }
    });
  }
  rmSync(dir, { recursive: true, force: true });
}

say(`soak for ${minutes} min, seed ${seed}, in ${root}${noDisk ? ` (no full-disk trials: ${noDisk})` : ''}`);
try {
  for (let n = 1; Date.now() < deadline; n++) {
    await fuzzRound(n);
    if (Date.now() < deadline) await crashRound(n);
    if (Date.now() < deadline) await faultRounds(n);
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
    ...[...tally.trials].map(([kind, count]) => `  ${count} ${kind} trial${count === 1 ? '' : 's'}`),
    ...(noDisk ? [`  no full-disk trials: ${noDisk}`] : []),
    'held:',
    tally.failures.length === 0 ? '  everything' : tally.failures.slice(0, 50).map((f) => `  BROKE ${f}`).join('\n'),
    '',
  ].join('\n'),
);
process.exitCode = tally.failures.length === 0 ? 0 : 1;
