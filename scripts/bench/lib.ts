// Shared pieces of the benchmark cases: processes, load runs, medians.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const BIN = fileURLToPath(new URL('../../bin/outpost.js', import.meta.url));

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface Started {
  child: ChildProcess;
  device: string;
  admin: string;
  /** Milliseconds from spawn to both listener lines. */
  startMs: number;
  /** The first log line (stdout) holding `text`, waiting up to `ms` for it; null if none came. */
  waitFor(text: string, ms: number): Promise<string | null>;
  stop(): Promise<void>;
}

/** The daemon as an installed package runs it: compiled by `npm run build` (see `buildDist`). */
export const DIST_MAIN = fileURLToPath(new URL('../../dist/daemon/cli/main.js', import.meta.url));

/**
 * Compiles the checkout to dist/ (`npm run build`) for benchmarks that measure the daemon as
 * installed: run from the checkout, `bin/outpost.js` compiles the TypeScript through tsx's loader,
 * whose hooks thread alone adds ~40 MB of RSS and time to every start. Answers the seconds taken.
 */
export function buildDist(): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../build.ts', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.status ?? r.signal})`);
  return (performance.now() - t0) / 1000;
}

/**
 * Starts `outpost serve` on free loopback ports and waits until it listens: the checkout's
 * (through tsx), or with `compiled` the build in dist/ (`buildDist` first).
 */
export async function startOutpost(dataDir: string, env: Record<string, string> = {}, opts: { compiled?: boolean } = {}): Promise<Started> {
  const t0 = performance.now();
  // BENCH_NODE_ARGS passes flags to the daemon's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, opts.compiled ? DIST_MAIN : BIN, 'serve'], {
    env: { PATH: process.env.PATH, OUTPOST_DATA_DIR: dataDir, OUTPOST_DEVICE_LISTEN: '127.0.0.1:0', OUTPOST_ADMIN_LISTEN: '127.0.0.1:0', OUTPOST_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = ''; // everything it wrote to stdout (its log lines)
  const urls = await new Promise<{ device: string; admin: string }>((resolve, reject) => {
    let device = '';
    let admin = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c;
      for (const m of buf.matchAll(/"msg":"(device|admin) listener on (\S+?)"/g)) {
        if (m[1] === 'device') device = m[2]!;
        else admin = m[2]!;
      }
      if (device && admin) resolve({ device, admin });
    });
    child.once('exit', (code) => reject(new Error(`outpost exited with ${code}`)));
  });
  const startMs = performance.now() - t0;
  return {
    child,
    ...urls,
    startMs,
    waitFor: async (text, ms) => {
      const until = performance.now() + ms;
      for (;;) {
        const at = buf.indexOf(text);
        if (at >= 0) {
          const end = buf.indexOf('\n', at);
          return buf.slice(buf.lastIndexOf('\n', at) + 1, end < 0 ? undefined : end);
        }
        if (performance.now() > until || child.exitCode !== null) return null;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU seconds a process has used so far (Linux): all its threads, and its main thread alone. */
export function cpuSeconds(pid: number): { total: number; main: number } {
  const ticks = (file: string) => {
    const f = readFileSync(file, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  };
  return { total: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`) };
}

export interface LoadResult {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** One autocannon run; `setupRequest` may change each request (unique ids, credentials). */
export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ ...opts });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
