// Fault test at CI size: kill -9 a real daemon at random moments of ingest, restart it, and
// check that every report it answered 202 is still there. `npm run soak` runs more and longer.
import t from 'tap';
import path from 'node:path';
import { crashTrial } from '../../helpers/crash.ts';
import { prng } from '../../helpers/fuzz.ts';
import { tempDir } from '../../helpers/tmp.ts';

const seed = Number(process.env.OUTPOST_FAULT_SEED ?? 14);

t.test(`kill -9 during ingest loses no report answered 202 (2 rounds, seed ${seed})`, async (t) => {
  const rnd = prng(seed);
  const dataDir = path.join(tempDir(t), 'data');
  let total = 0;
  for (let round = 0; round < 2; round++) {
    const killAfterMs = 200 + Math.floor(rnd() * 800);
    const outcome = await crashTrial(dataDir, { devices: 4, killAfterMs });
    total += outcome.acknowledged;
    t.same(outcome.lost, [], `round ${round + 1}: killed after ${killAfterMs} ms, ${outcome.acknowledged} reports answered 202, none lost`);
  }
  t.ok(total > 0, 'reports were answered before the kills');
});
