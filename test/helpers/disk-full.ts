// A full disk (SPEC §3, issue 14 finding 3), for real: a small tmpfs mounted as the data dir's
// disk, a real daemon on it, the disk filled with a file until the kernel says ENOSPC, then
// freed. Used by the fault test at CI size and by `npm run soak`. Mounting needs root (CI runs
// as root); `smallDisk` says why it cannot when it cannot.
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { createToken, postReport, registerDevice, report } from './devices.ts';
import { control } from './control.ts';
import { daemonEnv, startDaemon } from './process.ts';
import { http } from './satellite.ts';

/** Why a tmpfs cannot be mounted here, or null when it can. */
export function cannotMount(): string | null {
  if (process.getuid?.() !== 0) return `mounting a tmpfs for the full-disk test needs root (uid is ${process.getuid?.()}); CI runs as root`;
  return null;
}

/** Mounts a tmpfs of `mb` MiB at `dir` (created); answers the unmount. */
export function mountSmallDisk(dir: string, mb: number): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0700`, 'tmpfs', dir]);
  return () => {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      // already gone
    }
  };
}

/** Writes a file until the disk refuses even 512 bytes; answers the bytes written. */
export function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
      const buf = Buffer.alloc(size, 7);
      for (;;) {
        try {
          const n = writeSync(fd, buf);
          written += n;
          if (n < size) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export interface DiskFullOutcome {
  /** Reports answered 202 before and while the disk filled. */
  acknowledged: number;
  /** Acknowledged reports missing afterwards (resent, they did not answer 200 duplicate). */
  lost: string[];
  /** What the daemon answered while the disk was full, by status. */
  whileFull: Record<number, number>;
  retryAfter: string | null;
  healthWhileFull: { status: number; body: unknown };
  adminWhileFull: { status: number; code: string | null };
  invalidWhileFull: number;
  metricWhileFull: string | null;
  /** Milliseconds from freeing the disk to /healthz answering 200 again. */
  recoveryMs: number | null;
  afterRecovery: number;
  /** Log lines saying the store cannot write (logged once), and lines of failed requests (none). */
  failureLogLines: number;
  requestFailedLines: number;
  storageAlertRaised: boolean;
  /** After a restart on the same disk, acknowledged reports still there. */
  lostAfterRestart: string[];
}

/** One trial on a tmpfs of `mb` MiB mounted at `dir`. Needs root. */
export async function diskFullTrial(t: Pick<Test, 'teardown'>, dir: string, opts: { mb?: number; recoveryTimeoutMs?: number } = {}): Promise<DiskFullOutcome> {
  const unmount = mountSmallDisk(dir, opts.mb ?? 8);
  t.teardown(unmount);
  const dataDir = path.join(dir, 'data');
  const env = daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' });
  let d = await startDaemon(t as Test, env);
  const socket = path.join(dataDir, 'outpost.sock');
  const { token } = await createToken(socket, { maxUses: 10 });
  const creds: string[] = [];
  for (let i = 0; i < 2; i++) creds.push((await registerDevice(d.device, token, `DISKFULL${i}`)).body.credential);
  const accepted: Array<{ cred: string; body: ReturnType<typeof report> }> = [];
  const send = async (cred: string) => {
    const body = report(new Date(Date.now() - 60_000));
    const res = await postReport(d.device, cred, body);
    if (res.status === 202) accepted.push({ cred, body });
    return res;
  };
  for (let i = 0; i < 10; i++) await send(creds[i % 2]!);

  const filler = path.join(dir, 'filler');
  fillDisk(filler);
  const whileFull: Record<number, number> = {};
  let retryAfter: string | null = null;
  // The log file's last page may still take a few records; then the disk refuses.
  for (let i = 0; i < 2000; i++) {
    const res = await send(creds[i % 2]!);
    whileFull[res.status] = (whileFull[res.status] ?? 0) + 1;
    if (res.status === 503) {
      retryAfter = (res.headers['retry-after'] as string | undefined) ?? null;
      if ((res.body as { error?: { code?: string } }).error?.code !== 'STORAGE_UNAVAILABLE') whileFull[-1] = (whileFull[-1] ?? 0) + 1;
      break;
    }
  }
  // Concurrent writes while it stands: each answers 503, none 500.
  const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => send(creds[i % 2]!)));
  for (const r of burst) whileFull[r.status] = (whileFull[r.status] ?? 0) + 1;
  const invalidWhileFull = (await postReport(d.device, creds[0]!, { reportId: 'nope' })).status;
  const health = await http('GET', `${d.device}/healthz`);
  const admin = await control(socket, 'POST', '/api/tokens', { virtualAccountId: 'Default', description: 'while full' });
  const metrics = await http<string>('GET', `${d.admin}/metrics`);
  const metricWhileFull = /^outpost_storage_available (\d)$/m.exec(metrics.body)?.[1] ?? null;

  rmSync(filler);
  const freed = Date.now();
  let recoveryMs: number | null = null;
  while (Date.now() - freed < (opts.recoveryTimeoutMs ?? 30_000)) {
    if ((await http('GET', `${d.device}/healthz`)).status === 200) {
      recoveryMs = Date.now() - freed;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let afterRecovery = 0;
  for (let i = 0; i < 10; i++) if ((await send(creds[i % 2]!)).status === 202) afterRecovery++;
  const lost: string[] = [];
  for (const a of accepted) {
    const res = await postReport(d.device, a.cred, a.body);
    if (res.status !== 200 || (res.body as { duplicate?: boolean }).duplicate !== true) lost.push(`${a.body.reportId} (${res.status})`);
  }
  const events = await control(socket, 'GET', '/api/events?type=alert.raised&limit=100');
  const storageAlertRaised = (events.body.items ?? []).some((e: { details: { alert?: string } }) => e.details.alert === 'storage-unavailable');
  const failureLogLines = d.output.filter((l) => l.includes('the store cannot write (is the disk full?)')).length;
  const requestFailedLines = d.output.filter((l) => l.includes('"msg":"request failed"')).length;

  d.child.kill('SIGTERM');
  await d.exited;
  d = await startDaemon(t as Test, env);
  const lostAfterRestart: string[] = [];
  for (const a of accepted) {
    const res = await postReport(d.device, a.cred, a.body);
    if (res.status !== 200) lostAfterRestart.push(`${a.body.reportId} (${res.status})`);
  }
  d.child.kill('SIGTERM');
  await d.exited;
  return {
    acknowledged: accepted.length,
    lost,
    whileFull,
    retryAfter,
    healthWhileFull: { status: health.status, body: health.body },
    adminWhileFull: { status: admin.status, code: admin.body?.error?.code ?? null },
    invalidWhileFull,
    metricWhileFull,
    recoveryMs,
    afterRecovery,
    failureLogLines,
    requestFailedLines,
    storageAlertRaised,
    lostAfterRestart,
  };
}
