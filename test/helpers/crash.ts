// Crash trials: a real daemon takes reports from concurrent devices and is killed with SIGKILL
// at a random moment; after a restart every report it answered 202 must still be there (its
// resend answers 200 duplicate). Used by the fault test at CI size and by `npm run soak`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { BIN, daemonEnv } from './process.ts';
import { createToken, postReport, registerDevice, report } from './devices.ts';

export interface Running {
  kill(): Promise<void>;
  stop(): Promise<void>;
  device: string;
}

/** `outpost serve` on `dataDir` (extra env added), answered once both listeners listen. */
export async function start(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info', ...extraEnv }), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let out = '';
  const device = await new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c;
      const m = /"msg":"device listener on (\S+?)"/.exec(out);
      if (m && /"msg":"admin listener on/.test(out)) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`the daemon exited before listening: ${out.slice(-2000)}`)));
  });
  return {
    device,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CrashOutcome {
  acknowledged: number;
  lost: string[];
}

/**
 * One trial: `devices` devices post reports as fast as they can; after `killAfterMs` the daemon
 * is killed (SIGKILL); it is started again and every report answered 202 is sent again.
 */
export async function crashTrial(dataDir: string, opts: { devices: number; killAfterMs: number }): Promise<CrashOutcome> {
  let d = await start(dataDir);
  const socket = path.join(dataDir, 'outpost.sock');
  const { token } = await createToken(socket, { maxUses: 1000 });
  const creds: string[] = [];
  for (let i = 0; i < opts.devices; i++) {
    const reg = await registerDevice(d.device, token, `CRASH${Date.now()}${i}`);
    creds.push(reg.body.credential);
  }
  const accepted: Array<{ cred: string; body: ReturnType<typeof report> }> = [];
  let dead = false;
  const worker = async (cred: string) => {
    while (!dead) {
      const body = report(new Date(Date.now() - 60_000));
      try {
        const res = await postReport(d.device, cred, body);
        if (res.status === 202) accepted.push({ cred, body });
      } catch {
        return; // the daemon is gone
      }
    }
  };
  const workers = creds.map(worker);
  await new Promise((r) => setTimeout(r, opts.killAfterMs));
  dead = true;
  await d.kill();
  await Promise.all(workers);
  d = await start(dataDir);
  const lost: string[] = [];
  for (const a of accepted) {
    const res = await postReport(d.device, a.cred, a.body);
    if (res.status !== 200 || res.body.duplicate !== true) lost.push(`${a.body.reportId} (${res.status})`);
  }
  await d.stop();
  return { acknowledged: accepted.length, lost };
}
