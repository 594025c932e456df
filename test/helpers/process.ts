// The real daemon and the real command line, as separate processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export const BIN = fileURLToPath(new URL('../../bin/outpost.js', import.meta.url));

export interface DaemonProcess {
  child: ChildProcess;
  device: string;
  admin: string;
  /** Every line the daemon wrote to stdout and stderr so far. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function daemonEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OUTPOST_DATA_DIR: dataDir,
    OUTPOST_DEVICE_LISTEN: '127.0.0.1:0',
    OUTPOST_ADMIN_LISTEN: '127.0.0.1:0',
    ...extra,
  };
}

/** Starts `outpost serve` (the checkout's, or the `bin` given: an installed copy) and waits for both listener lines. */
export async function startDaemon(t: Test, env: NodeJS.ProcessEnv, args: string[] = [], bin: string = BIN): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const urls = await new Promise<{ device: string; admin: string }>((resolve, reject) => {
    let device = '';
    let admin = '';
    const onData = (chunk: Buffer) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        output.push(line);
        const m = /"msg":"(device|admin) listener on (\S+?)"/.exec(line);
        if (m?.[1] === 'device') device = m[2]!;
        if (m?.[1] === 'admin') admin = m[2]!;
        if (device && admin) resolve({ device, admin });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((e) => reject(new Error(`daemon exited (${e.code ?? e.signal}) before listening:\n${output.join('\n')}`)));
  });
  return { child, output, exited, ...urls };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `outpost <args>` to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}
