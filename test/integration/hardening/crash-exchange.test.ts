// Fault tests at CI size (issue 14, finding 9): kill -9 a real daemon at a random moment of an
// export, an import and a store migration; after a restart nothing answered for is lost and the
// interrupted work can be done again. `npm run soak` runs more rounds with other seeds.
import t from 'tap';
import path from 'node:path';
import { exportCrashTrial, importCrashTrial, migrationCrashTrial, retentionCrashTrial } from '../../helpers/fault-trials.ts';
import { prng } from '../../helpers/fuzz.ts';
import { tempDir } from '../../helpers/tmp.ts';

const seed = Number(process.env.OUTPOST_FAULT_SEED ?? 14);
const rnd = prng(seed);

t.test(`kill -9 during exports loses nothing (seed ${seed})`, async (t) => {
  const o = await exportCrashTrial(path.join(tempDir(t), 'data'), 1500 + Math.floor(rnd() * 2500));
  t.same(o.broke, [], o.did);
});

t.test(`kill -9 during an import: importing again applies it (seed ${seed})`, async (t) => {
  const o = await importCrashTrial(path.join(tempDir(t), 'data'), 100 + Math.floor(rnd() * 900), 1500);
  t.same(o.broke, [], o.did);
});

t.test(`kill -9 during the migration of a 0.1.0 store: the next start finishes it (seed ${seed})`, async (t) => {
  for (const killAfterMs of [400 + Math.floor(rnd() * 500), 900 + Math.floor(rnd() * 900)]) {
    const o = await migrationCrashTrial(path.join(tempDir(t), `data-${killAfterMs}`), killAfterMs);
    t.same(o.broke, [], o.did);
  }
});

t.test(`kill -9 during retention: the next start finishes the prune, unacknowledged reports stay (seed ${seed})`, async (t) => {
  const o = await retentionCrashTrial(path.join(tempDir(t), 'data'), 500 + Math.floor(rnd() * 1000));
  t.same(o.broke, [], o.did);
});
