// A clock jump (issue 14, finding 4) for `npm run soak`: an in-process satellite whose clock
// jumps by a random number of days while it runs; a jump of more than a day must raise
// clock-suspect at the next minute's check, what the silent-device rule does on that clock must
// be undone by a confirmation with undo, and no session may outlive its limit on a clock set back.
import { Writable } from 'node:stream';
import { loadConfig } from '../../daemon/config/index.ts';
import { createLogger } from '../../daemon/log.ts';
import { openSatellite } from '../../daemon/main.ts';
import { deregisterSilentDevices } from '../../daemon/jobs/index.ts';
import { control } from './control.ts';
import { createToken, registerDevice } from './devices.ts';
import type { TrialOutcome } from './fault-trials.ts';

const DAY = 86_400_000;

export async function clockJumpTrial(dataDir: string, jumpDays: number): Promise<TrialOutcome> {
  let now = Date.now();
  const clock = () => new Date(now);
  const config = loadConfig({ env: {}, overrides: { dataDir, 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0' } });
  const sat = await openSatellite(config, { log: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })), clock, env: {} });
  const broke: string[] = [];
  try {
    const { token } = await createToken(sat.socketPath);
    await registerDevice(sat.listeners.device!, token, `JUMP${Date.now()}`);
    await sat.services.time.tick();
    const start = now;
    now += jumpDays * DAY;
    await sat.services.time.tick();
    const alerts = (await control(sat.socketPath, 'GET', '/api/alerts')).body.items.map((a: { type: string }) => a.type);
    const suspect = alerts.includes('clock-suspect');
    if (Math.abs(jumpDays) > 1 && !suspect) broke.push(`a jump of ${jumpDays} days raised no clock-suspect`);
    if (Math.abs(jumpDays) < 1 && suspect) broke.push(`a jump of ${jumpDays} days raised clock-suspect`);
    const { deregistered } = await deregisterSilentDevices(sat.ctx, clock());
    now = start + 60_000; // the clock set right
    const confirmed = (await control(sat.socketPath, 'POST', '/api/time/confirm', { undo: true })).body;
    if (confirmed.reinstated !== (suspect ? deregistered : 0)) broke.push(`undo reinstated ${confirmed.reinstated} of ${deregistered} devices the silent rule deregistered`);
    const states = (await control(sat.socketPath, 'GET', '/api/devices')).body.items.map((d: { state: string }) => d.state);
    if (suspect && states.some((s: string) => s !== 'registered')) broke.push(`devices after the undo: ${states.join(', ')}`);
    if ((await control(sat.socketPath, 'GET', '/api/time')).body.suspect !== null) broke.push('clock-suspect still stands after the confirmation');
    return { did: `clock jump of ${jumpDays} days: clock-suspect ${suspect ? 'raised' : 'not raised'}, ${deregistered} deregistered then ${confirmed.reinstated} reinstated`, broke };
  } finally {
    await sat.close();
  }
}
