// Fault test: kill -9 a real daemon while devices register, report and deregister (each a device
// or latest-usage change with its index entries and counters); the store it leaves holds exactly
// the entries and counts its device records call for, whatever the moment of the kill.
import t from 'tap';
import path from 'node:path';
import { LevelStore } from '../../../daemon/store/level.ts';
import { createToken, postReport, registerDevice, report } from '../../helpers/devices.ts';
import { deviceIndexDrift } from '../../helpers/device-index.ts';
import { http } from '../../helpers/satellite.ts';
import { prng } from '../../helpers/fuzz.ts';
import { daemonEnv, startDaemon } from '../../helpers/process.ts';
import { tempDir } from '../../helpers/tmp.ts';

const seed = Number(process.env.OUTPOST_FAULT_SEED ?? 19);

t.test(`kill -9 amid device changes never leaves the device indexes out of step (3 rounds, seed ${seed})`, async (t) => {
  const rnd = prng(seed);
  const dataDir = path.join(tempDir(t), 'data');
  let changes = 0;
  for (let round = 0; round < 3; round++) {
    const d = await startDaemon(t, daemonEnv(dataDir));
    const { token } = await createToken(path.join(dataDir, 'outpost.sock'), { maxUses: 100_000 });
    let dead = false;
    const worker = async (w: number) => {
      for (let i = 0; !dead; i++) {
        try {
          const reg = await registerDevice(d.device, token, `R${round}W${w}N${i}`);
          if (reg.status !== 201) continue;
          changes++;
          const cred = reg.body.credential as string;
          if ((await postReport(d.device, cred, report(new Date(Date.now() - 60_000)))).status === 202) changes++;
          if (i % 3 === 0) {
            const res = await http('POST', `${d.device}/v1/deregister`, { headers: { authorization: `Bearer ${cred}` } });
            if (res.status < 300) changes++;
          }
        } catch {
          return; // the daemon is gone
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    const killAfterMs = 300 + Math.floor(rnd() * 1200);
    await new Promise((r) => setTimeout(r, killAfterMs));
    dead = true;
    d.child.kill('SIGKILL');
    await d.exited;
    await Promise.all(workers);

    const store = new LevelStore(path.join(dataDir, 'db'));
    await store.open();
    try {
      const drift = await deviceIndexDrift(store);
      t.ok(drift.devices > 0, `round ${round + 1}: killed after ${killAfterMs} ms with ${drift.devices} devices`);
      t.same({ missing: drift.missing, stale: drift.stale, counts: drift.counts }, { missing: [], stale: [], counts: {} }, `round ${round + 1}: every index entry and counter matches the device records`);
    } finally {
      await store.close();
    }
  }
  t.ok(changes > 0, `device changes were answered before the kills (${changes})`);
});
